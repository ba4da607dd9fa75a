import { digestOf } from '@app/registry';
import { configMatchesImage, deriveImageMetadata, deriveListChildren, manifestMatchesImage, reorderImageLayers } from './image-metadata';
import type { Image } from './image.types';

const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const oci = 'application/vnd.oci.image.manifest.v1+json';
const dockerList = 'application/vnd.docker.distribution.manifest.list.v2+json';
const gzip = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const now = new Date('2025-03-01T10:00:00.456Z');

const config = JSON.stringify({
  created: '2025-02-01T09:58:12.123Z',
  architecture: 'amd64',
  os: 'linux',
  config: { User: '1001', Env: ['PATH=/usr/bin'], Cmd: ['/usr/bin/run'], Labels: { app: 'x' } },
});
const layer1 = { digest: digestOf('layer-1'), size: 100 };
const layer2 = { digest: digestOf('layer-2'), size: 250 };
const manifestDoc = (mediaType: string | undefined, cfg = config) => ({
  schemaVersion: 2,
  ...(mediaType ? { mediaType } : {}),
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digestOf(cfg), size: cfg.length },
  // layer1 twice: Size counts distinct layers once
  layers: [layer1, layer2, layer1].map((l) => ({ mediaType: gzip, ...l })),
});
const manifest = JSON.stringify(manifestDoc(schema2));
const list = JSON.stringify({
  schemaVersion: 2,
  mediaType: dockerList,
  manifests: [
    { mediaType: schema2, digest: digestOf(manifest), size: manifest.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    { mediaType: oci, digest: digestOf('other'), size: 7, platform: { architecture: 'amd64', os: 'linux' } },
  ],
});

function image(extra: Partial<Image> = {}, raw = manifest): Image {
  const name = digestOf(raw);
  return { metadata: { name }, dockerImageReference: `quay.io/x/y@${name}`, dockerImageManifest: raw, ...extra };
}

describe('deriveImageMetadata (InternalImageWithMetadata)', () => {
  it('fills layers, order annotation, media type and config metadata of a schema2 image', () => {
    const i = image({ dockerImageConfig: config });
    expect(deriveImageMetadata(i, { now, creating: true })).toBeNull();
    expect(i.dockerImageLayers).toEqual([
      { name: layer1.digest, size: 100, mediaType: gzip },
      { name: layer2.digest, size: 250, mediaType: gzip },
      { name: layer1.digest, size: 100, mediaType: gzip },
    ]);
    expect(i.metadata.annotations).toEqual({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
    expect(i.dockerImageManifestMediaType).toBe(schema2);
    expect(i.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: digestOf(config),
      Created: '2025-02-01T09:58:12Z',
      ContainerConfig: {},
      Config: { User: '1001', Env: ['PATH=/usr/bin'], Cmd: ['/usr/bin/run'], Labels: { app: 'x' } },
      Architecture: 'amd64',
      Os: 'linux',
      Size: config.length + 100 + 250,
    });
  });

  it('takes the media type from the image, else docker schema2, when the manifest names none', () => {
    const bare = JSON.stringify(manifestDoc(undefined));
    const given = image({ dockerImageConfig: config, dockerImageManifestMediaType: oci }, bare);
    deriveImageMetadata(given, { now, creating: true });
    expect(given.dockerImageManifestMediaType).toBe(oci);
    const none = image({ dockerImageConfig: config }, bare);
    deriveImageMetadata(none, { now, creating: true });
    expect(none.dockerImageManifestMediaType).toBe(schema2);
  });

  it('fills a manifest list: Id = name, Created = now; its media type stays as sent (none here)', () => {
    const i = image({}, list);
    expect(deriveImageMetadata(i, { now, creating: true })).toBeNull();
    expect(i.dockerImageMetadata).toEqual({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {}, Id: i.metadata.name, Created: '2025-03-01T10:00:00Z' });
    expect(i.dockerImageManifestMediaType).toBeUndefined();
    expect(i.dockerImageLayers).toBeUndefined();
  });
});

describe('deriveListChildren (image PrepareForCreate, distribution UnmarshalManifest)', () => {
  const ociIndex = 'application/vnd.oci.image.index.v1+json';
  const children = [
    { digest: digestOf(manifest), mediaType: schema2, manifestSize: manifest.length, architecture: 'arm64', os: 'linux', variant: 'v8' },
    { digest: digestOf('other'), mediaType: oci, manifestSize: 7, architecture: 'amd64', os: 'linux' },
  ];

  it('reads the children when the image says it is a list of the declared type (parameters and case ignored)', () => {
    const i = image({ dockerImageManifestMediaType: `${dockerList.toUpperCase()}; charset=utf-8`, dockerImageManifests: [] }, list);
    deriveListChildren(i);
    expect(i.dockerImageManifests).toEqual(children);
  });

  it.each([
    ['no media type (read as schema1)', undefined, list],
    ['an image manifest media type', schema2, list],
    ['an OCI index type for a declared Docker list', ociIndex, list],
    ['a Docker list type for a list that declares none', dockerList, JSON.stringify({ ...JSON.parse(list), mediaType: undefined })],
    ['an OCI index type for a document with layers', ociIndex, JSON.stringify({ schemaVersion: 2, manifests: [], layers: [] })],
  ])('gives no children for %s', (_name, mediaType, raw) => {
    const sent = [{ digest: digestOf('x'), mediaType: oci, manifestSize: 1, architecture: 'amd64', os: 'linux' }];
    const i = image({ dockerImageManifestMediaType: mediaType, dockerImageManifests: sent }, raw);
    deriveListChildren(i);
    expect(i.dockerImageManifests).toBe(sent);
  });

  it('an OCI index may omit its media type', () => {
    const raw = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: oci, digest: digestOf('c'), size: 3, platform: { architecture: 's390x', os: 'linux' } }] });
    const i = image({ dockerImageManifestMediaType: ociIndex }, raw);
    deriveListChildren(i);
    expect(i.dockerImageManifests).toEqual([{ digest: digestOf('c'), mediaType: oci, manifestSize: 3, architecture: 's390x', os: 'linux' }]);
  });

  it('an OCI index without platforms keeps the platforms ingestion filled in from the children (else validation would refuse it)', () => {
    const bare = JSON.stringify({
      schemaVersion: 2,
      mediaType: ociIndex,
      manifests: [{ mediaType: oci, digest: digestOf('child'), size: 5 }],
    });
    const filled = { digest: digestOf('child'), mediaType: oci, manifestSize: 5, architecture: 'arm64', os: 'linux', variant: 'v8' };
    const i = image({ dockerImageManifestMediaType: ociIndex, dockerImageManifests: [filled] }, bare);
    deriveListChildren(i);
    expect(i.dockerImageManifests).toEqual([filled]);
  });
});

