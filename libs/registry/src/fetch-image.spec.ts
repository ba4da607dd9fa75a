import { digestOf } from './digest';
import { fetchImage, type ImageSource } from './fetch-image';
import { MediaTypes } from './media-types';
import type { FetchedManifest } from './registry-client';
import { RegistryNotFoundError } from './registry-errors';
import {
  type Blob,
  dockerConfig,
  dockerManifestList,
  ociConfig,
  ociIndexNoType,
  ociManifest,
  ociManifestNoType,
  schema2Manifest,
} from './testing/manifest-fixtures';

interface Stored {
  blob: Blob;
  mediaType: string;
}

/** In-memory registry: manifests by tag or digest, blobs by digest; records what was read. */
function memorySource(manifests: Record<string, Stored>, blobs: Blob[]): ImageSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    host: 'registry.local:5000',
    reads,
    async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
      reads.push(`manifest ${reference}`);
      const found = manifests[reference];
      if (!found) throw new RegistryNotFoundError(`${repository}:${reference} not found`, 'MANIFEST_UNKNOWN');
      return { raw: found.blob.raw, mediaType: found.mediaType, digest: found.blob.digest };
    },
    async getBlob(repository: string, digest: string): Promise<Buffer> {
      reads.push(`blob ${digest}`);
      const found = blobs.find((b) => b.digest === digest);
      if (!found) throw new RegistryNotFoundError(`${repository}@${digest} not found`, 'BLOB_UNKNOWN');
      return found.raw;
    },
  };
}

const byDigest = (blob: Blob, mediaType: string): Record<string, Stored> => ({
  [blob.digest]: { blob, mediaType },
});
const now = new Date('2025-03-01T10:00:00Z');

describe('fetchImage', () => {
  it('reads a single image: manifest then config', async () => {
    const source = memorySource({ v1: { blob: ociManifest, mediaType: MediaTypes.ociManifest } }, [
      ociConfig,
    ]);
    const { image, children } = await fetchImage(source, 'myproject/app', 'v1');
    expect(children).toEqual([]);
    expect(image.metadata.name).toBe(ociManifest.digest);
    expect(image.dockerImageReference).toBe(`registry.local:5000/myproject/app@${ociManifest.digest}`);
    expect(image.dockerImageMetadata.Id).toBe(ociConfig.digest);
    expect(image.dockerImageMetadata.Config?.Labels).toEqual({
      'io.k8s.display-name': 'app',
      version: '1.2.3',
    });
    expect(source.reads).toEqual(['manifest v1', `blob ${ociConfig.digest}`]);
  });

  it('reads a manifest list and every child by digest', async () => {
    const source = memorySource(
      {
        multi: { blob: dockerManifestList, mediaType: MediaTypes.dockerManifestList },
        ...byDigest(schema2Manifest, MediaTypes.dockerManifest),
        ...byDigest(ociManifest, MediaTypes.ociManifest),
      },
      [ociConfig, dockerConfig],
    );
    const { image, children } = await fetchImage(source, 'myproject/app', 'multi', {
      pullSpec: 'quay.io/org/app:multi',
      now,
    });
    expect(image.dockerImageManifests?.map((m) => `${m.os}/${m.architecture}`)).toEqual([
      'linux/arm64',
      'linux/amd64',
    ]);
    expect(image.dockerImageMetadata).toMatchObject({
      Id: dockerManifestList.digest,
      Created: '2025-03-01T10:00:00Z',
    });
    expect(
      children.map((c) => [c.metadata.name, c.dockerImageMetadata.Architecture, c.dockerImageReference]),
    ).toEqual([
      [schema2Manifest.digest, 'arm64', `quay.io/org/app@${schema2Manifest.digest}`],
      [ociManifest.digest, 'amd64', `quay.io/org/app@${ociManifest.digest}`],
    ]);
  });

  it("fills an index entry without platform from its child's config", async () => {
    const source = memorySource(
      {
        idx: { blob: ociIndexNoType, mediaType: MediaTypes.ociIndex },
        ...byDigest(ociManifest, MediaTypes.ociManifest),
        ...byDigest(ociManifestNoType, MediaTypes.ociManifest),
      },
      [ociConfig],
    );
    const { image } = await fetchImage(source, 'myproject/app', 'idx', { now });
    expect(image.dockerImageManifests?.map((m) => [m.digest, m.os, m.architecture])).toEqual([
      [ociManifest.digest, 'linux', 'amd64'],
      [ociManifestNoType.digest, 'linux', 'amd64'],
    ]);
  });

  it('passes annotations to the parent and every child', async () => {
    const source = memorySource(
      {
        idx: { blob: ociIndexNoType, mediaType: MediaTypes.ociIndex },
        ...byDigest(ociManifest, MediaTypes.ociManifest),
        ...byDigest(ociManifestNoType, MediaTypes.ociManifest),
      },
      [ociConfig],
    );
    const { image, children } = await fetchImage(source, 'myproject/app', 'idx', { annotations: { a: 'b' } });
    expect([image, ...children].map((i) => i.metadata.annotations)).toEqual([
      { a: 'b' },
      { a: 'b' },
      { a: 'b' },
    ]);
  });

  it('records a nested index as a list Image, without reading its children; surfaces missing children as not found', async () => {
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { mediaType: MediaTypes.ociIndex, digest: ociIndexNoType.digest, size: ociIndexNoType.size, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      }),
    );
    const source = memorySource(
      {
        nested: {
          blob: { raw: nested, digest: digestOf(nested), size: nested.length },
          mediaType: MediaTypes.ociIndex,
        },
        ...byDigest(ociIndexNoType, MediaTypes.ociIndex),
        missing: { blob: dockerManifestList, mediaType: MediaTypes.dockerManifestList },
      },
      [],
    );
    // Was: UnsupportedManifestError, so the push was ignored and its tag never appeared.
    const { image, children } = await fetchImage(source, 'myproject/app', 'nested', { now });
    expect(image.dockerImageManifests).toEqual([
      { digest: ociIndexNoType.digest, mediaType: MediaTypes.ociIndex, manifestSize: ociIndexNoType.size, architecture: 'amd64', os: 'linux' },
    ]);
    expect(children.map((c) => [c.metadata.name, c.dockerImageManifestMediaType, c.dockerImageManifests?.length])).toEqual([
      [ociIndexNoType.digest, MediaTypes.ociIndex, 2],
    ]);
    expect(source.reads).toEqual(['manifest nested', `manifest ${ociIndexNoType.digest}`]);
    await expect(fetchImage(source, 'myproject/app', 'missing')).rejects.toThrow(RegistryNotFoundError);
  });
});
