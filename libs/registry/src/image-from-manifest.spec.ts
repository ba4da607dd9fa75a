import type { ParsedImage } from './parsed-image.types';
import { digestOf } from './digest';
import { registryPushedImageAnnotations } from './image-annotations';
import { fillMissingPlatforms, imageFromManifest } from './image-from-manifest';
import { DigestMismatchError, ManifestInvalidError, UnsupportedManifestError } from './manifest-errors';
import { MediaTypes } from './media-types';
import { referenceByDigest } from './pull-spec';
import {
  blob,
  dockerConfig,
  dockerManifestList,
  layerA,
  layerB,
  ociConfig,
  ociIndexNoType,
  ociManifest,
  ociManifestNoType,
  schema1Signed,
  schema2Manifest,
} from './testing/manifest-fixtures';

const now = new Date('2025-03-01T10:00:00.500Z');
const repo = '127.0.0.1:5000/myproject/app';

describe('imageFromManifest: single images', () => {
  it('maps an OCI manifest + config to a complete Image', () => {
    const image = imageFromManifest({
      digest: ociManifest.digest,
      rawManifest: ociManifest.raw,
      mediaType: MediaTypes.ociManifest,
      rawConfig: ociConfig.raw,
      pullSpec: `${repo}:v1`,
      annotations: registryPushedImageAnnotations(),
    });
    expect(image).toEqual({
      kind: 'Image',
      apiVersion: 'image.openshift.io/v1',
      metadata: {
        name: ociManifest.digest,
        annotations: {
          'image.openshift.io/dockerLayersOrder': 'ascending',
          'image.openshift.io/manifestBlobStored': 'true',
          'openshift.io/image.managed': 'true',
        },
      },
      dockerImageReference: `${repo}@${ociManifest.digest}`,
      dockerImageMetadata: {
        kind: 'DockerImage',
        apiVersion: 'image.openshift.io/1.0',
        Id: ociConfig.digest,
        Created: '2024-05-01T10:20:30Z',
        Author: 'builder@example.com',
        ContainerConfig: {},
        Config: {
          User: '1001',
          ExposedPorts: { '8080/tcp': {} },
          Env: ['PATH=/usr/local/bin:/usr/bin', 'APP_HOME=/opt/app'],
          Entrypoint: ['/usr/bin/entry'],
          Cmd: ['run', '--port=8080'],
          WorkingDir: '/opt/app',
          Labels: { 'io.k8s.display-name': 'app', version: '1.2.3' },
        },
        Architecture: 'amd64',
        Os: 'linux',
        Size: ociConfig.size + layerA.size + layerB.size,
      },
      dockerImageMetadataVersion: '1.0',
      dockerImageManifestMediaType: MediaTypes.ociManifest,
      dockerImageManifest: ociManifest.raw.toString(),
      dockerImageConfig: ociConfig.raw.toString(),
      dockerImageLayers: [
        { name: layerA.digest, size: layerA.size, mediaType: MediaTypes.ociLayerGzip },
        { name: layerB.digest, size: layerB.size, mediaType: MediaTypes.ociLayerGzip },
      ],
    });
  });

  it('maps a docker schema2 image: docker-only fields, variant, distinct layer sizes', () => {
    const image = imageFromManifest({
      digest: schema2Manifest.digest,
      rawManifest: schema2Manifest.raw,
      mediaType: MediaTypes.dockerManifest,
      rawConfig: dockerConfig.raw.toString(),
      pullSpec: 'quay.io/org/tool',
    });
    expect(image.metadata).toEqual({ name: schema2Manifest.digest });
    expect(image.dockerImageReference).toBe(`quay.io/org/tool@${schema2Manifest.digest}`);
    expect(image.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: dockerConfig.digest,
      Created: '2023-01-02T03:04:05Z',
      Parent: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
      Container: 'abc123',
      ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'], Hostname: 'abc123' },
      DockerVersion: '24.0.5',
      Config: { Env: ['PATH=/bin'], Cmd: ['sh'], Image: 'sha256:0123', Volumes: { '/data': {} } },
      Architecture: 'arm64',
      Os: 'linux',
      Variant: 'v8',
      // layer A is listed twice but stored once
      Size: dockerConfig.size + layerA.size + layerB.size,
    });
    expect(image.dockerImageLayers?.map((l) => l.name)).toEqual([
      layerA.digest,
      layerB.digest,
      layerA.digest,
    ]);
    expect(image.dockerImageLayers?.[0]?.mediaType).toBe(MediaTypes.dockerLayer);
    expect(image).not.toHaveProperty('dockerImageManifests');
  });

  it('accepts an OCI manifest whose type only the header names', () => {
    const image = imageFromManifest({
      digest: ociManifestNoType.digest,
      rawManifest: ociManifestNoType.raw,
      mediaType: MediaTypes.ociManifest,
      rawConfig: ociConfig.raw,
      pullSpec: repo,
    });
    expect(image.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
    expect(image.dockerImageMetadata.Size).toBe(ociConfig.size + layerA.size);
  });

  it('keeps a config without `config` block minimal', () => {
    const bare = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: digestOf(bare), size: bare.length },
        layers: [],
      }),
    );
    const image = imageFromManifest({
      digest: digestOf(manifest),
      rawManifest: manifest,
      rawConfig: bare,
      pullSpec: repo,
    });
    expect(image.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: digestOf(bare),
      ContainerConfig: {},
      Architecture: 'amd64',
      Os: 'linux',
      Size: bare.length,
    });
    expect(image.dockerImageLayers).toEqual([]);
  });
});

