import type { Schema } from './schema';

export interface TypeMismatch {
  /** Dotted path with list indexes, as in unknown-field messages (`spec.tags[0].name`). */
  path: string;
  /** The JSON type that was sent: string, number, object, array or bool (Go's json wording). */
  got: string;
  /** What the schema declares there. */
  expected: string;
}

function jsonTypeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function accepts(schema: Schema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case undefined:
      return true;
  }
}

const describeType = (schema: Schema): string =>
  schema['x-kubernetes-int-or-string'] ? 'int-or-string' : schema.type === 'array' ? `[]${schema.items?.type ?? schema.items?.ref ?? 'object'}` : (schema.type ?? 'object');

/**
 * The first value of `value` whose JSON type the schema does not allow (a string where a list
 * belongs, a number for a name), or null. JSON null is always accepted: decoding it gives the
 * field's zero value, as Go's decoder does. Subtrees that preserve unknown fields are not inspected;
 * `$`-prefixed keys (patch directives) are skipped.
 */
export function firstTypeMismatch(value: unknown, schema: Schema, schemas: Record<string, Schema>, path = ''): TypeMismatch | null {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || value === null || value === undefined) return null;
  if (!accepts(resolved, value)) return { path, got: jsonTypeOf(value), expected: describeType(resolved) };
  if (resolved['x-kubernetes-preserve-unknown-fields']) return null;
  if (Array.isArray(value)) {
    if (!resolved.items) return null;
    for (let i = 0; i < value.length; i++) {
      const found = firstTypeMismatch(value[i], resolved.items, schemas, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value !== 'object') return null;
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('$')) continue;
    const declared = resolved.properties?.[key] ?? extra;
    if (!declared) continue;
    const found = firstTypeMismatch(child, declared, schemas, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}
