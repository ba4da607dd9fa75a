import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call } from '@app/testing';
import { digestOf, MediaTypes } from '@app/registry';
import { putImage, registryStackFixture, waitFor } from './ingest-harness';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { type BuiltImage, describeWithRegistry, skopeoCopy } from './support/registry';

const NS = 'pushviews';

interface TagEvent {
  created: string;
  dockerImageReference: string;
  image: string;
  generation: number;
}

/**
 * What an OpenShift user sees through the API after pushing with skopeo to the registry, for the
 * cases the ingest tests leave out, compared with what the integrated registry's
 * ImageStreamMapping and openshift-apiserver's mapping strategy do (a tag event per push, deduped
 * on the newest entry only; the stream's generation; an existing managed Image referenced through
 * the stream it is pushed to; Size = config + distinct layers).
 */
describeWithRegistry('pushed images as the API shows them (real docker-registry, skopeo)', () => {
  const fixture = registryStackFixture();
  const base = () => `${fixture.stack().api.base}/namespaces/${NS}`;
  const get = async (path: string) => call('GET', `${base()}/${path}`);
  const image = async (digest: string) => (await call('GET', `${fixture.stack().api.base}/images/${digest}`)).body;
  const items = async (stream: string, tag: string): Promise<TagEvent[]> =>
    (((await get(`imagestreams/${stream}`)).body?.status?.tags ?? []) as { tag: string; items: TagEvent[] }[]).find((t) => t.tag === tag)?.items ?? [];
  const push = (ref: string, destination: string, all = false) =>
    skopeoCopy(fixture.layout().dir, ref, `${fixture.stack().registry!.host}/${NS}/${destination}`, { all });
  /** Waits until `count` pushes of `digest` to repository:tag are settled (the notification arrives after skopeo returns). */
  const settled = (repository: string, tag: string | null, digest: string, count = 1) =>
    waitFor(`${count} push(es) of ${repository}:${tag} settled`, async () => {
      const rows = await fixture.stack().pg.query<{ state: string }>(
        `SELECT state FROM registry_events WHERE kind = 'manifest-push' AND repository = $1 AND tag IS NOT DISTINCT FROM $2 AND digest = $3`,
        [`${NS}/${repository}`, tag, digest],
      );
      return rows.rows.length >= count && rows.rows.every((r) => r.state !== 'pending');
    });
  const ref = (stream: string, digest: string) => `${fixture.stack().registry!.host}/${NS}/${stream}@${digest}`;
  /** Writes a blob into the test's OCI layout (for putImage) and returns its digest. */
  const blob = async (content: Buffer) => {
    const digest = digestOf(content);
    await writeFile(join(fixture.layout().dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), content);
    return digest;
  };

  it('second tag, identical re-push, A→B→A and a re-push after a spec change: entries and generations as a mapping writes them', async () => {
    const a = await fixture.layout().addImage('a', { seed: 'push-views-a' });
    const b = await fixture.layout().addImage('b', { seed: 'push-views-b' });
    await push('a', 'app:v1');
    await settled('app', 'v1', a.manifestDigest);
    const first = (await get('imagestreams/app')).body;
    // The stream the first push created is a bare one, as the registry's createImageStream sends it.
    expect(first.metadata).toMatchObject({ name: 'app', namespace: NS, generation: 1 });
    expect(first.metadata.labels).toBeUndefined();
    expect(first.metadata.annotations).toBeUndefined();
    expect(first.spec).toEqual({ lookupPolicy: { local: false } });

    const imageVersion = (await image(a.manifestDigest)).metadata.resourceVersion;
    await push('a', 'app:v2');
    await settled('app', 'v2', a.manifestDigest);
    expect((await image(a.manifestDigest)).metadata.resourceVersion).toBe(imageVersion);
    expect(await items('app', 'v2')).toEqual([expect.objectContaining({ image: a.manifestDigest, dockerImageReference: ref('app', a.manifestDigest), generation: 1 })]);

    // The same digest to the same tag again: nothing changes, not even the resourceVersion.
    const before = (await get('imagestreams/app')).body;
    await push('a', 'app:v1');
    await settled('app', 'v1', a.manifestDigest, 2);
    const after = (await get('imagestreams/app')).body;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await items('app', 'v1')).toHaveLength(1);

    // History is deduplicated against the newest entry only: A, B, A is three entries.
    await push('b', 'app:v1');
    await settled('app', 'v1', b.manifestDigest);
    await push('a', 'app:v1');
    await settled('app', 'v1', a.manifestDigest, 3);
    expect((await items('app', 'v1')).map((i) => i.image)).toEqual([a.manifestDigest, b.manifestDigest, a.manifestDigest]);

    // A spec change bumps the stream's generation; re-pushing the tag's image updates the newest
    // entry's generation in place (same created), no new entry.
    const patched = await call('PATCH', `${base()}/imagestreams/app`, { spec: { tags: [{ name: 'pinned', from: { kind: 'DockerImage', name: 'quay.io/acme/pinned:1' }, reference: true }] } }, 'application/merge-patch+json');
    expect(patched.body.metadata.generation).toBe(2);
    const [v2Before] = await items('app', 'v2');
    await push('a', 'app:v2');
    await settled('app', 'v2', a.manifestDigest, 2);
    expect(await items('app', 'v2')).toEqual([{ ...v2Before, generation: 2 }]);
    const istag = (await get('imagestreamtags/app:v2')).body;
    expect(istag).toMatchObject({ generation: 2, tag: null, image: { metadata: { name: a.manifestDigest } } });
  });

  it('the same image pushed to another stream is referenced through that stream; its Image keeps the first reference', async () => {
    const c = await fixture.layout().addImage('c', { seed: 'push-views-c' });
    await push('c', 'first:v1');
    await settled('first', 'v1', c.manifestDigest);
    await push('c', 'second:v1');
    await settled('second', 'v1', c.manifestDigest);
    expect(await items('second', 'v1')).toEqual([expect.objectContaining({ image: c.manifestDigest, dockerImageReference: ref('second', c.manifestDigest) })]);
    expect((await get('imagestreamtags/second:v1')).body.image.dockerImageReference).toBe(ref('second', c.manifestDigest));
    expect((await image(c.manifestDigest)).dockerImageReference).toBe(ref('first', c.manifestDigest));
  });

  it('an OCI artifact, an image without layers and one listing a layer twice: layers as listed, Size counting the config and distinct layers', async () => {
    const layer = Buffer.from('an artifact payload, not a tar');
    const layerDigest = await blob(layer);
    const emptyConfig = Buffer.from('{}');
    const artifactManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        artifactType: 'application/vnd.example.sbom.v1',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await blob(emptyConfig), size: emptyConfig.length },
        layers: [{ mediaType: 'application/vnd.example.sbom.layer.v1+json', digest: layerDigest, size: layer.length }],
      }),
    );
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
    const configDigest = await blob(config);
    const imageManifest = (layers: number) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaTypes.ociManifest,
          config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: config.length },
          layers: Array.from({ length: layers }, () => ({ mediaType: MediaTypes.ociLayerGzip, digest: layerDigest, size: layer.length })),
        }),
      );
    const crafted = (manifest: Buffer, cfg: string, layers: string[]) =>
      ({ manifest, manifestDigest: digestOf(manifest), manifestMediaType: MediaTypes.ociManifest, configDigest: cfg, layers: layers.map((digest) => ({ digest })) }) as unknown as BuiltImage;
    const artifact = crafted(artifactManifest, digestOf(emptyConfig), [layerDigest]);
    const empty = crafted(imageManifest(0), configDigest, []);
    const twice = crafted(imageManifest(2), configDigest, [layerDigest, layerDigest]);
    const registryUrl = fixture.stack().registry!.url;
    await putImage(registryUrl, `${NS}/things`, fixture.layout().dir, artifact, 'sbom');
    await putImage(registryUrl, `${NS}/things`, fixture.layout().dir, empty, 'empty');
    await putImage(registryUrl, `${NS}/things`, fixture.layout().dir, twice, 'twice');
    await settled('things', 'sbom', artifact.manifestDigest);
    await settled('things', 'empty', empty.manifestDigest);
    await settled('things', 'twice', twice.manifestDigest);

    const art = await image(artifact.manifestDigest);
    expect(art.dockerImageLayers).toEqual([{ name: layerDigest, size: layer.length, mediaType: 'application/vnd.example.sbom.layer.v1+json' }]);
    expect(art.dockerImageMetadata).toMatchObject({ Id: digestOf(emptyConfig), Size: emptyConfig.length + layer.length });
    const none = await image(empty.manifestDigest);
    expect(none.dockerImageLayers ?? []).toEqual([]);
    expect(none.dockerImageMetadata).toMatchObject({ Id: configDigest, Size: config.length, Architecture: 'amd64' });
    expect(none.metadata.annotations).toMatchObject({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
    const dup = await image(twice.manifestDigest);
    expect(dup.dockerImageLayers.map((l: { name: string }) => l.name)).toEqual([layerDigest, layerDigest]);
    expect(dup.dockerImageMetadata.Size).toBe(config.length + layer.length);

    const layers = (await get('imagestreams/things/layers')).body;
    expect(layers.images[twice.manifestDigest]).toEqual({ imageMissing: false, layers: [layerDigest, layerDigest], config: configDigest });
    expect(layers.images[empty.manifestDigest]).toEqual({ imageMissing: false, layers: null, config: configDigest });
    // One blob entry per digest, whichever image listed it first (upstream walks a map: no set order).
    expect(layers.blobs[layerDigest].size).toBe(layer.length);
  });

  it('an index with an unknown/unknown entry (as BuildKit adds for attestations): tagged, each entry an Image, each reachable as an ImageStreamImage', async () => {
    const index = await fixture.layout().addIndex('attested', [
      { seed: 'push-views-attested', architecture: 'amd64' },
      { seed: 'push-views-attestation', architecture: 'unknown', os: 'unknown' },
    ]);
    await push('attested', 'built:latest', true);
    await settled('built', 'latest', index.indexDigest);
    expect((await image(index.indexDigest)).dockerImageManifests.map((m: { architecture: string; os: string }) => `${m.os}/${m.architecture}`)).toEqual([
      'linux/amd64',
      'unknown/unknown',
    ]);
    for (const child of index.images) {
      const isimage = await get(`imagestreamimages/built@${child.manifestDigest.slice('sha256:'.length, 'sha256:'.length + 12)}`);
      expect(isimage.status).toBe(200);
      expect(isimage.body.image.metadata.name).toBe(child.manifestDigest);
    }
  });

  it('tag names distribution allows (128 characters, upper case, a leading underscore, dots and dashes) are tags of the stream and its views', async () => {
    const d = await fixture.layout().addImage('d', { seed: 'push-views-d' });
    const tags = ['x'.repeat(127) + '9', 'V1.0', '_hidden', '1.0-rc.1'];
    for (const tag of tags) await push('d', `names:${tag}`);
    for (const tag of tags) await settled('names', tag, d.manifestDigest);
    for (const tag of tags) {
      expect((await get(`imagestreamtags/names:${tag}`)).body).toMatchObject({ metadata: { name: `names:${tag}` }, image: { metadata: { name: d.manifestDigest } } });
      expect((await get(`imagetags/names:${tag}`)).status).toBe(200);
    }
  });

  it('repositories that cannot be image streams are recorded as ignored with the reason; names with "_" and "." are streams', async () => {
    const e = await fixture.layout().addImage('e', { seed: 'push-views-e' });
    for (const repository of ['team/app', 'a__b', 'app_v2', 'app.v2']) await push('e', `${repository}:v1`);
    for (const repository of ['team/app', 'a__b', 'app_v2', 'app.v2']) await settled(repository, 'v1', e.manifestDigest);
    const outcomes = await fixture.stack().pg.query<{ repository: string; state: string; reason: string | null }>(
      `SELECT repository, state, reason FROM registry_events WHERE digest = $1 ORDER BY repository`,
      [e.manifestDigest],
    );
    expect(outcomes.rows).toEqual([
      { repository: `${NS}/a__b`, state: 'ignored', reason: expect.stringContaining('does not map to an image stream') },
      { repository: `${NS}/app.v2`, state: 'processed', reason: null },
      { repository: `${NS}/app_v2`, state: 'processed', reason: null },
      { repository: `${NS}/team/app`, state: 'ignored', reason: expect.stringContaining('is not of the form <namespace>/<name>') },
    ]);
    expect((await get('imagestreamtags/app_v2:v1')).body.image.metadata.name).toBe(e.manifestDigest);
    expect((await get('imagestreamtags/app.v2:v1')).body.image.metadata.name).toBe(e.manifestDigest);
  });

  // The registry notifies after it has answered the client, so the tag moves a moment after the
  // push returns (OpenShift's manifest PUT waits for its ImageStreamMapping). The README's way to
  // wait for it: kubectl wait on the stream, which also waits for a stream the push creates.
  (kubectlFound ? it : it.skip)('kubectl wait for=create and for=jsonpath see the pushed tag arrive', async () => {
    const f = await fixture.layout().addImage('f', { seed: 'push-views-f' });
    const g = await fixture.layout().addImage('g', { seed: 'push-views-g' });
    const kubectl = kubectlWorkspace(fixture.stack().api.url, NS);
    try {
      const current = (digest: string) => [`--for=jsonpath={.status.tags[?(@.tag=="v1")].items[0].image}=${digest}`, 'is/waited', '--timeout=30s'];
      await push('f', 'waited:v1');
      expect(await kubectl.ok(['wait', '--for=create', 'is/waited', '--timeout=30s'])).toContain('condition met');
      expect(await kubectl.ok(['wait', ...current(f.manifestDigest)])).toContain('condition met');
      await push('g', 'waited:v1');
      expect(await kubectl.ok(['wait', ...current(g.manifestDigest)])).toContain('condition met');
      expect((await get('imagestreamtags/waited:v1')).body.image.metadata.name).toBe(g.manifestDigest);
    } finally {
      kubectl.remove();
    }
  });
});
