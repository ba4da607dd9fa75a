import { ApiError, fieldErr, type PatchType, quotedDocument, type ResourceInfo } from '@app/api-machinery';
import { applyFieldOutcome, fieldValidationOf, patchFieldOutcome, pruneJsonPatch, unknownFieldOutcome, unknownFieldsInJsonPatch } from './field-validation';
import { type BodyKeys, NO_REPEATED_KEYS } from './duplicate-fields';
import type { OpenApiDocuments } from './openapi-document';
import { META } from './meta-schemas';
import { decodeNullsAsGo } from './go-nulls';
import type { Schema } from './schema';
import { firstTypeMismatch, type TypeMismatch, typedFieldAtPointer } from './type-mismatch';
import { typedPatchObjectError } from './typed-patch-error';
import { pruneUnknownFields, unknownFields } from './unknown-fields';

/** A write's document as the handler gets it, and the `Warning` header values for the answer. */
export interface AdmittedDocument {
  document: unknown;
  warnings: string[];
}

/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`) against the published
 * OpenAPI schemas: unknown fields in a create/update body or a patch are a 400 (Strict), or are
 * dropped, with `Warning` headers (Warn, the default) or silently (Ignore), as kube-apiserver's
 * decoder drops them. Kinds without a published schema are passed through unchanged.
 */
export class FieldValidator {
  constructor(private readonly docs: OpenApiDocuments) {}

  /**
   * The document without unknown fields, and the warnings; throws 400 BadRequest in Strict mode.
   * `keys`: keys the body text repeated (the decoded body kept the last value, as Go's decoders do).
   */
  admit(info: ResourceInfo, mode: string | string[] | undefined, body: unknown, patchType?: PatchType, keys: BodyKeys = NO_REPEATED_KEYS): AdmittedDocument {
    const warnings = this.check(info, mode, body, patchType, keys);
    const schema = this.docs.schemaOf(info);
    if (!schema) return { document: body, warnings };
    const schemas = this.docs.schemas;
    // An apply configuration holds no undeclared field once checked (check refuses them): nothing to prune.
    const document =
      patchType === 'apply'
        ? body
        : patchType === 'json'
          ? pruneJsonPatch(body, schema, schemas)
          : pruneUnknownFields(body, schema, schemas, { directives: patchType !== undefined });
    if (patchType !== 'json') decodeNullsAsGo(document, schema, schemas, { wholeObject: patchType === undefined });
    return { document, warnings };
  }

  /** Warning header values for the request; throws 400 BadRequest in Strict mode. */
  private check(info: ResourceInfo, mode: string | string[] | undefined, body: unknown, patchType: PatchType | undefined, keys: BodyKeys): string[] {
    const validation = fieldValidationOf(mode);
    const schema = this.docs.schemaOf(info);
    const schemas = this.docs.schemas;
    const prefix = patchType === undefined ? decodeErrorPrefix(info) : '';
    if (!schema) {
      // Kinds without a published schema (workloads, reviews): still every object's envelope decodes as Go's would.
      const mismatch = patchType === 'json' ? null : firstTypeMismatch(body, envelopeSchema, schemas);
      if (mismatch) throw typeError(info, mismatch, patchType, body);
      return patchType === 'apply' ? applyFieldOutcome(validation, keys) : unknownFieldOutcome(validation, [], prefix, keys);
    }
    // Wrong JSON types cannot be decoded whatever fieldValidation says (kube-apiserver: 400).
    const mismatch = patchType === 'json' ? this.jsonPatchMismatch(body, schema, schemas) : firstTypeMismatch(body, schema, schemas);
    if (mismatch) throw typeError(info, mismatch, patchType, body);
    if (patchType === 'apply') {
      // Refused in every mode, as kube-apiserver types an apply configuration before validating it.
      const undeclared = unknownFields(body, schema, schemas);
      if (undeclared.length) throw typedPatchObjectError(info, body, undeclared);
      return applyFieldOutcome(validation, keys);
    }
    if (validation === 'Ignore') return [];
    let unknown: string[];
    switch (patchType) {
      case undefined:
        unknown = unknownFields(body, schema, schemas);
        break;
      case 'merge':
      case 'strategic':
        return patchFieldOutcome(validation, patchType, unknownFields(body, schema, schemas, { directives: true }), keys.repeated, body, info.secretBodies);
      case 'json':
        unknown = unknownFieldsInJsonPatch(body, schema, schemas);
        break;
    }
    // A create/update body fails in the decoder, which kube-apiserver words as a decode error of the kind.
    return unknownFieldOutcome(validation, unknown, prefix, keys);
  }

  private jsonPatchMismatch(ops: unknown, root: Schema, schemas: Record<string, Schema>): TypeMismatch | null {
    if (!Array.isArray(ops)) return null;
    for (const op of ops as { op?: string; from?: unknown; path?: string; value?: unknown }[]) {
      if ((op.op === 'copy' || op.op === 'move') && typeof op.path === 'string' && typeof op.from === 'string') {
        const found = movedTypeMismatch(root, op.from, op.path, schemas);
        if (found) return found;
        continue;
      }
      if ((op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
      const field = typedFieldAtPointer(root, op.path, schemas);
      const found = field ? firstTypeMismatch(op.value, field.schema, schemas, op.path, field.at) : null;
      if (found) return found;
    }
    return null;
  }
}

/**
 * A `copy` or `move` whose source field's declared JSON type the destination does not allow (a
 * Secret's data value copied to the boolean `immutable`): the mismatch kube-apiserver's decoder
 * finds in the patched object. The patch is checked before it is applied, so the value is known
 * only by its source's schema; a source of no single declared type is not judged.
 */
function movedTypeMismatch(root: Schema, from: string, path: string, schemas: Record<string, Schema>): TypeMismatch | null {
  // A container copied into itself: upstream applies the patch first, where jsonpatch's copy-size
  // limit stops the doubling ones (a 422 of its own); the value's type is judged there or never.
  if (path.startsWith(`${from}/`)) return null;
  const source = typedFieldAtPointer(root, from, schemas)?.schema;
  const target = typedFieldAtPointer(root, path, schemas);
  const resolved = source?.ref ? schemas[source.ref] : source;
  if (!resolved || !target || resolved.oneOf || resolved['x-kubernetes-int-or-string']) return null;
  // A value of the source's JSON type, standing in for the one the patch would move.
  const type = resolved.type ?? (resolved.properties || typeof resolved.additionalProperties === 'object' ? 'object' : undefined);
  if (type === undefined) return null;
  const sample = typeSamples[type];
  const found = firstTypeMismatch(sample, target.schema, schemas, path, target.at);
  // Only the JSON type is known; what the value holds (base64 text, nested fields) is not.
  return found && found.message === undefined ? found : null;
}

const typeSamples: Record<NonNullable<Schema['type']>, unknown> = { string: '', integer: 0, number: 0, boolean: false, array: [], object: {} };

/** What every Kubernetes object has: typed apiVersion, kind and ObjectMeta. */
const envelopeSchema: Schema = {
  type: 'object',
  properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { ref: `${META}.ObjectMeta` } },
};

/** kube-apiserver's transformDecodeError wording before a body's decode error. */
function decodeErrorPrefix(info: ResourceInfo): string {
  return `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: `;
}

/**
 * The message kube-apiserver's decoder gives (encoding/json's UnmarshalTypeError): the struct
 * holding the field, the field path without indexes, the Go type (`… into Go struct field
 * ImageStreamSpec.spec.tags of type []v1.TagReference`); a body that is not an object at all is
 * `into Go value of type <kind>`. A create or update body's is a 400 BadRequest after the
 * decoder's prefix. A JSON, merge or strategic patch whose result does not decode is 422 Invalid
 * at `patch` (handlers/patch.go: NewInvalid of no kind and no name); upstream quotes the patched
 * object there, here the patch (it is checked before it is applied), without secrets (quotedDocument).
 */
function typeError(info: ResourceInfo, m: TypeMismatch, patchType?: PatchType, body?: unknown): ApiError {
  const where = m.field === '' ? `Go value of type ${info.version}.${info.kind}` : `Go struct field ${m.struct || info.kind}.${m.field} of type ${m.expected}`;
  const detail = m.message ?? `json: cannot unmarshal ${m.got} into ${where}`;
  if (patchType === 'json' || patchType === 'merge' || patchType === 'strategic') {
    return ApiError.invalid({ group: '', resource: '', kind: '' }, '', [fieldErr.invalid('patch', quotedDocument(info.secretBodies, body), detail)]);
  }
  return ApiError.badRequest(`${decodeErrorPrefix(info)}${detail}`);
}
