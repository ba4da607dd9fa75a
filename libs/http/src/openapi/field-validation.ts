import { type BodyKeys, NO_REPEATED_KEYS } from './duplicate-fields';
import type { Schema } from './schema';
import { pruneUnknownFields, unknownFields } from './unknown-fields';
import { ApiError, type FieldError, fieldErr, goFormat, quotedDocument } from '@app/api-machinery';
import { firstValue } from '../query-value';
import { warningHeaderValue } from '../warning-header';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const fieldValidations: readonly string[] = ['Ignore', 'Strict', 'Warn'];

/**
 * kube's ValidateFieldValidation: the empty value and the three directives, in sorted order (a
 * 422 cause of the write's options, see managedWriteOptionsOf).
 */
export function fieldValidationErrors(value: string | string[] | undefined): FieldError[] {
  const v = firstValue(value) ?? '';
  return v === '' || fieldValidations.includes(v) ? [] : [fieldErr.notSupported('fieldValidation', v, ['', ...fieldValidations])];
}

/** `?fieldValidation=` (Warn when absent or empty, as kube-apiserver defaults), once the options were validated. */
export function fieldValidationOf(value: string | string[] | undefined): FieldValidation {
  const v = firstValue(value);
  if (v === 'Ignore' || v === 'Strict') return v;
  return 'Warn';
}

/**
 * What repeated and unknown fields mean for the request: Strict → 400 BadRequest naming each one
 * (nothing is written; `decodePrefix` is what the decoder puts first for a whole-object body); Warn → `Warning` header values (RFC 7234 code 299, as kube-apiserver sends them);
 * Ignore → nothing. The messages come in the order kube-apiserver's strict decoder meets them in
 * the text (an unknown key where it first appears, a repeated one where it comes again); without
 * offsets, repeated keys first.
 */
export function unknownFieldOutcome(mode: FieldValidation, unknown: string[], decodePrefix = '', keys: BodyKeys = NO_REPEATED_KEYS): string[] {
  const duplicates = keys.repeated;
  if (keys.yaml) return yamlFieldOutcome(mode, keys.yaml, unknown, decodePrefix);
  if ((!unknown.length && !duplicates.length) || mode === 'Ignore') return [];
  const found = [...duplicates.map((path) => ({ path, repeated: true })), ...unknown.map((path) => ({ path, repeated: false }))];
  if (duplicates.length && unknown.length && keys.offsets) {
    const offsets = keys.offsets();
    const at = (f: { path: string; repeated: boolean }) => (f.repeated ? offsets.repeated : offsets.first).get(f.path) ?? Number.MAX_SAFE_INTEGER;
    found.sort((a, b) => at(a) - at(b));
  }
  const messages = found.map((f) => `${f.repeated ? 'duplicate' : 'unknown'} field "${f.path}"`);
  if (mode === 'Strict') throw ApiError.badRequest(`${decodePrefix}strict decoding error: ${messages.join(', ')}`);
  return messages.map(warningHeaderValue);
}

/** go-yaml's strict-decoding error (TypeError) for a YAML text's repeated keys. */
function yamlUnmarshalErrors(repeats: string[]): string {
  return `yaml: unmarshal errors:\n  ${repeats.join('\n  ')}`;
}

/**
 * A YAML create/update body (runtime/serializer/json's strict decode): the YAMLToJSONStrict error
 * for its repeated keys comes first, then the unknown fields of the JSON YAMLToJSON made of it (each
 * object's keys sorted), in one `strict decoding error: …`. Warn: one warning per repeat
 * (handlers' parseYAMLWarnings splits go-yaml's error into its lines), then one per unknown field.
 */
function yamlFieldOutcome(mode: FieldValidation, repeats: string[], unknown: string[], decodePrefix: string): string[] {
  if ((!repeats.length && !unknown.length) || mode === 'Ignore') return [];
  const unknownMessages = [...unknown].sort(byDocumentKeyOrder).map((path) => `unknown field "${path}"`);
  const yamlErrors = repeats.length ? [yamlUnmarshalErrors(repeats)] : [];
  if (mode === 'Strict') throw ApiError.badRequest(`${decodePrefix}strict decoding error: ${[...yamlErrors, ...unknownMessages].join(', ')}`);
  return uniqueWarnings([...repeats, ...unknownMessages]);
}

