import { Writer } from 'protobufjs';
import { decodeKubernetesProtobuf } from './kube-protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** runtime.Unknown{typeMeta{apiVersion, kind}, raw} after the magic number, written field by field. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = Writer.create().uint32((1 << 3) | 2).string(apiVersion).uint32((2 << 3) | 2).string(kind).finish();
  const unknown = Writer.create().uint32((1 << 3) | 2).bytes(typeMeta).uint32((2 << 3) | 2).bytes(raw).finish();
  return Buffer.concat([MAGIC, unknown]);
}

describe('Kubernetes protobuf request bodies', () => {
  it('decodes a Namespace as kubectl create namespace sends it, empty Go fields left out', () => {
    const label = Writer.create().uint32((1 << 3) | 2).string('team').uint32((2 << 3) | 2).string('a').finish();
    const meta = Writer.create().uint32((1 << 3) | 2).string('demo').uint32((2 << 3) | 2).string('').uint32((11 << 3) | 2).bytes(label).finish();
    const ns = Writer.create().uint32((1 << 3) | 2).bytes(meta).uint32((2 << 3) | 2).bytes(new Uint8Array()).finish();
    expect(decodeKubernetesProtobuf(envelope('v1', 'Namespace', ns))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { team: 'a' } } });
  });

  it('is 400 without the magic number and 415 for kinds it does not decode', () => {
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Namespace"}'))).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', new Uint8Array()))).toThrow(expect.objectContaining({ code: 415 }));
  });
});