describe('imageFromManifest: base-image annotations', () => {
  const base = { 'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}`, 'org.opencontainers.image.base.name': 'quay.io/acme/base:latest' };
  const annotated = (doc: object) => blob({ ...doc, annotations: { ...base, 'org.opencontainers.image.title': 'not copied' } });

  it("keeps an image manifest's OCI base-image annotations on the Image, and no other manifest annotation", () => {
    const manifest = annotated(JSON.parse(ociManifest.raw.toString()));
    const image = imageFromManifest({ digest: manifest.digest, rawManifest: manifest.raw, rawConfig: ociConfig.raw, pullSpec: repo, annotations: registryPushedImageAnnotations() });
    expect(image.metadata.annotations).toEqual({ ...registryPushedImageAnnotations(), ...base });
  });

  it("keeps an index's OCI base-image annotations on the Image", () => {
    const index = annotated(JSON.parse(ociIndexNoType.raw.toString()));
    const image = imageFromManifest({ digest: index.digest, rawManifest: index.raw, pullSpec: repo, now });
    expect(image.metadata.annotations).toEqual(base);
  });

  it('adds no annotations when the manifest has none', () => {
    const image = imageFromManifest({ digest: ociManifest.digest, rawManifest: ociManifest.raw, rawConfig: ociConfig.raw, pullSpec: repo });
    expect(image.metadata).toEqual({ name: ociManifest.digest });
  });
});

describe('imageFromManifest: lists and indexes', () => {
  it.each([
    ['docker manifest list', dockerManifestList, MediaTypes.dockerManifestList],
    ['OCI index', ociIndexNoType, MediaTypes.ociIndex],
  ])('%s: children, Id = list digest, Created = processing time, no layers', (_name, list, mediaType) => {
    const image = imageFromManifest({
      digest: list.digest,
      rawManifest: list.raw,
      mediaType,
      pullSpec: `${repo}:multi`,
      now,
    });
    expect(image.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: list.digest,
      Created: '2025-03-01T10:00:00Z',
      ContainerConfig: {},
    });
    expect(image.dockerImageManifestMediaType).toBe(mediaType);
    expect(image.dockerImageReference).toBe(`${repo}@${list.digest}`);
    expect(image).not.toHaveProperty('dockerImageLayers');
    expect(image).not.toHaveProperty('dockerImageConfig');
  });

  it('lists children with platform, variant only when set; a pushed list has an empty layer order, as the integrated registry records it', () => {
    const image = imageFromManifest({
      digest: dockerManifestList.digest,
      rawManifest: dockerManifestList.raw,
      mediaType: MediaTypes.dockerManifestList,
      pullSpec: repo,
      now,
      annotations: registryPushedImageAnnotations(),
    });
    expect(image.metadata.annotations).toEqual({
      'image.openshift.io/dockerLayersOrder': '',
      'image.openshift.io/manifestBlobStored': 'true',
      'openshift.io/image.managed': 'true',
    });
    expect(image.dockerImageManifests).toEqual([
      {
        digest: schema2Manifest.digest,
        mediaType: MediaTypes.dockerManifest,
        manifestSize: schema2Manifest.size,
        architecture: 'arm64',
        os: 'linux',
        variant: 'v8',
      },
      {
        digest: ociManifest.digest,
        mediaType: MediaTypes.ociManifest,
        manifestSize: ociManifest.size,
        architecture: 'amd64',
        os: 'linux',
      },
    ]);
  });

  it('uses empty platform strings for OCI index entries without a platform', () => {
    const image = imageFromManifest({
      digest: ociIndexNoType.digest,
      rawManifest: ociIndexNoType.raw,
      pullSpec: repo,
      now,
    });
    expect(image.dockerImageManifests?.[1]).toEqual({
      digest: ociManifestNoType.digest,
      mediaType: MediaTypes.ociManifest,
      manifestSize: ociManifestNoType.size,
      architecture: '',
      os: '',
    });
  });
});

