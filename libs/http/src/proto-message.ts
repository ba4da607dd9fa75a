import { Field, MapField, OneOf, Type } from 'protobufjs';

/** A field: name, number, type, and `repeated` for lists. */
export type ProtoField = [name: string, id: number, type: string, rule?: 'repeated'];

/**
 * A protobuf message type built with protobufjs's reflection API: the schemas this server reads
 * or writes are small subsets of published .proto files, declared next to their use.
 */
export function protoMessage(
  name: string,
  fields: ProtoField[],
  extra: {
    stringMaps?: [name: string, id: number][];
    bytesMaps?: [name: string, id: number][];
    quantityMaps?: [name: string, id: number][];
    oneofs?: Record<string, string[]>;
  } = {},
): Type {
  const type = new Type(name);
  for (const [field, id, fieldType, rule] of fields) type.add(new Field(field, id, fieldType, rule));
  for (const [field, id] of extra.stringMaps ?? []) type.add(new MapField(field, id, 'string', 'string'));
  // map<string, bytes> (a Secret's data).
  for (const [field, id] of extra.bytesMaps ?? []) type.add(new MapField(field, id, 'string', 'bytes'));
  // map<string, resource.Quantity> (a ResourceList): the `Quantity` message must be declared beside.
  for (const [field, id] of extra.quantityMaps ?? []) type.add(new MapField(field, id, 'string', 'Quantity'));
  for (const [oneof, members] of Object.entries(extra.oneofs ?? {})) type.add(new OneOf(oneof, members));
  return type;
}
