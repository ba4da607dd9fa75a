import { ManifestInvalidError } from './manifest-errors';
import { MediaTypes } from './media-types';
import { parseManifest } from './parse-manifest';
import {
  dockerManifestList,
  layerA,
  ociIndexNoType,
  ociManifest,
  ociManifestNoType,
  schema1Signed,
  schema2Manifest,
} from './testing/manifest-fixtures';

const json = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('parseManifest: kind detection', () => {
  it.each([
    [
      'docker schema2 + header',
      schema2Manifest.raw,
      MediaTypes.dockerManifest,
      'image',
      'docker',
      MediaTypes.dockerManifest,
    ],
    [
      'docker schema2, no header',
      schema2Manifest.raw,
      undefined,
      'image',
      'docker',
      MediaTypes.dockerManifest,
    ],
    [
      'OCI manifest with mediaType',
      ociManifest.raw,
      MediaTypes.ociManifest,
      'image',
      'oci',
      MediaTypes.ociManifest,
    ],
    [
      'OCI manifest, type from header only',
      ociManifestNoType.raw,
      MediaTypes.ociManifest,
      'image',
      'oci',
      MediaTypes.ociManifest,
    ],
    [
      'OCI manifest, type from shape',
      ociManifestNoType.raw,
      'application/json',
      'image',
      'oci',
      MediaTypes.ociManifest,
    ],
    [
      'header with parameters',
      ociManifest.raw,
      `${MediaTypes.ociManifest}; charset=utf-8`,
      'image',
      'oci',
      MediaTypes.ociManifest,
    ],
    [
      'docker manifest list',
      dockerManifestList.raw,
      MediaTypes.dockerManifestList,
      'list',
      'docker',
      MediaTypes.dockerManifestList,
    ],
    [
      'OCI index, type from header',
      ociIndexNoType.raw,
      MediaTypes.ociIndex,
      'list',
      'oci',
      MediaTypes.ociIndex,
    ],
    ['OCI index, type from shape', ociIndexNoType.raw, '', 'list', 'oci', MediaTypes.ociIndex],
  ])('%s', (_name, raw, header, kind, format, mediaType) => {
    expect(parseManifest(raw, header)).toMatchObject({ kind, format, mediaType });
  });

  it.each([
    ['signed, with header', MediaTypes.dockerSchema1Signed, MediaTypes.dockerSchema1Signed],
    ['signed, no header', undefined, MediaTypes.dockerSchema1Signed],
    ['plain header', MediaTypes.dockerSchema1, MediaTypes.dockerSchema1],
  ])('schema1 (%s) is an explicit unsupported result', (_name, header, mediaType) => {
    expect(parseManifest(schema1Signed.raw, header)).toEqual({
      kind: 'unsupported',
      reason: 'schema1',
      mediaType,
    });
  });

  it('reports unknown media types instead of guessing', () => {
    const artifact = json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
      blobs: [],
    });
    expect(parseManifest(artifact, 'application/vnd.oci.artifact.manifest.v1+json')).toEqual({
      kind: 'unknown',
      mediaType: 'application/vnd.oci.artifact.manifest.v1+json',
    });
    expect(parseManifest(json({ schemaVersion: 2 }), 'text/plain')).toEqual({
      kind: 'unknown',
      mediaType: '',
    });
  });

  it('returns typed documents: layers in wire order, platforms, annotations', () => {
    const image = parseManifest(ociManifest.raw, MediaTypes.ociManifest);
    if (image.kind !== 'image') throw new Error('expected an image');
    expect(image.manifest.layers.map((l) => l.digest)).toEqual([layerA.digest, expect.any(String)]);
    expect(image.manifest.annotations).toEqual({
      'org.opencontainers.image.source': 'https://example.com/app',
    });

    const list = parseManifest(ociIndexNoType.raw, MediaTypes.ociIndex);
    if (list.kind !== 'list') throw new Error('expected a list');
    expect(list.manifest.mediaType).toBeUndefined();
    expect(list.manifest.manifests[0]).toEqual({
      mediaType: MediaTypes.ociManifest,
      digest: ociManifest.digest,
      size: ociManifest.size,
      platform: { architecture: 'amd64', os: 'linux' },
    });
    expect(list.manifest.manifests[1]).not.toHaveProperty('platform');
  });
});

describe('parseManifest: validation', () => {
  const good = JSON.parse(schema2Manifest.raw.toString()) as Record<string, unknown>;
  const withLayer = (layer: unknown) => json({ ...good, layers: [layer] });

  it.each([
    [
      'malformed JSON',
      Buffer.from('{"schemaVersion": 2,'),
      MediaTypes.dockerManifest,
      /manifest is not valid JSON/,
    ],
    ['empty body', Buffer.alloc(0), MediaTypes.dockerManifest, /not valid JSON/],
    ['a JSON array', json([1, 2]), MediaTypes.dockerManifest, /manifest must be an object/],
    ['schemaVersion 3', json({ ...good, schemaVersion: 3 }), undefined, /schemaVersion must be 2/],
    [
      'schemaVersion missing',
      json({ mediaType: MediaTypes.dockerManifest }),
      undefined,
      /schemaVersion must be 2/,
    ],
    ['header contradicts body', schema2Manifest.raw, MediaTypes.ociManifest, /does not match Content-Type/],
    ['image without config', json({ ...good, config: undefined }), undefined, /config must be an object/],
    ['image without layers', json({ ...good, layers: undefined }), undefined, /layers must be an array/],
    [
      'layer with bad digest',
      withLayer({ mediaType: 'x', size: 1, digest: 'sha256:abc' }),
      undefined,
      /layers\[0\]\.digest .* not a valid digest/,
    ],
    [
      'layer with upper-case digest',
      withLayer({ mediaType: 'x', size: 1, digest: layerA.digest.toUpperCase() }),
      undefined,
      /not a valid digest/,
    ],
    [
      'layer with negative size',
      withLayer({ mediaType: 'x', size: -1, digest: layerA.digest }),
      undefined,
      /layers\[0\]\.size/,
    ],
    [
      'layer with fractional size',
      withLayer({ mediaType: 'x', size: 1.5, digest: layerA.digest }),
      undefined,
      /layers\[0\]\.size/,
    ],
    [
      'layer without mediaType',
      withLayer({ size: 1, digest: layerA.digest }),
      undefined,
      /layers\[0\]\.mediaType must be a string/,
    ],
    [
      'list entry without platform os',
      json({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifestList,
        manifests: [{ mediaType: 'x', size: 1, digest: layerA.digest, platform: { architecture: 'amd64' } }],
      }),
      undefined,
      /manifests\[0\]\.platform\.os/,
    ],
    [
      'list whose manifests is not an array',
      json({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: {} }),
      undefined,
      /manifests must be an array/,
    ],
    [
      'schema1 type with schemaVersion 2',
      json({ ...good, mediaType: undefined }),
      MediaTypes.dockerSchema1,
      /must have schemaVersion 1/,
    ],
    [
      'non-string annotations',
      json({ ...good, annotations: { a: 1 } }),
      undefined,
      /annotations\.a must be a string/,
    ],
  ])('rejects %s', (_name, raw, header, message) => {
    expect(() => parseManifest(raw, header)).toThrow(ManifestInvalidError);
    expect(() => parseManifest(raw, header)).toThrow(message);
  });

  it('marks parse failures as permanent', () => {
    try {
      parseManifest('nope', MediaTypes.ociManifest);
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestInvalidError);
      expect((err as ManifestInvalidError).retryable).toBe(false);
    }
  });
});