describe('imageFromManifest: text Postgres jsonb cannot hold', () => {
  // JSON.stringify writes a lone surrogate as the escape `\ud800` and NUL as `\u0000`, as Go does.
  const config = blob({ architecture: 'amd64', os: 'linux\u0000', author: '\udc00', config: { Env: ['A=\ud800', 'B=\ud83d\udc33'], Labels: { k: 'a\u0000b', ['\ud800']: 'v' } } });
  const layer = { mediaType: 'application/x-\u0000', digest: layerA.digest, size: layerA.size };
  const manifest = blob({
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: config.digest, size: config.size },
    layers: [layer],
    annotations: { 'org.opencontainers.image.base.name': 'base\ud800\u0000' },
  });

  it('a lone surrogate (as Go decodes it) and NUL (which jsonb cannot hold) become U+FFFD everywhere; pairs stay', () => {
    expect(config.raw.toString()).toContain('A=\\ud800');
    const image = imageFromManifest({ digest: manifest.digest, rawManifest: manifest.raw, rawConfig: config.raw, pullSpec: repo, undecodableConfig: 'empty-metadata' });
    expect(image.dockerImageMetadata).toMatchObject({
      Id: config.digest,
      Os: 'linux\uFFFD',
      Author: '\uFFFD',
      Config: { Env: ['A=\uFFFD', 'B=\ud83d\udc33'], Labels: { k: 'a\uFFFDb', ['\uFFFD']: 'v' } },
    });
    expect(image.dockerImageLayers).toEqual([{ name: layerA.digest, size: layerA.size, mediaType: 'application/x-\uFFFD' }]);
    expect(image.metadata.annotations).toEqual({ 'org.opencontainers.image.base.name': 'base\uFFFD\uFFFD' });
    // The raw documents stay as fetched: their escapes are plain text, which jsonb holds.
    const { dockerImageManifest: _m, dockerImageConfig: _c, ...derived } = image;
    expect(JSON.stringify(derived)).not.toMatch(/\\u0000|\\ud[89a-f]/);
  });

  it('an index entry\'s platform too', () => {
    const index = blob({
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [{ mediaType: MediaTypes.ociManifest, digest: manifest.digest, size: manifest.size, platform: { architecture: 'amd64', os: 'linux', variant: 'v\u0000\udfff' } }],
    });
    const image = imageFromManifest({ digest: index.digest, rawManifest: index.raw, pullSpec: repo, now });
    expect(image.dockerImageManifests?.[0]?.variant).toBe('v\uFFFD\uFFFD');
  });
});

