import type { Schema } from './schema';

function zeroValueOf(schema: Schema): unknown {
  switch (schema.type) {
    case 'object':
      return {};
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'array':
    case undefined:
      return null;
  }
}

/**
 * Replaces `null` list items with their type's zero value (`{}` for an object, `''` for a string),
 * in place, as Go's decoder turns `tags: [null]` into one empty TagReference; the kind's
 * validation then reports what the empty item lacks, instead of rules tripping over a null.
 * Follows the schema as far as it describes the value (unknown or preserved subtrees are left).
 */
export function zeroNullListItems(value: unknown, schema: Schema, schemas: Record<string, Schema>): void {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || value === null || typeof value !== 'object' || resolved['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    const items = resolved.items?.ref ? schemas[resolved.items.ref] : resolved.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zeroValueOf(items);
      else zeroNullListItems(value[i], items, schemas);
    }
    return;
  }
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const declared = resolved.properties?.[key] ?? extra;
    if (declared) zeroNullListItems(child, declared, schemas);
  }
}
