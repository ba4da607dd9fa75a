import { imageSchemas, IMAGE } from './image-schemas';
import { metaSchemas } from './meta-schemas';
import { firstTypeMismatch, typedFieldAtPointer } from './type-mismatch';

const schemas = { ...metaSchemas, ...imageSchemas };
const imageStream = imageSchemas[`${IMAGE}.ImageStream`]!;
const image = imageSchemas[`${IMAGE}.Image`]!;

describe('firstTypeMismatch (what Go decoding would refuse)', () => {
  it.each<[string, unknown, ReturnType<typeof firstTypeMismatch>]>([
    ['a valid stream', { metadata: { name: 'x', labels: { a: 'b' } }, spec: { lookupPolicy: { local: true }, tags: [{ name: 't', from: { kind: 'DockerImage', name: 'a' }, generation: 3 }] } }, null],
    ['nulls decode to zero values', { metadata: { labels: null }, spec: { tags: null, lookupPolicy: null } }, null],
    // Go names the struct holding the field and the field path without list indexes or map keys.
    ['a string for a list', { spec: { tags: 'no' } }, { path: 'spec.tags', got: 'string', expected: '[]v1.TagReference', struct: 'ImageStreamSpec', field: 'spec.tags' }],
    ['a number for a name', { metadata: { name: 5 } }, { path: 'metadata.name', got: 'number', expected: 'string', struct: 'ObjectMeta', field: 'metadata.name' }],
    ['a string for a boolean', { spec: { lookupPolicy: { local: 'yes' } } }, { path: 'spec.lookupPolicy.local', got: 'string', expected: 'bool', struct: 'ImageLookupPolicy', field: 'spec.lookupPolicy.local' }],
    ['a fraction for an integer', { spec: { tags: [{ name: 'a', generation: 1.5 }] } }, { path: 'spec.tags[0].generation', got: 'number 1.5', expected: 'int64', struct: 'TagReference', field: 'spec.tags.generation' }],
    // Past 2^53 JSON.parse has already rounded the number: refused, not stored changed.
    ['an integer JSON.parse rounded', { spec: { tags: [{ name: 'a', generation: 2 ** 53 }] } }, { path: 'spec.tags[0].generation', got: 'number 9007199254740992', expected: 'int64', struct: 'TagReference', field: 'spec.tags.generation' }],
    ['an integer past int64', { spec: { tags: [{ name: 'a', generation: 2 ** 63 }] } }, { path: 'spec.tags[0].generation', got: 'number 9223372036854775808', expected: 'int64', struct: 'TagReference', field: 'spec.tags.generation' }],
    ['an exponent past int64', { spec: { tags: [{ name: 'a', generation: 1e30 }] } }, { path: 'spec.tags[0].generation', got: 'number 1e30', expected: 'int64', struct: 'TagReference', field: 'spec.tags.generation' }],
    ['the largest exact integer', { spec: { tags: [{ name: 'a', generation: Number.MAX_SAFE_INTEGER }] } }, null],
    ['an array for an object', { spec: { tags: [{ name: 'a', from: ['x'] }] } }, { path: 'spec.tags[0].from', got: 'array', expected: 'v1.ObjectReference', struct: 'TagReference', field: 'spec.tags.from' }],
    ['a number as a label value', { metadata: { labels: { a: 1 } } }, { path: 'metadata.labels.a', got: 'number', expected: 'string', struct: 'ObjectMeta', field: 'metadata.labels' }],
    ['a string for the metadata', { metadata: 'x' }, { path: 'metadata', got: 'string', expected: 'v1.ObjectMeta', struct: '', field: 'metadata' }],
    ['unknown fields are not its business', { spec: { tagz: 7 } }, null],
    ['patch directives are skipped', { spec: { $setElementOrder: 'x', tags: [{ $patch: 'delete', name: 'a' }] } }, null],
  ])('%s', (_name, body, expected) => {
    expect(firstTypeMismatch(body, imageStream, schemas)).toEqual(expected);
  });

  it.each<[string, unknown, ReturnType<typeof firstTypeMismatch>]>([
    ['a string Size', { Size: 'big' }, { path: 'dockerImageMetadata.Size', got: 'string', expected: 'int64', struct: 'DockerImage', field: 'Size' }],
    ['a number Architecture', { Architecture: 5 }, { path: 'dockerImageMetadata.Architecture', got: 'number', expected: 'string', struct: 'DockerImage', field: 'Architecture' }],
    ['a list Config', { Config: [] }, { path: 'dockerImageMetadata.Config', got: 'array', expected: 'docker10.DockerConfig', struct: 'DockerImage', field: 'Config' }],
    ['a string Env', { Config: { Env: 'A=1' } }, { path: 'dockerImageMetadata.Config.Env', got: 'string', expected: '[]string', struct: 'DockerConfig', field: 'Config.Env' }],
    ['a boolean label (YAML `yes`)', { Config: { Labels: { x: true } } }, { path: 'dockerImageMetadata.Config.Labels.x', got: 'bool', expected: 'string', struct: 'DockerConfig', field: 'Config.Labels' }],
    ['a string exposed port', { ContainerConfig: { ExposedPorts: { '80/tcp': 'x' } } }, { path: 'dockerImageMetadata.ContainerConfig.ExposedPorts.80/tcp', got: 'string', expected: 'struct {}', struct: 'DockerConfig', field: 'ContainerConfig.ExposedPorts' }],
    ['a well-typed document', { kind: 'DockerImage', apiVersion: '1.0', Id: 'sha256:1', Size: 10, Created: '2026-01-01T00:00:00Z', Config: { Env: ['A=1'], ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' } } }, null],
    // kube's decoder matches names exactly: the lower-case fields of a "pre012" document are other fields.
    ['a pre012 document', { container_config: { Env: 'x' }, size: 'big' }, null],
  ])('checks dockerImageMetadata as the DockerImage the conversion decodes: %s', (_name, metadata, expected) => {
    expect(firstTypeMismatch({ dockerImageMetadata: metadata }, image, schemas)).toEqual(expected);
  });

  it('finds the Go field a JSON patch pointer names inside dockerImageMetadata, from DockerImage', () => {
    expect(typedFieldAtPointer(image, '/dockerImageMetadata/Size', schemas)).toEqual({ schema: expect.objectContaining({ type: 'integer' }), at: { struct: 'DockerImage', field: 'Size' } });
    expect(typedFieldAtPointer(image, '/dockerImageMetadata/Config/Env', schemas)?.at).toEqual({ struct: 'DockerConfig', field: 'Config.Env' });
    expect(typedFieldAtPointer(image, '/dockerImageMetadata/Config/Labels/x', schemas)?.at).toEqual({ struct: 'DockerConfig', field: 'Config.Labels' });
    expect(typedFieldAtPointer(image, '/dockerImageMetadata/Unknown', schemas)).toBeNull();
    expect(typedFieldAtPointer(image, '/dockerImageReference', schemas)?.at).toEqual({ struct: '', field: 'dockerImageReference' });
  });

  it('refuses a []byte string that is not standard base64, as Go decoding it does', () => {
    expect(firstTypeMismatch({ dockerImageSignatures: ['c2ln', 'not base64'] }, image, schemas)).toEqual({
      path: 'dockerImageSignatures[1]',
      got: 'string',
      expected: '[]uint8',
      struct: '',
      field: 'dockerImageSignatures',
      message: 'illegal base64 data at input byte 3',
    });
    expect(firstTypeMismatch({ signatures: [{ content: 'aGk=' }] }, image, schemas)).toBeNull();
  });

  it('refuses a non-object body at the root', () => {
    expect(firstTypeMismatch([], imageStream, schemas)).toEqual({ path: '', got: 'array', expected: 'object', struct: '', field: '' });
  });
});
