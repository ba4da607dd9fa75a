import { call } from '@app/testing';
import { digestOf, MediaTypes } from '@app/registry';
import { putImage, registryStackFixture, skopeoDelete, waitFor } from './ingest-harness';
import { describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'pushshapes';

interface TagEvent {
  created: string;
  dockerImageReference: string;
  image: string;
  generation: number;
}

/**
 * Image shapes pushed with skopeo to a real docker-registry, compared with what OpenShift records
 * for the same pushes: openshift/image-registry's manifestService.Put (the Image it sends, by
 * ImageStreamMapping for a tag, by Images().Create for a digest) and openshift-apiserver's image
 * strategy and AddTagEventToImageStream / UpdateTrackingTags.
 */
describeWithRegistry('pushed image shapes as OpenShift records them (real docker-registry, skopeo)', () => {
  const fixture = registryStackFixture();
  const api = () => fixture.stack().api.base;
  const get = async (path: string) => call('GET', `${api()}/namespaces/${NS}/${path}`);
  const image = async (digest: string) => (await call('GET', `${api()}/images/${digest}`)).body;
  const items = async (stream: string, tag: string): Promise<TagEvent[]> =>
    (((await get(`imagestreams/${stream}`)).body?.status?.tags ?? []) as { tag: string; items: TagEvent[] }[]).find((t) => t.tag === tag)?.items ?? [];
  const push = (ref: string, destination: string, options: { all?: boolean; format?: 'v2s2' } = {}) =>
    skopeoCopy(fixture.layout().dir, ref, `${fixture.stack().registry!.host}/${NS}/${destination}`, options);
  const ref = (stream: string, digest: string) => `${fixture.stack().registry!.host}/${NS}/${stream}@${digest}`;
  /** Waits until `count` events of this kind (and tag, when given) in the repository are settled: they arrive after skopeo returns. */
  const settled = (stream: string, kind: 'manifest-push' | 'manifest-delete' | 'tag-delete', count: number, tag?: string) =>
    waitFor(`${count} ${kind} of ${stream}:${tag ?? '*'} settled`, async () => {
      const rows = await fixture.stack().pg.query<{ state: string }>(
        `SELECT state FROM registry_events WHERE repository = $1 AND kind = $2 AND ($3::text IS NULL OR tag = $3)`,
        [`${NS}/${stream}`, kind, tag ?? null],
      );
      return rows.rows.length >= count && rows.rows.every((r) => r.state !== 'pending');
    });

  it('an OCI index and a Docker manifest list (skopeo copy --all): the list Image as the integrated registry records it', async () => {
    const index = await fixture.layout().addIndex('multi', [
      { seed: 'push-shapes-multi', architecture: 'amd64' },
      { seed: 'push-shapes-multi', architecture: 'arm64', variant: 'v8' },
    ]);
    await push('multi', 'multi:oci', { all: true });
    await settled('multi', 'manifest-push', 1, 'oci');
    await push('multi', 'multi:v2s2', { all: true, format: 'v2s2' });
    await settled('multi', 'manifest-push', 1, 'v2s2');

    const oci = (await get('imagestreamtags/multi:oci')).body.image;
    const list = (await get('imagestreamtags/multi:v2s2')).body.image;
    expect(oci.metadata.name).toBe(index.indexDigest);
    for (const [img, mediaType, childType] of [
      [oci, MediaTypes.ociIndex, MediaTypes.ociManifest],
      [list, MediaTypes.dockerManifestList, MediaTypes.dockerManifest],
    ] as const) {
      // The registry's manifest-list handler has no layers and reports an empty layer order; the
      // Image keeps the annotation with that value (was: left out).
      expect(img.metadata.annotations).toEqual({
        'image.openshift.io/dockerLayersOrder': '',
        'image.openshift.io/manifestBlobStored': 'true',
        'openshift.io/image.managed': 'true',
      });
      expect(img.dockerImageManifestMediaType).toBe(mediaType);
      expect(img.dockerImageReference).toBe(ref('multi', img.metadata.name));
      // ImageWithMetadata on a list: Id = the list's digest, Created = when it was recorded, no Size.
      expect(img.dockerImageMetadata).toEqual({
        kind: 'DockerImage',
        apiVersion: 'image.openshift.io/1.0',
        Id: img.metadata.name,
        Created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        ContainerConfig: {},
      });
      expect(img.dockerImageLayers ?? []).toEqual([]);
      expect(img.dockerImageManifests.map((m: { mediaType: string; architecture: string; variant?: string }) => [m.mediaType, m.architecture, m.variant])).toEqual([
        [childType, 'amd64', undefined],
        [childType, 'arm64', 'v8'],
      ]);
      // Each child was pushed by digest: an Image of its own, as an image manifest's, in no tag.
      for (const child of img.dockerImageManifests as { digest: string }[]) {
        const c = await image(child.digest);
        expect(c.metadata.annotations).toEqual({
          'image.openshift.io/dockerLayersOrder': 'ascending',
          'image.openshift.io/manifestBlobStored': 'true',
          'openshift.io/image.managed': 'true',
        });
        expect(c.dockerImageManifestMediaType).toBe(childType);
        expect(c.dockerImageReference).toBe(ref('multi', child.digest));
      }
    }
    expect((await get('imagestreams/multi')).body.status.tags.map((t: { tag: string }) => t.tag)).toEqual(['oci', 'v2s2']);
  });

  it('an index naming another index (distribution accepts it): tagged, both Images recorded, the layers view walks down to the images', async () => {
    const inner = await fixture.layout().addIndex('inner', [
      { seed: 'push-shapes-inner', architecture: 'amd64' },
      { seed: 'push-shapes-inner', architecture: 'arm64' },
    ]);
    const registryUrl = fixture.stack().registry!.url;
    const putManifest = async (body: Buffer, reference: string) => {
      const res = await fetch(`${registryUrl}/v2/${NS}/nested/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': MediaTypes.ociIndex }, body });
      expect(res.status).toBe(201);
    };
    // What a client pushing it does: the images, then the inner index, by digest; the outer index by tag.
    for (const child of inner.images) await putImage(registryUrl, `${NS}/nested`, fixture.layout().dir, child, child.manifestDigest);
    await putManifest(inner.index, inner.indexDigest);
    const outer = (platform?: object) =>
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [{ mediaType: MediaTypes.ociIndex, digest: inner.indexDigest, size: inner.indexSize, ...(platform ? { platform } : {}) }] }));
    const withPlatform = outer({ architecture: 'amd64', os: 'linux' });
    await putManifest(withPlatform, 'v1');
    await settled('nested', 'manifest-push', 1, 'v1');
    // Was: ignored as unsupported, so the tag never appeared.
    const tagged = (await get('imagestreamtags/nested:v1')).body.image;
    expect(tagged.metadata.name).toBe(digestOf(withPlatform));
    expect(tagged.dockerImageManifests).toEqual([
      { digest: inner.indexDigest, mediaType: MediaTypes.ociIndex, manifestSize: inner.indexSize, architecture: 'amd64', os: 'linux' },
    ]);
    expect((await image(inner.indexDigest)).dockerImageManifests.map((m: { digest: string }) => m.digest)).toEqual(inner.images.map((i) => i.manifestDigest));
    const layers = (await get('imagestreams/nested/layers')).body;
    expect(Object.keys(layers.images).sort()).toEqual([digestOf(withPlatform), inner.indexDigest, ...inner.images.map((i) => i.manifestDigest)].sort());
    // ImageStreamImage finds what the layers view reaches, the images of the inner index too (was: 404).
    for (const name of [inner.indexDigest, ...inner.images.map((i) => i.manifestDigest)]) {
      const isimage = await get(`imagestreamimages/nested@${name}`);
      expect([isimage.status, isimage.body.image?.metadata?.name]).toEqual([200, name]);
    }
    // An entry without a platform has no architecture/os to take: the Image is invalid, as it is
    // for openshift-apiserver (whose registry then refuses the push); here the event is ignored with the reason.
    await putManifest(outer(), 'bare');
    await settled('nested', 'manifest-push', 1, 'bare');
    const row = await fixture.stack().pg.query(`SELECT state, reason FROM registry_events WHERE repository = $1 AND tag = 'bare'`, [`${NS}/nested`]);
    expect(row.rows).toEqual([{ state: 'ignored', reason: expect.stringContaining('image.dockerImageManifests[0].architecture: Required value') }]);
  });

  it('a manifest deleted by digest, then pushed again to its tag: the tag comes back with one new entry', async () => {
    const a = await fixture.layout().addImage('a', { seed: 'push-shapes-a', layerCount: 3 });
    const b = await fixture.layout().addImage('b', { seed: 'push-shapes-b' });
    await push('b', 'gone:keep');
    await push('a', 'gone:v1');
    await settled('gone', 'manifest-push', 2);
    await skopeoDelete(fixture.stack().registry!.host, `${NS}/gone`, a.manifestDigest);
    await settled('gone', 'manifest-delete', 1);
    await settled('gone', 'tag-delete', 1);
    expect(await items('gone', 'v1')).toEqual([]);
    await push('a', 'gone:v1');
    await settled('gone', 'manifest-push', 2, 'v1');
    expect(await items('gone', 'v1')).toEqual([expect.objectContaining({ image: a.manifestDigest, dockerImageReference: ref('gone', a.manifestDigest), generation: 1 })]);
    expect((await get('imagestreamtags/gone:v1')).body.image.dockerImageLayers.map((l: { name: string }) => l.name)).toEqual(a.layers.map((l) => l.digest));
    expect((await items('gone', 'keep')).map((i) => i.image)).toEqual([b.manifestDigest]);
  });

  it('a push by digest records the Image and no stream; the same manifest pushed to a tag later creates the stream', async () => {
    const c = await fixture.layout().addImage('c', { seed: 'push-shapes-c' });
    const registryUrl = fixture.stack().registry!.url;
    await putImage(registryUrl, `${NS}/late`, fixture.layout().dir, c, c.manifestDigest);
    await settled('late', 'manifest-push', 1);
    expect((await image(c.manifestDigest)).dockerImageReference).toBe(ref('late', c.manifestDigest));
    expect((await get('imagestreams/late')).status).toBe(404);
    await putImage(registryUrl, `${NS}/late`, fixture.layout().dir, c, 'v1');
    await settled('late', 'manifest-push', 1, 'v1');
    expect(await items('late', 'v1')).toEqual([expect.objectContaining({ image: c.manifestDigest, dockerImageReference: ref('late', c.manifestDigest), generation: 1 })]);
  });

  it('a push updates in place a top entry naming the same image through another reference, and moves the tags that track the pushed one', async () => {
    const d = await fixture.layout().addImage('d', { seed: 'push-shapes-d' });
    const created = await call('POST', `${api()}/namespaces/${NS}/imagestreams`, {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStream',
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] },
    });
    expect(created.status).toBe(201);
    await push('d', 'other:v1');
    await settled('other', 'manifest-push', 1);
    // app:v1 first names d through the other stream (as an ImageStreamMapping may).
    const mapped = await call('POST', `${api()}/namespaces/${NS}/imagestreammappings`, {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStreamMapping',
      metadata: { name: 'app' },
      tag: 'v1',
      image: { metadata: { name: d.manifestDigest }, dockerImageReference: ref('other', d.manifestDigest) },
    });
    expect(mapped.status).toBe(201);
    const [before] = await items('app', 'v1');
    expect(before).toMatchObject({ image: d.manifestDigest, dockerImageReference: ref('other', d.manifestDigest) });
    await push('d', 'app:v1');
    await settled('app', 'manifest-push', 1, 'v1');
    // Same image, another reference: the entry is rewritten, not repeated (same created).
    expect(await items('app', 'v1')).toEqual([{ ...before, dockerImageReference: ref('app', d.manifestDigest) }]);
    expect((await items('app', 'latest')).map((i) => i.dockerImageReference)).toEqual([ref('app', d.manifestDigest)]);
  });
});
