import type { Image } from '../image/image.types';
import { matchingImages } from '../isimage/imagestreamimage.handler';
import { buildImageStreamLayers, validateImageStreamLayers } from './imagestream-layers';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';

describe('buildImageStreamLayers', () => {
  const images = new Map<string, Image>([
    [d('1'), { metadata: { name: d('1') }, dockerImageReference: 'x', dockerImageManifestMediaType: schema2, dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {}, Id: d('c') }, dockerImageLayers: [{ name: d('a'), size: 1, mediaType: 'gz' }] }],
    [d('2'), { metadata: { name: d('2') }, dockerImageReference: 'x', dockerImageManifests: [{ digest: d('1'), mediaType: schema2, manifestSize: 1, architecture: 'amd64', os: 'linux' }, { digest: d('3'), mediaType: schema2, manifestSize: 1, architecture: 'arm64', os: 'linux' }] }],
    [d('4'), { metadata: { name: d('4') }, dockerImageReference: 'x', dockerImageManifestMediaType: 'application/vnd.docker.distribution.manifest.v1+json', dockerImageLayers: [{ name: d('a'), size: 1, mediaType: 'gz' }] }],
  ]);

  it('walks history images and list children; missing images are marked; schema1 has no config blob', () => {
    const view = buildImageStreamLayers({ name: 's' }, [d('2'), d('4'), d('9')], images);
    expect(view.images).toEqual({
      [d('2')]: { imageMissing: false, layers: null, config: null, manifests: [d('1'), d('3')] },
      [d('1')]: { imageMissing: false, layers: [d('a')], config: d('c') },
      [d('3')]: { imageMissing: true, layers: null, config: null },
      [d('4')]: { imageMissing: false, layers: [d('a')], config: null },
      [d('9')]: { imageMissing: true, layers: null, config: null },
    });
    expect(view.blobs).toEqual({
      [d('a')]: { size: 1, mediaType: 'gz' },
      [d('c')]: { size: null, mediaType: 'application/vnd.docker.container.image.v1+json' },
      [d('1')]: { size: null, mediaType: schema2 },
      [d('2')]: { size: null, mediaType: schema2 },
      [d('4')]: { size: null, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' },
    });
  });
});

describe('matchingImages (ImageStreamImage ids)', () => {
  const names = [`sha256:ab${'0'.repeat(62)}`, `sha256:ac${'0'.repeat(62)}`, `sha256:ab${'0'.repeat(62)}`];
  it.each([
    [`sha256:ab${'0'.repeat(62)}`, 1],
    ['ab', 1],
    ['sha256:ab', 1],
    ['a', 2],
    ['sha256:', 2],
    ['ff', 0],
  ])('%s matches %d distinct image(s)', (id, count) => {
    expect(matchingImages(names, id)).toHaveLength(count);
  });
});

describe('validateImageStreamLayers (openshift ValidateImageStreamLayers)', () => {
  const ok = { imageMissing: false, layers: null, config: null };
  const view = (images: Record<string, { imageMissing: boolean; layers: string[] | null; config: string | null; manifests?: string[] }>) => ({
    kind: 'ImageStreamLayers',
    apiVersion: 'image.openshift.io/v1',
    metadata: {},
    blobs: {},
    images,
  });

  it('accepts what buildImageStreamLayers makes of sound images', () => {
    expect(validateImageStreamLayers(view({ a: { ...ok, layers: ['l'], config: 'c' }, b: { ...ok, manifests: ['a'] }, c: { ...ok, imageMissing: true } }))).toEqual([]);
  });

  it('refuses empty names, blobs of missing images and blobs beside manifests, at upstream paths', () => {
    const errors = validateImageStreamLayers(
      view({
        m: { imageMissing: true, layers: ['l'], config: 'c', manifests: ['x'] },
        i: { ...ok, layers: ['', 'l'], config: '' },
        x: { ...ok, layers: ['l'], config: 'c', manifests: [''] },
      }),
    );
    expect(errors.map((e) => [e.field, e.detail])).toEqual([
      ['images[i].layers[0]', 'layer cannot be empty'],
      ['images[i].config', 'config cannot be an empty string'],
      ['images[m].layers', 'layers must be empty if image is missing'],
      ['images[m].config', 'config must be null if image is missing'],
      ['images[m].manifest', 'manifests must be empty if image is missing'],
      ['images[x].layers', 'layers must be empty if manifests are present'],
      ['images[x].config', 'config must be null if manifests are present'],
      ['images[x].manifests[0]', 'manifest cannot be empty'],
    ]);
  });
});
