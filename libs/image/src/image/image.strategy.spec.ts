import { ImageStrategy } from './image.strategy';
import type { Image } from './image.types';

const strategy = new ImageStrategy();
const d = `sha256:${'a'.repeat(64)}`;

function image(extra: Partial<Image> = {}): Image {
  return { metadata: { name: d }, dockerImageReference: `quay.io/x/y@${d}`, ...extra };
}

describe('ImageStrategy', () => {
  it('defaults the DockerImage metadata document', () => {
    const i = image();
    strategy.prepareForCreate(i);
    expect(i.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {} });
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
        'dockerImageManifests[0].manifestSize: FieldValueInvalid',
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
  ])('validate: %s', (_name, i, expected) => {
    expect(strategy.validate(i).map((e) => `${e.field}: ${e.type}`)).toEqual(expected);
  });
});