describe('deriveImageMetadata (InternalImageWithMetadata), continued', () => {
  it('keeps a list’s Created on update', () => {
    const i = image({ dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {}, Created: '2020-01-01T00:00:00Z' } }, list);
    deriveImageMetadata(i, { now, creating: false });
    expect(i.dockerImageMetadata?.Created).toBe('2020-01-01T00:00:00Z');
    expect(i.dockerImageManifests).toBeUndefined();
  });

  it('derives layers but no config metadata when the config is missing (upstream stops there)', () => {
    const i = image();
    expect(deriveImageMetadata(i, { now, creating: true })).toMatch(/dockerImageConfig must not be empty/);
    expect(i.dockerImageLayers).toHaveLength(3);
    expect(i.dockerImageMetadata).toBeUndefined();
  });

  it('leaves the image as sent when the manifest does not parse, or the client filled everything', () => {
    const broken = image({ dockerImageConfig: config }, '{not json');
    expect(deriveImageMetadata(broken, { now, creating: true })).not.toBeNull();
    expect(broken.dockerImageLayers).toBeUndefined();
    const filled = image({
      dockerImageConfig: config,
      dockerImageManifestMediaType: schema2,
      dockerImageLayers: [{ name: 'sha256:own', size: 1, mediaType: gzip }],
      dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', ContainerConfig: {}, Size: 42, Id: 'mine' },
      metadata: { name: 'n', annotations: { 'image.openshift.io/dockerLayersOrder': 'ascending' } },
    });
    deriveImageMetadata(filled, { now, creating: true });
    expect(filled.dockerImageMetadata).toMatchObject({ Size: 42, Id: 'mine' });
    expect(filled.dockerImageLayers).toEqual([{ name: 'sha256:own', size: 1, mediaType: gzip }]);
  });

  it('derives even when the manifest does not hash to the name (upstream does not check on create)', () => {
    const i = image({ dockerImageConfig: config, metadata: { name: `sha256:${'f'.repeat(64)}` } });
    deriveImageMetadata(i, { now, creating: true });
    expect(i.dockerImageMetadata?.Id).toBe(digestOf(config));
  });

  it('Size counts the layers the image keeps (client layers) plus the config', () => {
    const i = image({ dockerImageConfig: config, dockerImageLayers: [{ name: 'sha256:a', size: 5, mediaType: gzip }], metadata: { name: 'n', annotations: { 'image.openshift.io/dockerLayersOrder': 'ascending' } } });
    deriveImageMetadata(i, { now, creating: true });
    expect(i.dockerImageMetadata?.Size).toBe(config.length + 5);
  });
});

