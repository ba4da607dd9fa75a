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

export interface NullDecoding {
  /**
   * A whole object (create or update body), not a patch: a `null` field is then what Go's decoder
   * makes of it, the field left unset (and so omitted on the way out, as `omitempty` has it), and a
   * `null` map value the value type's zero (`labels: {team: null}` is the label `team=""`). In a
   * merge or strategic patch a `null` field means "remove", so there only list items are zeroed.
   */
  wholeObject: boolean;
}

/**
 * Replaces `null` list items with their type's zero value (`{}` for an object, `''` for a string),
 * in place, as Go's decoder turns `tags: [null]` into one empty TagReference; the kind's
 * validation then reports what the empty item lacks, instead of rules tripping over a null. With
 * `wholeObject`, also null fields and map values (see NullDecoding).
 * Follows the schema as far as it describes the value (unknown or preserved subtrees are left).
 */
export function decodeNullsAsGo(value: unknown, schema: Schema, schemas: Record<string, Schema>, options: NullDecoding = { wholeObject: false }): void {
  const resolved = schema.ref ? schemas[schema.ref] : schema;
  if (!resolved || value === null || typeof value !== 'object' || resolved['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    const items = resolved.items?.ref ? schemas[resolved.items.ref] : resolved.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zeroValueOf(items);
      else decodeNullsAsGo(value[i], items, schemas, options);
    }
    return;
  }
  const fields = value as Record<string, unknown>;
  const extra = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  for (const [key, child] of Object.entries(fields)) {
    const property = resolved.properties?.[key];
    const declared = property ?? extra;
    if (!declared) continue;
    if (child === null && options.wholeObject) {
      const target = declared.ref ? schemas[declared.ref] : declared;
      if (!target || target['x-kubernetes-preserve-unknown-fields']) continue;
      if (property) delete fields[key];
      else fields[key] = zeroValueOf(target);
      continue;
    }
    decodeNullsAsGo(child, declared, schemas, options);
  }
}
