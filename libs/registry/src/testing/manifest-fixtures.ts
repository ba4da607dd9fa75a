/**
 * Realistic manifests/configs for unit tests, built as real JSON with real sha256 digests so every
 * verification path runs for real. Not exported from the lib's index.
 */
import { digestOf } from '../digest';
import { MediaTypes } from '../media-types';

export interface Blob {
  raw: Buffer;
  digest: string;
  size: number;
}

export function blob(content: string | object): Blob {
  const raw = Buffer.from(typeof content === 'string' ? content : JSON.stringify(content), 'utf8');
  return { raw, digest: digestOf(raw), size: raw.length };
}

/** Stand-in for a compressed layer: only its digest and size matter to the metadata. */
export function fakeLayer(seed: string, size: number): { digest: string; size: number } {
  return { digest: digestOf(`layer:${seed}`), size };
}

export const ociConfig = blob({
  created: '2024-05-01T10:20:30.123456789Z',
  author: 'builder@example.com',
  architecture: 'amd64',
  os: 'linux',
  config: {
    User: '1001',
    ExposedPorts: { '8080/tcp': {} },
    Env: ['PATH=/usr/local/bin:/usr/bin', 'APP_HOME=/opt/app'],
    Entrypoint: ['/usr/bin/entry'],
    Cmd: ['run', '--port=8080'],
    WorkingDir: '/opt/app',
    Labels: { 'io.k8s.display-name': 'app', version: '1.2.3' },
    ArgsEscaped: true,
  },
  rootfs: { type: 'layers', diff_ids: [digestOf('diff-1'), digestOf('diff-2')] },
  history: [{ created: '2024-05-01T10:20:30Z', created_by: 'ADD rootfs /' }],
});

export const dockerConfig = blob({
  architecture: 'arm64',
  variant: 'v8',
  os: 'linux',
  created: '2023-01-02T03:04:05Z',
  docker_version: '24.0.5',
  parent: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  container: 'abc123',
  container_config: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'], Hostname: 'abc123', Image: '' },
  config: { Env: ['PATH=/bin'], Cmd: ['sh'], Image: 'sha256:0123', Volumes: { '/data': {} }, Labels: null },
  rootfs: { type: 'layers', diff_ids: [digestOf('diff-a')] },
});

export const layerA = fakeLayer('a', 1000);
export const layerB = fakeLayer('b', 2500);

/** Docker schema2 manifest; layer A appears twice to exercise "distinct layers" in Size. */
export const schema2Manifest = blob({
  schemaVersion: 2,
  mediaType: MediaTypes.dockerManifest,
  config: { mediaType: MediaTypes.dockerConfig, size: dockerConfig.size, digest: dockerConfig.digest },
  layers: [
    { mediaType: MediaTypes.dockerLayer, size: layerA.size, digest: layerA.digest },
    { mediaType: MediaTypes.dockerLayer, size: layerB.size, digest: layerB.digest },
    { mediaType: MediaTypes.dockerLayer, size: layerA.size, digest: layerA.digest },
  ],
});

/** OCI manifest with its mediaType field (as skopeo writes it). */
export const ociManifest = blob({
  schemaVersion: 2,
  mediaType: MediaTypes.ociManifest,
  config: { mediaType: MediaTypes.ociConfig, digest: ociConfig.digest, size: ociConfig.size },
  layers: [
    { mediaType: MediaTypes.ociLayerGzip, digest: layerA.digest, size: layerA.size },
    { mediaType: MediaTypes.ociLayerGzip, digest: layerB.digest, size: layerB.size },
  ],
  annotations: { 'org.opencontainers.image.source': 'https://example.com/app' },
});

/** OCI manifest without mediaType: only the Content-Type header (or its shape) says what it is. */
export const ociManifestNoType = blob({
  schemaVersion: 2,
  config: { mediaType: MediaTypes.ociConfig, digest: ociConfig.digest, size: ociConfig.size },
  layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: layerA.digest, size: layerA.size }],
});

export const dockerManifestList = blob({
  schemaVersion: 2,
  mediaType: MediaTypes.dockerManifestList,
  manifests: [
    {
      mediaType: MediaTypes.dockerManifest,
      size: schema2Manifest.size,
      digest: schema2Manifest.digest,
      platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    },
    {
      mediaType: MediaTypes.ociManifest,
      size: ociManifest.size,
      digest: ociManifest.digest,
      platform: { architecture: 'amd64', os: 'linux' },
    },
  ],
});

/** OCI index without mediaType, one entry without platform (allowed by OCI). */
export const ociIndexNoType = blob({
  schemaVersion: 2,
  manifests: [
    {
      mediaType: MediaTypes.ociManifest,
      size: ociManifest.size,
      digest: ociManifest.digest,
      platform: { architecture: 'amd64', os: 'linux' },
    },
    { mediaType: MediaTypes.ociManifest, size: ociManifestNoType.size, digest: ociManifestNoType.digest },
  ],
});

/** A signed schema1 manifest as old registries serve it (shape only; the signature is not checked). */
export const schema1Signed = blob({
  schemaVersion: 1,
  name: 'library/busybox',
  tag: 'latest',
  architecture: 'amd64',
  fsLayers: [{ blobSum: layerA.digest }],
  history: [{ v1Compatibility: JSON.stringify({ id: 'x', created: '2016-01-01T00:00:00Z' }) }],
  signatures: [{ header: { alg: 'ES256' }, signature: 'c2ln', protected: 'cHJvdA' }],
});