/**
 * What the keys a server-side apply configuration repeats mean (handlers/patch.go, applyPatcher):
 * its YAML is decoded again with yaml.UnmarshalStrict; Strict → 400 `error strict decoding YAML:
 * error converting YAML to JSON: yaml: unmarshal errors:` and one indented line per repeat; Warn →
 * one warning per repeat; Ignore → nothing (the last value counts, as in every mode).
 */
export function applyFieldOutcome(mode: FieldValidation, keys: BodyKeys): string[] {
  const repeats = keys.yaml ?? [];
  if (!repeats.length || mode === 'Ignore') return [];
  if (mode === 'Strict') throw ApiError.badRequest(`error strict decoding YAML: error converting YAML to JSON: ${yamlUnmarshalErrors(repeats)}`);
  return uniqueWarnings(repeats);
}

/**
 * `Warning` header values, each text once: kube-apiserver's warning recorder drops a text already
 * recorded (go-yaml can report one line twice: a flow mapping repeating a key, an alias decoded again).
 */
function uniqueWarnings(texts: string[]): string[] {
  return [...new Set(texts)].map(warningHeaderValue);
}

/**
 * What repeated and unknown fields of a merge or strategic-merge patch mean (kube-apiserver's
 * handlers/patch.go): the keys the patch text repeats come first (kjson.UnmarshalStrict of the
 * patch), then the unknown fields of the patched object. A strategic patch converts the patched map
 * with FromUnstructuredWithValidation, which sorts its messages, and refuses in Strict mode with 422
 * Invalid at `patch` quoting the patch map (`"" is invalid: patch: Invalid value: "map[…]": strict
 * decoding error: …`); a merge patch decodes the patched JSON (its keys sorted, as json-patch
 * marshals its maps), refused with 400 BadRequest.
 */
export function patchFieldOutcome(
  mode: FieldValidation,
  type: 'merge' | 'strategic',
  unknown: string[],
  repeated: string[],
  patch: unknown,
  secretBodies: boolean | undefined,
): string[] {
  if ((!unknown.length && !repeated.length) || mode === 'Ignore') return [];
  const unknownMessages =
    type === 'strategic'
      ? unknown.map((path) => `unknown field "${path}"`).sort(byteOrder)
      : [...unknown].sort(byDocumentKeyOrder).map((path) => `unknown field "${path}"`);
  const messages = [...repeated.map((path) => `duplicate field "${path}"`), ...unknownMessages];
  if (mode === 'Strict') {
    const detail = `strict decoding error: ${messages.join(', ')}`;
    if (type === 'merge') throw ApiError.badRequest(detail);
    const quoted = secretBodies ? quotedDocument(secretBodies, patch) : goFormat(patch, 'v');
    throw ApiError.invalid({ group: '', resource: '', kind: '' }, '', [fieldErr.invalid('patch', quoted, detail)]);
  }
  return messages.map(warningHeaderValue);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Depth first with each object's keys sorted: the order a decoder meets fields in a document json-patch marshalled. */
function byDocumentKeyOrder(a: string, b: string): number {
  const sa = pathSegments(a);
  const sb = pathSegments(b);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i]!;
    const y = sb[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return byteOrder(String(x), String(y));
  }
  return sa.length - sb.length;
}

function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

