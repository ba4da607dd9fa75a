import { digestOf } from '@app/registry';
import { defaultImage, ImageStrategy } from './image.strategy';
import type { Image } from './image.types';

const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const config = JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2025-01-01T00:00:00Z', config: { Cmd: ['run'] } });
const layer = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: digestOf('l'), size: 10 };
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: schema2,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digestOf(config), size: config.length },
  layers: [layer],
});
const m = digestOf(manifest);
const manifestImage = (extra: Partial<Image> = {}): Image => ({ metadata: { name: m }, dockerImageReference: `quay.io/x/y@${m}`, ...extra });
/** What the store does on create: prepare, then canonicalize. */
function created(i: Image): Image {
  strategy.prepareForCreate(i);
  strategy.canonicalize(i);
  return i;
}

const strategy = new ImageStrategy();
const d = `sha256:${'a'.repeat(64)}`;

function image(extra: Partial<Image> = {}): Image {
  return { metadata: { name: d }, dockerImageReference: `quay.io/x/y@${d}`, ...extra };
}

describe('ImageStrategy', () => {
  it('defaults the DockerImage metadata document', () => {
    const i = image();
    strategy.prepareForCreate(i);
    expect(i.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} });
    expect(i.dockerImageMetadataVersion).toBe('1.0');
  });

  it('drops the raw manifest and config when the registry stored them', () => {
    const i = image({ dockerImageManifest: '{}', dockerImageConfig: '{}' });
    i.metadata.annotations = { 'image.openshift.io/manifestBlobStored': 'true' };
    strategy.canonicalize(i);
    expect(i.dockerImageManifest).toBeUndefined();
    expect(i.dockerImageConfig).toBeUndefined();
  });

  it('keeps metadata, layers and schema1 signatures immutable on update', () => {
    const old = image({ dockerImageLayers: [{ name: 'sha256:l', size: 1, mediaType: 'm' }] });
    strategy.prepareForCreate(old);
    const next = structuredClone(old);
    next.dockerImageLayers = [];
    next.dockerImageMetadata = { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {}, Size: 5 };
    next.metadata.labels = { changed: 'yes' };
    strategy.prepareForUpdate(next, old);
    expect(next.dockerImageLayers).toEqual(old.dockerImageLayers);
    expect(next.dockerImageMetadata).toEqual(old.dockerImageMetadata);
    expect(next.metadata.labels).toEqual({ changed: 'yes' });
  });

  it('derives metadata from the manifest and config on create', () => {
    const i = created(manifestImage({ dockerImageManifest: manifest, dockerImageConfig: config }));
    expect(i.dockerImageLayers).toEqual([{ name: layer.digest, size: 10, mediaType: layer.mediaType }]);
    expect(i.dockerImageMetadata).toMatchObject({ Id: digestOf(config), Architecture: 'amd64', Config: { Cmd: ['run'] }, Size: config.length + 10 });
    expect(i.dockerImageManifestMediaType).toBe(schema2);
    expect(i.dockerImageMetadataVersion).toBe('1.0');
    expect(i.metadata.annotations).toEqual({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
  });

  it('derives before dropping the raw manifest and config the registry stored', () => {
    const i = created(
      manifestImage({ dockerImageManifest: manifest, dockerImageConfig: config, metadata: { name: m, annotations: { 'image.openshift.io/manifestBlobStored': 'true' } } }),
    );
    expect(i.dockerImageMetadata?.Id).toBe(digestOf(config));
    expect(i.dockerImageLayers).toHaveLength(1);
    expect(i.dockerImageManifest).toBeUndefined();
    expect(i.dockerImageConfig).toBeUndefined();
  });

  it('update: accepts a manifest that hashes to the name and derives metadata from it', () => {
    const old = created(manifestImage({ dockerImageManifestMediaType: schema2 }));
    const next = structuredClone(old);
    next.dockerImageManifest = manifest;
    next.dockerImageConfig = config;
    strategy.prepareForUpdate(next, old);
    expect(next.dockerImageManifest).toBe(manifest);
    expect(next.dockerImageConfig).toBe(config);
    expect(next.dockerImageMetadata).toMatchObject({ Id: digestOf(config), Size: config.length + 10 });
    expect(next.dockerImageLayers).toHaveLength(1);
  });

  it('update: keeps the stored manifest/config when the new ones do not match', () => {
    const old = created(manifestImage({ dockerImageManifest: manifest, dockerImageConfig: config }));
    const next = structuredClone(old);
    next.dockerImageManifest = '{"schemaVersion":2}';
    next.dockerImageConfig = '{"architecture":"arm64"}';
    strategy.prepareForUpdate(next, old);
    expect(next.dockerImageManifest).toBe(manifest);
    expect(next.dockerImageConfig).toBe(config);
    expect(next.dockerImageMetadata).toEqual(old.dockerImageMetadata);
  });

  it('strips the deprecated managed-signature annotation from signatures', () => {
    const sig = { metadata: { name: `${d}@s`, annotations: { 'image.openshift.io/managed-signature': 'true' } }, type: 't', content: 'YQ==' };
    const i = created(image({ signatures: [sig] }));
    expect(i.signatures![0]!.metadata).toEqual({ name: `${d}@s` });
  });

  it.each([
    ['valid', image(), []],
    ['missing reference', image({ dockerImageReference: '' }), ['dockerImageReference: FieldValueRequired']],
    ['bad reference', image({ dockerImageReference: 'Bad Ref' }), ['dockerImageReference: FieldValueInvalid']],
    [
      'manifest list entries',
      image({ dockerImageManifests: [{ digest: 'nope', mediaType: 'bad', manifestSize: -1, architecture: '', os: '' }] }),
      [
        'dockerImageManifests[0].digest: FieldValueInvalid',
        'dockerImageManifests[0].mediaType: FieldValueInvalid',
        'dockerImageManifests[0].architecture: FieldValueRequired',
        'dockerImageManifests[0].os: FieldValueRequired',
        'dockerImageManifests[0].size: FieldValueInvalid',
      ],
    ],
    [
      'layers with manifests',
      image({
        dockerImageManifests: [{ digest: d, mediaType: 'application/vnd.oci.image.manifest.v1+json', manifestSize: 1, architecture: 'amd64', os: 'linux' }],
        dockerImageLayers: [{ name: 'sha256:l', size: 1, mediaType: 'm' }],
      }),
      ['dockerImageLayers: FieldValueInvalid'],
    ],
    ['a valid signature', image({ signatures: [{ metadata: { name: `${d}@sig` }, type: 'AtomicImageV1', content: 'YQ==' }] }), []],
    [
      'signatures without a proper name, type or content',
      image({ signatures: [{ metadata: { name: `${d}@sig` }, type: 't', content: 'YQ==' }, { metadata: { name: 'nosig' }, type: '', content: '' }] }),
      ['signatures[1].metadata.name: FieldValueInvalid', 'signatures[1].type: FieldValueRequired', 'signatures[1].content: FieldValueRequired'],
    ],
  ])('validate: %s', (_name, i, expected) => {
    expect(strategy.validate(i).map((e) => `${e.field}: ${e.type}`)).toEqual(expected);
  });
});

describe('defaultImage (dockerImageMetadata as Go encodes docker10.DockerImage)', () => {
  it('keeps only the type’s fields, leaves out empty ones, and always has Id, Created and ContainerConfig', () => {
    const image = {
      metadata: { name: 'sha256:x' },
      dockerImageMetadata: {
        kind: 'DockerImage',
        apiVersion: 'image.openshift.io/1.0',
        Architecture: 'arm64',
        Os: 'linux',
        Variant: 'v8',
        Foo: 'bar',
        Size: 0,
        Config: { Env: ['A=1'], StopSignal: 'SIGTERM', Labels: {}, Tty: false },
      },
    } as unknown as Image;
    defaultImage(image);
    expect(image.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: '',
      Created: null,
      ContainerConfig: {},
      Architecture: 'arm64',
      Config: { Env: ['A=1'] },
    });
  });
});