describe('deriveImageMetadata: schema 1 manifests (InternalImageWithMetadata, fillImageLayers)', () => {
  const schema1 = 'application/vnd.docker.distribution.manifest.v1+json';
  const x = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';
  const v1 = (fields: Record<string, unknown>) => ({ v1Compatibility: JSON.stringify(fields) });
  // Newest first, as schema1 lists them; the base layer (b) appears twice.
  const doc = {
    schemaVersion: 1,
    name: 'library/busybox',
    tag: 'latest',
    architecture: 'amd64',
    fsLayers: [{ blobSum: 'sha256:top' }, { blobSum: 'sha256:b' }, { blobSum: 'sha256:b' }],
    history: [
      v1({
        id: 'top-id',
        parent: 'mid-id',
        created: '2016-03-01T12:34:56.789Z',
        container: 'c1',
        container_config: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'] },
        docker_version: '1.9.1',
        author: 'me',
        config: { Cmd: ['sh'], Env: ['A=1'] },
        architecture: 'amd64',
        os: 'linux',
        Size: 7,
      }),
      v1({ id: 'mid-id', size: 40 }),
      { v1Compatibility: 'not json' },
    ],
    signatures: [{ header: { alg: 'ES256' }, signature: 'c2ln', protected: 'cHJvdA' }],
  };

  it('fills layers base first (sizes from v1Compatibility), the schema1 media type and metadata from the newest entry', () => {
    const i = image({}, JSON.stringify(doc));
    expect(deriveImageMetadata(i, { now, creating: true })).toBeNull();
    expect(i.dockerImageManifestMediaType).toBe(schema1);
    expect(i.dockerImageLayers).toEqual([
      { name: 'sha256:b', size: 0, mediaType: x },
      { name: 'sha256:b', size: 40, mediaType: x },
      { name: 'sha256:top', size: 7, mediaType: x },
    ]);
    expect(i.metadata.annotations).toEqual({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
    expect(i.dockerImageMetadata).toEqual({
      kind: 'DockerImage',
      apiVersion: 'image.openshift.io/1.0',
      Id: 'top-id',
      Parent: 'mid-id',
      Created: '2016-03-01T12:34:56Z',
      Container: 'c1',
      ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'] },
      DockerVersion: '1.9.1',
      Author: 'me',
      Config: { Cmd: ['sh'], Env: ['A=1'] },
      Architecture: 'amd64',
      // Distinct layers only: b's first entry (size 0) counts, its second does not.
      Size: 7,
    });
  });

  it('keeps layers the client gave; stops without metadata on mismatched fsLayers/history or no history', () => {
    const given = image({ dockerImageLayers: [{ name: 'sha256:own', size: 3, mediaType: x }] }, JSON.stringify(doc));
    expect(deriveImageMetadata(given, { now, creating: true })).toBeNull();
    expect(given.dockerImageLayers).toEqual([{ name: 'sha256:own', size: 3, mediaType: x }]);
    expect(given.dockerImageMetadata).toMatchObject({ Id: 'top-id', Size: 3 });

    const mismatched = image({}, JSON.stringify({ ...doc, history: doc.history.slice(0, 2) }));
    expect(deriveImageMetadata(mismatched, { now, creating: true })).toMatch(/mismatched history and fslayer cardinality \(2 != 3\)/);
    expect(mismatched.dockerImageLayers).toBeUndefined();
    expect(mismatched.dockerImageManifestMediaType).toBeUndefined();

    const empty = image({}, JSON.stringify({ schemaVersion: 1, fsLayers: [], history: [] }));
    expect(deriveImageMetadata(empty, { now, creating: true })).toMatch(/without history/);
    expect(empty.dockerImageManifestMediaType).toBe(schema1);
    expect(empty.dockerImageMetadata).toBeUndefined();
  });
});

describe('reorderImageLayers', () => {
  const layers = [
    { name: 'top', size: 1, mediaType: gzip },
    { name: 'base', size: 1, mediaType: gzip },
  ];
  it.each([
    ['schema2 without annotation: newest-first, reversed', schema2, undefined, ['base', 'top'], 'ascending'],
    ['explicit descending', '', 'descending', ['base', 'top'], 'ascending'],
    ['explicit ascending', schema2, 'ascending', ['top', 'base'], 'ascending'],
    ['schema1 without annotation: kept', 'application/vnd.docker.distribution.manifest.v1+json', undefined, ['top', 'base'], 'ascending'],
    ['unknown media type without annotation: untouched', '', undefined, ['top', 'base'], undefined],
  ])('%s', (_name, mediaType, order, expected, annotation) => {
    const i: Image = {
      metadata: { name: 'n', ...(order ? { annotations: { 'image.openshift.io/dockerLayersOrder': order } } : {}) },
      dockerImageReference: 'x',
      dockerImageManifestMediaType: mediaType,
      dockerImageLayers: structuredClone(layers),
    };
    reorderImageLayers(i);
    expect(i.dockerImageLayers!.map((l) => l.name)).toEqual(expected);
    expect(i.metadata.annotations?.['image.openshift.io/dockerLayersOrder']).toBe(annotation);
  });
});

describe('update checks (ManifestMatchesImage, ImageConfigMatchesImage)', () => {
  const stored = (mediaType?: string): Image => ({ metadata: { name: digestOf(manifest) }, dockerImageReference: 'x', dockerImageManifestMediaType: mediaType });
  it.each([
    ['the manifest of the name, same media type', stored(schema2), manifest, true],
    ['the manifest of the name, image without a media type', stored(), manifest, true],
    ['another manifest', stored(schema2), JSON.stringify(manifestDoc(schema2, '{}')), false],
    ['a manifest of another media type', stored(oci), manifest, false],
    ['a list (unsupported upstream)', { ...stored(dockerList), metadata: { name: digestOf(list) } }, list, false],
    ['an image not named by a digest', { ...stored(schema2), metadata: { name: 'plain' } }, manifest, false],
  ])('manifest: %s', (_name, old, raw, expected) => {
    expect(manifestMatchesImage(old, raw)).toBe(expected);
  });

  it('config: only the one the manifest names', () => {
    const next = { ...stored(schema2), dockerImageManifest: manifest };
    expect(configMatchesImage(next, config)).toBe(true);
    expect(configMatchesImage(next, '{"other":true}')).toBe(false);
    expect(configMatchesImage({ ...stored(schema2) }, config)).toBe(false);
  });
});