describe('imageFromManifest: refusals', () => {
  const base = { pullSpec: repo, mediaType: MediaTypes.ociManifest };

  it.each([
    [
      'manifest bytes that do not match the digest',
      { ...base, digest: digestOf('other'), rawManifest: ociManifest.raw, rawConfig: ociConfig.raw },
      DigestMismatchError,
      /manifest digest mismatch/,
    ],
    [
      'a config that is not the manifest config',
      { ...base, digest: ociManifest.digest, rawManifest: ociManifest.raw, rawConfig: dockerConfig.raw },
      DigestMismatchError,
      /config digest mismatch/,
    ],
    [
      'a single image without its config',
      { ...base, digest: ociManifest.digest, rawManifest: ociManifest.raw },
      ManifestInvalidError,
      /requires its config blob/,
    ],
    [
      'schema1',
      {
        pullSpec: repo,
        digest: schema1Signed.digest,
        rawManifest: schema1Signed.raw,
        mediaType: MediaTypes.dockerSchema1Signed,
      },
      UnsupportedManifestError,
      /schema1 manifests are not supported/,
    ],
    [
      'an unknown media type',
      {
        pullSpec: repo,
        digest: digestOf('{"schemaVersion":2}'),
        rawManifest: '{"schemaVersion":2}',
        mediaType: 'text/plain',
      },
      UnsupportedManifestError,
      /unsupported manifest media type/,
    ],
    [
      'malformed JSON',
      { pullSpec: repo, digest: digestOf('{'), rawManifest: '{', mediaType: MediaTypes.ociManifest },
      ManifestInvalidError,
      /not valid JSON/,
    ],
  ])('rejects %s', (_name, input, type, message) => {
    expect(() => imageFromManifest(input)).toThrow(type);
    expect(() => imageFromManifest(input)).toThrow(message);
  });

  it('rejects a config that is not JSON even when its digest matches', () => {
    const config = Buffer.from('not json');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: config.length },
        layers: [],
      }),
    );
    expect(() =>
      imageFromManifest({
        digest: digestOf(manifest),
        rawManifest: manifest,
        rawConfig: config,
        pullSpec: repo,
      }),
    ).toThrow(/image config is not valid JSON/);
  });

  it.each([
    ['not JSON', 'not json'],
    ['a created that is not RFC 3339', JSON.stringify({ created: 'yesterday', architecture: 'amd64' })],
    ['a field of the wrong type', JSON.stringify({ config: { Env: 'A=1' } })],
  ])('with undecodableConfig: empty-metadata, a config that is %s leaves only layers and media type', (_what, text) => {
    const config = Buffer.from(text);
    const layer = { mediaType: MediaTypes.ociLayerGzip, digest: digestOf('layer'), size: 5 };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: config.length },
        layers: [layer],
      }),
    );
    const image = imageFromManifest({
      digest: digestOf(manifest),
      rawManifest: manifest,
      rawConfig: config,
      pullSpec: repo,
      undecodableConfig: 'empty-metadata',
    });
    expect(image.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', ContainerConfig: {} });
    expect(image.dockerImageLayers).toEqual([{ name: layer.digest, size: 5, mediaType: MediaTypes.ociLayerGzip }]);
    expect(image.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
  });
});

describe('referenceByDigest', () => {
  const d = digestOf('x');
  it.each([
    ['host:5000/ns/app:v1', `host:5000/ns/app@${d}`],
    ['host:5000/ns/app', `host:5000/ns/app@${d}`],
    [`host/ns/app@${digestOf('old')}`, `host/ns/app@${d}`],
    ['busybox:latest', `busybox@${d}`],
    ['localhost:5000/app', `localhost:5000/app@${d}`],
  ])('%s', (spec, expected) => {
    expect(referenceByDigest(spec, d)).toBe(expected);
  });
});

describe('fillMissingPlatforms', () => {
  const child = (name: string, Architecture: string, Variant?: string) =>
    ({ metadata: { name }, dockerImageMetadata: { Architecture, Os: 'linux', ...(Variant ? { Variant } : {}) } }) as unknown as ParsedImage;
  const list = (entries: { digest: string; architecture?: string; os?: string; variant?: string }[]) =>
    ({ dockerImageManifests: entries.map((e) => ({ mediaType: MediaTypes.ociManifest, manifestSize: 1, ...e })) }) as unknown as ParsedImage;

  it("fills an entry without a platform from its child's config, and leaves an entry that names one as written", () => {
    const index = list([{ digest: 'sha256:a' }, { digest: 'sha256:b', architecture: 'arm', os: 'linux' }]);
    fillMissingPlatforms(index, [child('sha256:a', 'arm', 'v6'), child('sha256:b', 'arm', 'v7')]);
    expect(index.dockerImageManifests).toEqual([
      { mediaType: MediaTypes.ociManifest, manifestSize: 1, digest: 'sha256:a', architecture: 'arm', os: 'linux', variant: 'v6' },
      // upstream copies platform.variant only: the child's config variant is not added
      { mediaType: MediaTypes.ociManifest, manifestSize: 1, digest: 'sha256:b', architecture: 'arm', os: 'linux' },
    ]);
  });
});