/** The schema at a JSON pointer below `root`, following properties, list items and map values. */
export function schemaAtPointer(
  root: Schema,
  pointer: string,
  schemas: Record<string, Schema>,
): { schema?: Schema; parent?: Schema; key?: string; last?: boolean } {
  const segments = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let current: Schema | undefined = root;
  let parent: Schema | undefined;
  let key: string | undefined;
  for (const [i, segment] of segments.entries()) {
    const resolved: Schema | undefined = current?.ref ? schemas[current.ref] : current;
    if (!resolved || resolved['x-kubernetes-preserve-unknown-fields']) return {};
    parent = resolved;
    key = segment;
    if (resolved.type === 'array' || resolved.items) current = resolved.items;
    else if (resolved.properties?.[segment]) current = resolved.properties[segment];
    else if (typeof resolved.additionalProperties === 'object') current = resolved.additionalProperties;
    else current = undefined;
    if (!current) return { parent, key, last: i === segments.length - 1 };
  }
  return { schema: current, parent, key };
}

/** A JSON pointer as a dotted field path (`/spec/tags/0/name` → `spec.tags[0].name`). */
function dottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => (/^(\d+|-)$/.test(p) ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Does a `copy` or `move` write an undeclared field of a declared object? Its value comes from
 * the object itself, so kube-apiserver's decoder drops it from the patched object as it drops an
 * added one: copying a Secret's data value to `/zz` must not leave it where lists serve it.
 */
function copiesToUndeclaredField(op: { op?: string; from?: unknown; path?: string }, root: Schema, schemas: Record<string, Schema>): op is { op: 'copy' | 'move'; from: string; path: string } {
  if ((op.op !== 'copy' && op.op !== 'move') || typeof op.path !== 'string' || typeof op.from !== 'string') return false;
  const { schema, parent, key, last } = schemaAtPointer(root, op.path, schemas);
  return !schema && last === true && parent?.properties !== undefined && key !== undefined && !parent.properties[key] && typeof parent.additionalProperties !== 'object';
}

/**
 * Unknown fields a JSON patch would add: values of add/replace/test operations, new keys of
 * declared objects, and undeclared fields a copy or move writes.
 */
export function unknownFieldsInJsonPatch(ops: unknown, root: Schema, schemas: Record<string, Schema>): string[] {
  if (!Array.isArray(ops)) return [];
  const out: string[] = [];
  for (const op of ops as { op?: string; from?: unknown; path?: string; value?: unknown }[]) {
    if (copiesToUndeclaredField(op, root, schemas)) out.push(dottedPath(op.path));
    if ((op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    const dotted = dottedPath(op.path);
    const { schema, parent, key } = schemaAtPointer(root, op.path, schemas);
    if (!schema) {
      const resolvedParent = parent;
      if (resolvedParent?.properties && key !== undefined && !resolvedParent.properties[key] && typeof resolvedParent.additionalProperties !== 'object') out.push(dotted);
      continue;
    }
    out.push(...unknownFields(op.value, schema, schemas, {}, dotted));
  }
  return out;
}

/**
 * A JSON patch without what it would add that the schema does not declare: values lose their
 * unknown fields, and an `add` of an undeclared field to a declared object is dropped (the patch
 * applies, then the decoder drops the field); a `copy` or `move` there is followed by the removal
 * of what it wrote. Operations that need an undeclared path to exist
 * (a replace, or an add below an undeclared field) are kept: stored objects never hold such a
 * path, so they fail with 422 as they do on kube-apiserver, where the patch is applied first.
 */
export function pruneJsonPatch(ops: unknown, root: Schema, schemas: Record<string, Schema>): unknown {
  if (!Array.isArray(ops)) return ops;
  const out: unknown[] = [];
  for (const op of ops as { op?: string; from?: unknown; path?: string; value?: unknown }[]) {
    if (copiesToUndeclaredField(op, root, schemas)) {
      // Applied as sent (a missing source, or a move into itself, still fails as it would
      // upstream), then its undeclared result removed, as the decoder drops it.
      out.push(op, { op: 'remove', path: op.path });
      continue;
    }
    if ((op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') {
      out.push(op);
      continue;
    }
    const { schema, parent, key, last } = schemaAtPointer(root, op.path, schemas);
    if (schema) out.push({ ...op, value: pruneUnknownFields(op.value, schema, schemas) });
    else if (!(op.op === 'add' && last && parent?.properties && key !== undefined && !parent.properties[key] && typeof parent.additionalProperties !== 'object')) out.push(op);
  }
  return out;
}
