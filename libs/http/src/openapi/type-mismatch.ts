import { goBase64ErrorOffset } from './go-base64';
import { jsonNumberLiteral } from './json-number-literal';
import { goRfc3339ParseError } from './go-time';
import type { Schema } from './schema';

export interface TypeMismatch {
  /** Dotted path with list indexes, as in unknown-field messages (`spec.tags[0].name`). */
  path: string;
  /**
   * The JSON type that was sent: string, number, object, array or bool (Go's json wording); a
   * number that is not an integer where one belongs, or one out of its range, is `number <value>`,
   * as Go words it.
   */
  got: string;
  /** The Go type declared there, as Go prints it (`[]v1.TagReference`, `int64`, `bool`). */
  expected: string;
  /**
   * Where Go's decoder says the value was: the struct type holding the field (`ImageStreamSpec`;
   * '' for the root object, whose kind names it) and the field names leading to it, without list
   * indexes or map keys (`spec.tags`), which is how encoding/json words an UnmarshalTypeError.
   */
  struct: string;
  field: string;
  /**
   * Set when the JSON type is right but Go still cannot decode the value: a `[]byte` field's
   * string that is not standard base64 (`illegal base64 data at input byte 0`).
   */
  message?: string;
}

/** A struct field as Go's decoder names it in errors: `<struct>.<field path>`. */
export interface GoField {
  struct: string;
  field: string;
}

const ROOT: GoField = { struct: '', field: '' };

function jsonTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Whether Go's decoder would put the number in the field's integer type and keep it as sent: a
 * whole number in int32's range, or for int64 one JSON.parse kept exactly (below 2^53). A bigger
 * one was rounded before anything here saw it (9007199254740993 arrives as …992): refused rather
 * than stored changed, where Go would keep it up to 2^63 - 1 (no size or generation gets there).
 */
function fitsInteger(value: unknown, format: string | undefined): boolean {
  if (typeof value !== 'number') return false;
  return format === 'int32' ? Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX : Number.isSafeInteger(value);
}

function accepts(schema: Schema, value: unknown): boolean {
  // Alternatives (a Quantity): the kind's own decoder checks the value and words its error.
  if (schema.oneOf) return true;
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return fitsInteger(value, schema.format);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case undefined:
      return true;
  }
}

/** A definition's Go type name: package and type, the last two parts of `io.k8s.….meta.v1.ObjectMeta`. */
const goTypeName = (ref: string): string => ref.split('.').slice(-2).join('.');

/** A definition's Go struct name, as encoding/json names the struct holding a field (`ObjectMeta`). */
const structName = (ref: string): string => ref.slice(ref.lastIndexOf('.') + 1);

/** The Go type a schema stands for, as reflect prints it in decode errors. */
function goType(schema: Schema | undefined): string {
  if (!schema) return 'interface {}';
  if (schema.ref) return goTypeName(schema.ref);
  if (schema.goType) return schema.goType;
  if (schema['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  switch (schema.type) {
    case 'array':
      return `[]${goType(schema.items)}`;
    case 'string':
      return schema.format === 'date-time' ? 'v1.Time' : 'string';
    case 'integer':
      return schema.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'object':
    case undefined:
      return typeof schema.additionalProperties === 'object' ? `map[string]${goType(schema.additionalProperties)}` : 'object';
  }
}

/** What Go's decoder says it got: the JSON type, and for a number that does not fit an integer, the number. */
function gotOf(value: unknown, schema: Schema): string {
  if (typeof value === 'number' && schema.type === 'integer') return `number ${jsonNumberLiteral(value)}`;
  return jsonTypeOf(value);
}

/**
 * What a JSON patch operation writes at `pointer` into a document of `root`: the declared schema
 * there and the Go field as the decoder names it (struct fields extend the field path, list
 * indexes and map keys do not; `add` at `/list/-` or an index names one element). Inside an
 * embedded document decoded on its own (`decodedAs`: `/dockerImageMetadata/Config/Env`), that
 * type's fields, named from its root. Null where nothing is declared (an unknown field, a subtree
 * that keeps unknown fields): no type is checked there.
 */
export function typedFieldAtPointer(root: Schema, pointer: string, schemas: Record<string, Schema>): { schema: Schema; at: GoField } | null {
  let at = ROOT;
  let current: Schema | undefined = root;
  for (const segment of pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    let resolved: Schema | undefined = current?.ref ? schemas[current.ref] : current;
    if (!resolved) return null;
    let struct = current?.ref ? structName(current.ref) : at.struct;
    if (resolved.decodedAs) {
      resolved = resolved.decodedAs;
      at = { struct: structName(resolved.goType ?? ''), field: '' };
    } else if (resolved['x-kubernetes-preserve-unknown-fields']) return null;
    if (resolved.properties && resolved.goType) struct = structName(resolved.goType);
    if (resolved.type === 'array' || resolved.items) current = resolved.items;
    else if (resolved.properties?.[segment]) {
      at = { struct, field: at.field ? `${at.field}.${segment}` : segment };
      current = resolved.properties[segment];
    } else if (typeof resolved.additionalProperties === 'object') current = resolved.additionalProperties;
    else return null;
  }
  return current ? { schema: current, at } : null;
}

/**
 * The first value of `value` whose JSON type the schema does not allow (a string where a list
 * belongs, a number for a name), or null. JSON null is always accepted: decoding it gives the
 * field's zero value, as Go's decoder does. Subtrees that preserve unknown fields are not inspected;
 * `$`-prefixed keys (patch directives) are skipped.
 */
export function firstTypeMismatch(value: unknown, schema: Schema, schemas: Record<string, Schema>, path = '', at: GoField = ROOT): TypeMismatch | null {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || value === null || value === undefined) return null;
  if (!accepts(resolved, value)) return { path, got: gotOf(value, resolved), expected: goType(schema), ...at };
  if (resolved.format === 'byte' && typeof value === 'string') {
    const offset = goBase64ErrorOffset(value);
    if (offset !== null) return { path, got: 'string', expected: '[]uint8', ...at, message: `illegal base64 data at input byte ${offset}` };
  }
  if (resolved.format === 'date-time' && !resolved.goType && typeof value === 'string') {
    const timeError = goRfc3339ParseError(value);
    if (timeError) return { path, got: 'string', expected: 'v1.Time', ...at, message: timeError };
  }
  // An embedded document the conversion decodes on its own: Go names its fields from that type's root.
  if (resolved.decodedAs) return firstTypeMismatch(value, resolved.decodedAs, schemas, path, { struct: structName(resolved.decodedAs.goType ?? ''), field: '' });
  if (resolved['x-kubernetes-preserve-unknown-fields']) return null;
  if (Array.isArray(value)) {
    if (!resolved.items) return null;
    for (let i = 0; i < value.length; i++) {
      const found = firstTypeMismatch(value[i], resolved.items, schemas, `${path}[${i}]`, at);
      if (found) return found;
    }
    return null;
  }
  if (typeof value !== 'object') return null;
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  // A struct's fields extend Go's field path (the struct named by its definition); map values do not.
  const struct = schema.ref ? structName(schema.ref) : resolved.properties && resolved.goType ? structName(resolved.goType) : at.struct;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$')) continue;
    const field = resolved.properties?.[key];
    const declared = field ?? extra;
    if (!declared) continue;
    const childAt = field ? { struct, field: at.field ? `${at.field}.${key}` : key } : at;
    const found = firstTypeMismatch(child, declared, schemas, path ? `${path}.${key}` : key, childAt);
    if (found) return found;
  }
  return null;
}
