import { Root } from 'protobufjs';
import { protoMessage } from '../proto-message';

type Json = Record<string, unknown>;

/**
 * The part of gnostic's `openapi.v2` protobuf schema (google/gnostic openapiv2/OpenAPIv2.proto)
 * that `/openapi/v2` in protobuf carries: the document's version, info and definitions. client-go
 * asks for the OpenAPI v2 document only in this encoding; kubectl reads it for client-side schema
 * validation (a `kind: List` file, or a group without an OpenAPI v3 document), which needs the
 * definitions and their x-kubernetes-group-version-kind, not the paths. Field numbers are the
 * schema's.
 */
function gnosticTypes(): Root {
  const message = protoMessage;
  return new Root().define('openapi.v2').add(
    message('Document', [
      ['swagger', 1, 'string'],
      ['info', 2, 'Info'],
      ['definitions', 9, 'Definitions'],
    ]),
  ).add(message('Info', [['title', 1, 'string'], ['version', 2, 'string']]))
    .add(message('Definitions', [['additionalProperties', 1, 'NamedSchema', 'repeated']]))
    .add(message('NamedSchema', [['name', 1, 'string'], ['value', 2, 'Schema']]))
    .add(message('Any', [['yaml', 2, 'string']]))
    .add(message('NamedAny', [['name', 1, 'string'], ['value', 2, 'Any']]))
    .add(message('TypeItem', [['value', 1, 'string', 'repeated']]))
    .add(message('ItemsItem', [['schema', 1, 'Schema', 'repeated']]))
    .add(message('Properties', [['additionalProperties', 1, 'NamedSchema', 'repeated']]))
    .add(message('AdditionalPropertiesItem', [['schema', 1, 'Schema'], ['boolean', 2, 'bool']], { oneofs: { oneof: ['schema', 'boolean'] } }))
    .add(
      message('Schema', [
        ['ref', 1, 'string'],
        ['format', 2, 'string'],
        ['title', 3, 'string'],
        ['description', 4, 'string'],
        ['default', 5, 'Any'],
        ['maximum', 7, 'double'],
        ['minimum', 9, 'double'],
        ['maxLength', 11, 'int64'],
        ['minLength', 12, 'int64'],
        ['pattern', 13, 'string'],
        ['maxItems', 14, 'int64'],
        ['minItems', 15, 'int64'],
        ['uniqueItems', 16, 'bool'],
        ['maxProperties', 17, 'int64'],
        ['minProperties', 18, 'int64'],
        ['required', 19, 'string', 'repeated'],
        ['enum', 20, 'Any', 'repeated'],
        ['additionalProperties', 21, 'AdditionalPropertiesItem'],
        ['type', 22, 'TypeItem'],
        ['items', 23, 'ItemsItem'],
        ['allOf', 24, 'Schema', 'repeated'],
        ['properties', 25, 'Properties'],
        ['readOnly', 27, 'bool'],
        ['vendorExtension', 31, 'NamedAny', 'repeated'],
      ]),
    ).root;
}

const root = gnosticTypes();
const DocumentType = root.lookupType('openapi.v2.Document');

/** Values gnostic keeps as YAML text (JSON is YAML). */
const yaml = (v: unknown) => ({ yaml: JSON.stringify(v) });

const scalarKeys = ['format', 'title', 'description', 'maximum', 'minimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'readOnly'];

/** One JSON Schema (Swagger 2.0 dialect) as a gnostic Schema message. */
function schemaMessage(s: Json): Json {
  const out: Json = {};
  for (const key of scalarKeys) if (s[key] !== undefined) out[key] = s[key];
  if (typeof s['$ref'] === 'string') out['ref'] = s['$ref'];
  if (s['default'] !== undefined) out['default'] = yaml(s['default']);
  if (Array.isArray(s['required'])) out['required'] = s['required'];
  if (Array.isArray(s['enum'])) out['enum'] = s['enum'].map(yaml);
  if (s['type'] !== undefined) out['type'] = { value: Array.isArray(s['type']) ? s['type'] : [s['type']] };
  if (s['items'] !== undefined) out['items'] = { schema: (Array.isArray(s['items']) ? s['items'] : [s['items']]).map((i) => schemaMessage(i as Json)) };
  if (Array.isArray(s['allOf'])) out['allOf'] = s['allOf'].map((i) => schemaMessage(i as Json));
  const additional = s['additionalProperties'];
  if (typeof additional === 'boolean') out['additionalProperties'] = { boolean: additional };
  else if (additional && typeof additional === 'object') out['additionalProperties'] = { schema: schemaMessage(additional as Json) };
  if (s['properties'] && typeof s['properties'] === 'object') {
    out['properties'] = { additionalProperties: namedSchemas(s['properties'] as Record<string, Json>) };
  }
  const extensions = Object.entries(s).filter(([k]) => k.startsWith('x-'));
  if (extensions.length) out['vendorExtension'] = extensions.map(([name, value]) => ({ name, value: yaml(value) }));
  return out;
}

function namedSchemas(schemas: Record<string, Json>): Json[] {
  return Object.entries(schemas).map(([name, value]) => ({ name, value: schemaMessage(value) }));
}

/** The Swagger 2.0 JSON document's version, info and definitions in gnostic's protobuf encoding. */
export function encodeOpenApiV2(doc: Json): Uint8Array {
  const info = (doc['info'] ?? {}) as Json;
  const message = DocumentType.fromObject({
    swagger: doc['swagger'],
    info: { title: info['title'], version: info['version'] },
    definitions: { additionalProperties: namedSchemas((doc['definitions'] ?? {}) as Record<string, Json>) },
  });
  return DocumentType.encode(message).finish();
}

/** Decodes what encodeOpenApiV2 wrote (for tests and diagnostics). */
export function decodeOpenApiV2(bytes: Uint8Array): Json {
  return DocumentType.toObject(DocumentType.decode(bytes), { longs: Number, oneofs: false, defaults: false });
}
