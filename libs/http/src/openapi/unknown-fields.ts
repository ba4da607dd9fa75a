import { isJsonObject } from '@app/api-machinery';
import type { Schema } from './schema';

export interface UnknownFieldOptions {
  /** Patch documents: `$patch`, `$setElementOrder/…`, `$retainKeys` and friends are directives, not fields. */
  directives?: boolean;
}

/**
 * Fields of `value` that `schema` does not declare, as dotted paths with list indexes
 * (`spec.tags[0].form`), the way kube-apiserver's strict decoding names them. Maps
 * (additionalProperties) accept any key; preserve-unknown-fields subtrees are not inspected.
 */
export function unknownFields(
  value: unknown,
  schema: Schema,
  schemas: Record<string, Schema>,
  options: UnknownFieldOptions = {},
  path = '',
): string[] {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || resolved['x-kubernetes-preserve-unknown-fields']) return [];
  const join = (key: string) => (path ? `${path}.${key}` : key);
  if (Array.isArray(value)) {
    if (!resolved.items) return [];
    return value.flatMap((item, i) => unknownFields(item, resolved.items!, schemas, options, `${path}[${i}]`));
  }
  if (!isJsonObject(value)) return [];
  const out: string[] = [];
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value)) {
    if (options.directives && key.startsWith('$')) continue;
    const declared = resolved.properties?.[key];
    if (declared) out.push(...unknownFields(child, declared, schemas, options, join(key)));
    else if (extra) out.push(...unknownFields(child, extra, schemas, options, join(key)));
    else if (resolved.properties || resolved.additionalProperties === false) out.push(join(key));
  }
  return out;
}

/**
 * `value` without the fields `schema` does not declare (a copy; `value` is not changed). This is
 * what kube-apiserver's decoder does in the Warn and Ignore modes: a field the type does not have
 * is dropped, never stored or echoed back. Same traversal rules as `unknownFields`.
 */
export function pruneUnknownFields(value: unknown, schema: Schema, schemas: Record<string, Schema>, options: UnknownFieldOptions = {}): unknown {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || resolved['x-kubernetes-preserve-unknown-fields']) return value;
  if (Array.isArray(value)) {
    const items = resolved.items;
    return items ? value.map((item) => pruneUnknownFields(item, items, schemas, options)) : value;
  }
  if (!isJsonObject(value)) return value;
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  const closed = Boolean(resolved.properties) || resolved.additionalProperties === false;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (options.directives && key.startsWith('$')) {
      out[key] = child;
      continue;
    }
    const declared = resolved.properties?.[key] ?? extra;
    if (declared) out[key] = pruneUnknownFields(child, declared, schemas, options);
    else if (!closed) out[key] = child;
  }
  return out;
}
