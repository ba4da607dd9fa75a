/**
 * A JSON schema as this server publishes it, written once and rendered for OpenAPI v2
 * (`#/definitions/…`) and v3 (`#/components/schemas/…`). References name another schema by its
 * definition name; `render` turns them into the version's `$ref` form.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: string[];
  /** A definition name (not a JSON pointer); see `render`. */
  ref?: string;
  default?: unknown;
  'x-kubernetes-group-version-kind'?: { group: string; kind: string; version: string }[];
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  /**
   * The Go type where the published schema does not tell it apart (a MicroTime is a `date-time`
   * string as a Time is, but decodes with another layout); not published.
   */
  goType?: string;
  /**
   * An embedded document (a RawExtension) that the kind's conversion decodes as this Go type
   * (an Image's dockerImageMetadata as a docker10.DockerImage): its values must decode as that
   * type's fields, named from its own root in errors as Go's decoder names them; not published.
   */
  decodedAs?: Schema;
  /** Alternatives (a Quantity: string or number). OpenAPI v2 cannot say this: it gets `type: string`, as kube-apiserver publishes it. */
  oneOf?: Schema[];
}

/** Every property of T (no more, no fewer): schemas are checked against our TypeScript types. */
export type FieldsOf<T> = { [K in keyof T]-?: Schema };

export const s = {
  string: (description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'string', description, ...extra }),
  time: (description: string): Schema => ({ type: 'string', format: 'date-time', description }),
  microTime: (description: string): Schema => ({ type: 'string', format: 'date-time', description, goType: 'v1.MicroTime' }),
  int64: (description: string): Schema => ({ type: 'integer', format: 'int64', description }),
  int32: (description: string): Schema => ({ type: 'integer', format: 'int32', description }),
  boolean: (description: string): Schema => ({ type: 'boolean', description }),
  bytes: (description: string): Schema => ({ type: 'string', format: 'byte', description }),
  ref: (name: string, description?: string): Schema => ({ ref: name, ...(description ? { description } : {}) }),
  array: (items: Schema, description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'array', description, items, ...extra }),
  map: (values: Schema, description: string): Schema => ({ type: 'object', description, additionalProperties: values }),
  stringMap: (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string', default: '' } }),
  /** An embedded document kept as given (a RawExtension). */
  raw: (description: string, decodedAs?: Schema): Schema => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true, ...(decodedAs ? { decodedAs } : {}) }),
  /** An object whose properties are exactly the fields of T (plus `extra`, for wire fields our types leave out). */
  object<T>(description: string, fields: FieldsOf<T>, extra: Record<string, Schema> = {}, options: Partial<Schema> = {}): Schema {
    return { type: 'object', description, properties: { ...(fields as Record<string, Schema>), ...extra }, ...options };
  },
};

/** Renders a schema for one OpenAPI version: v2 `$ref` beside the description, v3 `allOf` with a default. */
export function render(schema: Schema, version: 2 | 3): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined) continue;
    switch (key) {
      case 'ref':
      case 'goType':
      case 'decodedAs':
        break;
      case 'properties':
        out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, render(v, version)]));
        break;
      case 'items':
        out[key] = render(value as Schema, version);
        break;
      case 'oneOf':
        if (version === 2) out['type'] = 'string';
        else out[key] = (value as Schema[]).map((v) => render(v, version));
        break;
      case 'additionalProperties':
        out[key] = typeof value === 'boolean' ? value : render(value as Schema, version);
        break;
      default:
        out[key] = value;
    }
  }
  if (schema.ref) {
    if (version === 2) out['$ref'] = `#/definitions/${schema.ref}`;
    else {
      out['allOf'] = [{ $ref: `#/components/schemas/${schema.ref}` }];
      out['default'] = {};
    }
  }
  return out;
}
