import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { MediaTypes } from '@app/registry';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, runKubectl } from './support/kubectl';
import { type BuiltImage, type BuiltIndex, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`ImageStreamImport tests skipped: ${skipReason}`);

const NS = 'isi';

/** ImageStreamImport against a real docker-registry, Postgres and HTTP server. */
describeRegistry('ImageStreamImport (real registry)', () => {
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let pg: Client;
  let v1: BuiltImage;
  let v2: BuiltImage;
  let multi: BuiltIndex;

  const repo = () => `${registry.host}/${NS}/app`;
  const post = (body: unknown, query = '') => call('POST', `${api.base}/namespaces/${NS}/imagestreamimports${query}`, body);
  const isi = (name: string, images: unknown[], importFlag = true) => ({
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStreamImport',
    metadata: { name },
    spec: { import: importFlag, images },
  });
  const image = (from: string, to?: string, extra: Record<string, unknown> = {}) => ({
    from: { kind: 'DockerImage', name: from },
    ...(to ? { to: { name: to } } : {}),
    importPolicy: { insecure: true },
    ...extra,
  });
  const stream = async (name: string) => call('GET', `${api.base}/namespaces/${NS}/imagestreams/${name}`);
  const statusTag = (s: any, tag: string) => (s.status?.tags ?? []).find((t: any) => t.tag === tag);
  const specTag = (s: any, tag: string) => (s.spec?.tags ?? []).find((t: any) => t.name === tag);

  beforeAll(async () => {
    api = await startTestApi({ registryTimeoutMs: 3000 });
    registry = await startRegistry({ logLevel: 'warn' });
    layout = await OciLayout.create();
    v1 = await layout.addImage('v1', {
      seed: 'isi-v1',
      layerCount: 2,
      env: ['PATH=/usr/bin'],
      cmd: ['/bin/app'],
      labels: { 'io.k8s.display-name': 'isi app' },
      created: '2024-03-01T10:00:00Z',
    });
    v2 = await layout.addImage('v2', { seed: 'isi-v2' });
    multi = await layout.addIndex('multi', [
      { seed: 'isi-multi', architecture: 'amd64' },
      { seed: 'isi-multi', architecture: 'arm64', variant: 'v8' },
    ]);
    await skopeoCopy(layout.dir, 'v1', `${repo()}:v1`);
    await skopeoCopy(layout.dir, 'v2', `${repo()}:v2`);
    await skopeoCopy(layout.dir, 'multi', `${repo()}:multi`, { all: true });
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  it('is discoverable with verb create, and published in OpenAPI', async () => {
    const discovery = await call('GET', api.base);
    const entry = discovery.body.resources.find((r: any) => r.name === 'imagestreamimports');
    expect(entry).toMatchObject({ singularName: 'imagestreamimport', namespaced: true, kind: 'ImageStreamImport', verbs: ['create'] });
    const v3 = await call('GET', `${api.url}/openapi/v3/apis/image.openshift.io/v1`);
    expect(Object.keys(v3.body.paths[`/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamimports`])).toEqual(['post']);
    expect(v3.body.components.schemas['com.github.openshift.api.image.v1.ImageStreamImport']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'image.openshift.io', kind: 'ImageStreamImport', version: 'v1' },
    ]);
  });

  it('has no cluster-wide path (no namespace: 404), and its namespaced path takes only POST (405)', async () => {
    const body = isi('app', [image(`${repo()}:v1`, 'v1')], false);
    const clusterWide = await call('POST', `${api.base}/imagestreamimports`, body);
    expect(clusterWide.status).toBe(404);
    expect(clusterWide.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await call('GET', `${api.base}/imagestreamimports`)).status).toBe(404);
    expect((await call('GET', `${api.base}/namespaces/${NS}/imagestreamimports`)).status).toBe(405);
    // A namespaced lister keeps its cluster-wide list, and answers other methods there with 405.
    expect((await call('POST', `${api.base}/imagestreams`, { metadata: { name: 'x' } })).status).toBe(405);
  });

  it('import=true creates the stream, the Image and the tag pointing at the pushed digest', async () => {
    const res = await post(isi('app', [image(`${repo()}:v1`, 'v1')]));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'ImageStreamImport', apiVersion: 'image.openshift.io/v1', metadata: { name: 'app', namespace: NS } });
    const result = res.body.status.images[0];
    expect(result.status).toEqual({ metadata: {}, status: 'Success' });
    expect(result.tag).toBe('v1');
    // Embedded objects carry no kind/apiVersion (upstream's v1 conversion copies no TypeMeta).
    expect(result.image).not.toHaveProperty('kind');
    expect(result.image).not.toHaveProperty('apiVersion');
    expect(result.image).toMatchObject({
      metadata: { name: v1.manifestDigest },
      dockerImageReference: `${repo()}@${v1.manifestDigest}`,
      dockerImageManifestMediaType: MediaTypes.ociManifest,
      dockerImageLayers: v1.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })),
      dockerImageMetadata: {
        Id: v1.configDigest,
        Created: '2024-03-01T10:00:00Z',
        Architecture: 'amd64',
        Config: { Env: ['PATH=/usr/bin'], Cmd: ['/bin/app'], Labels: { 'io.k8s.display-name': 'isi app' } },
        Size: v1.configSize + v1.layers.reduce((n, l) => n + l.size, 0),
      },
    });
    // docker10.DockerImage has no Os: the field does not survive upstream's decoding, so it is not shown.
    expect(result.image.dockerImageMetadata).not.toHaveProperty('Os');
    expect(result.image).not.toHaveProperty('dockerImageManifest');
    expect(result.image).not.toHaveProperty('dockerImageConfig');

    const imported = res.body.status.import;
    expect(imported).toMatchObject({ metadata: { name: 'app', namespace: NS } });
    expect(imported).not.toHaveProperty('kind');
    expect(imported).not.toHaveProperty('apiVersion');
    expect(imported.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(specTag(imported, 'v1')).toMatchObject({
      from: { kind: 'DockerImage', name: `${repo()}:v1` },
      importPolicy: { insecure: true, importMode: 'Legacy' },
      referencePolicy: { type: 'Source' },
    });
    const tag = statusTag(imported, 'v1');
    expect(tag.items).toHaveLength(1);
    expect(tag.items[0]).toMatchObject({ image: v1.manifestDigest, dockerImageReference: `${repo()}@${v1.manifestDigest}` });
    expect(tag.items[0].generation).toBe(specTag(imported, 'v1').generation);
    expect(tag.items[0].generation).toBe(imported.metadata.generation);

    const stored = await call('GET', `${api.base}/images/${v1.manifestDigest}`);
    expect(stored.status).toBe(200);
    expect(stored.body.dockerImageMetadata.Id).toBe(v1.configDigest);
    expect(stored.body).not.toHaveProperty('dockerImageManifest');
    const istag = await call('GET', `${api.base}/namespaces/${NS}/imagestreamtags/app:v1`);
    expect(istag.body.image.metadata.name).toBe(v1.manifestDigest);
    // The move is in the tag-change feed, like a mapping's; the request named the tag, so it is the
    // user's explicit re-point (cause spec-import, as for oc tag --source=docker).
    const feed = await pg.query(`SELECT cause, image FROM tag_changes WHERE namespace = $1 AND stream = 'app' AND tag = 'v1'`, [NS]);
    expect(feed.rows).toEqual([{ cause: 'spec-import', image: v1.manifestDigest }]);
  });

  it('import=true into a missing stream creates it in one write: generation 1 everywhere, one ADDED event', async () => {
    const listRv = (await call('GET', `${api.base}/namespaces/${NS}/imagestreams`)).body.metadata.resourceVersion;
    const w = watchEvents(`${api.base}/namespaces/${NS}/imagestreams?watch=1&resourceVersion=${listRv}&fieldSelector=metadata.name%3Donce`);
    try {
      const res = await post(isi('once', [image(`${repo()}:v1`, 'v1'), image(`${repo()}:nope`, 'nope')]));
      expect(res.status).toBe(201);
      const s = res.body.status.import;
      expect(s.metadata.generation).toBe(1);
      expect(s.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toBeDefined();
      expect(s.spec.tags.map((t: any) => [t.name, t.generation])).toEqual([['nope', 1], ['v1', 1]]);
      expect(statusTag(s, 'v1').items).toEqual([expect.objectContaining({ image: v1.manifestDigest, generation: 1 })]);
      expect(statusTag(s, 'nope').conditions).toEqual([expect.objectContaining({ type: 'ImportSuccess', reason: 'NotFound', generation: 1 })]);
      await w.waitFor((e) => e.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      expect(w.events.map((e) => e.type)).toEqual(['ADDED']);
      // The one event carries the imported tags and their status.
      const added = w.events[0]!.object;
      expect(added.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
      expect(statusTag(added, 'v1').items[0].image).toBe(v1.manifestDigest);
      const changes = await pg.query(`SELECT type FROM resource_changes WHERE resource = 'imagestreams' AND namespace = $1 AND name = 'once'`, [NS]);
      expect(changes.rows).toEqual([{ type: 'ADDED' }]);
      // The import already saw every tag's generation: no background import is asked for.
      const requests = await pg.query(`SELECT 1 FROM image_import_requests WHERE stream_uid = $1`, [s.metadata.uid]);
      expect(requests.rowCount).toBe(0);
    } finally {
      w.stop();
    }
  });

  it('a failed write into a missing stream leaves no stream behind', async () => {
    const res = await post(isi('leftover', [image(`${repo()}:v1`, 'v1', { referencePolicy: { type: 'Foo' } })]));
    expect(res.status).toBe(422);
    expect((await stream('leftover')).status).toBe(404);
    const changes = await pg.query(`SELECT 1 FROM resource_changes WHERE resource = 'imagestreams' AND namespace = $1 AND name = 'leftover'`, [NS]);
    expect(changes.rowCount).toBe(0);
  });

  it('dryRun=All into a missing stream answers the stream with its imported tags and writes nothing', async () => {
    const res = await post(isi('dry-new', [image(`${repo()}:v1`, 'v1')]), '?dryRun=All');
    expect(res.status).toBe(201);
    const s = res.body.status.import;
    expect(s.metadata.generation).toBe(1);
    expect(statusTag(s, 'v1').items[0]).toMatchObject({ image: v1.manifestDigest, generation: 1 });
    expect((await stream('dry-new')).status).toBe(404);
  });

  it('importing the same image again changes nothing (no new resourceVersion)', async () => {
    const before = (await stream('app')).body.metadata.resourceVersion;
    const res = await post(isi('app', [image(`${repo()}:v1`, 'v1')]));
    expect(res.status).toBe(201);
    expect(res.body.status.import.metadata.resourceVersion).toBe(before);
    // The Image existed, so the answer carries the looked-up one: shaped as a stored one (no Os, which docker10.DockerImage lacks).
    expect(res.body.status.images[0].image.metadata.uid).toBeUndefined();
    expect(res.body.status.images[0].image.dockerImageMetadata).not.toHaveProperty('Os');
  });

  it('one new image found in two repositories: each tag records its own repository, the answer the Image created once', async () => {
    const fresh = await layout.addImage('mirrored', { seed: 'isi-mirrored' });
    const [origin, mirror] = [`${registry.host}/${NS}/origin`, `${registry.host}/${NS}/mirror`];
    await skopeoCopy(layout.dir, 'mirrored', `${origin}:mirrored`);
    await skopeoCopy(layout.dir, 'mirrored', `${mirror}:mirrored`);
    const res = await post(isi('twice', [image(`${origin}:mirrored`, 'here'), image(`${mirror}:mirrored`, 'there')]));
    expect(res.status).toBe(201);
    const s = res.body.status.import;
    // upstream importSuccessful takes the event's pull spec from the entry's own image.
    expect(statusTag(s, 'here').items[0].dockerImageReference).toBe(`${origin}@${fresh.manifestDigest}`);
    expect(statusTag(s, 'there').items[0].dockerImageReference).toBe(`${mirror}@${fresh.manifestDigest}`);
    // Its cached image creater answers both entries with the Image the first one created.
    const [first, second] = res.body.status.images;
    expect(first.image.metadata.uid).toBeDefined();
    expect(second.image).toEqual(first.image);
  });

  it('moves tags that follow the imported tag; includes manifests on request when nothing is written', async () => {
    const created = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, {
      metadata: { name: 'follow' },
      spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v2' } }] },
    });
    expect(created.status).toBe(201);
    const lookup = await post(isi('follow', [image(`${repo()}:v2`, undefined, { includeManifest: true })], false));
    expect(lookup.body.status.images[0].image.dockerImageManifest).toBe(v2.manifest.toString());
    expect(lookup.body.status.images[0].image.dockerImageConfig).toBe(v2.config.toString());
    const res = await post(isi('follow', [image(`${repo()}:v2`, undefined, { includeManifest: true })]));
    expect(res.status).toBe(201);
    expect(res.body.spec.images[0].to).toEqual({ name: 'v2' }); // defaulted from the tag of from.name
    // A written entry answers the Image as created: upstream's image creater clears the raw manifest on it.
    expect(res.body.status.images[0].image.dockerImageManifest).toBeUndefined();
    expect(res.body.status.images[0].image.dockerImageConfig).toBeUndefined();
    const s = (await stream('follow')).body;
    expect(statusTag(s, 'v2').items[0].image).toBe(v2.manifestDigest);
    expect(statusTag(s, 'latest').items[0].image).toBe(v2.manifestDigest);
  });

  it('an import into a reference tag keeps it a reference tag, with its reference policy', async () => {
    const created = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, {
      metadata: { name: 'reftag' },
      spec: { tags: [{ name: 'v1', from: { kind: 'DockerImage', name: `${repo()}:v1` }, reference: true, referencePolicy: { type: 'Local' } }] },
    });
    expect(created.status).toBe(201);
    const res = await post(isi('reftag', [image(`${repo()}:v1`, 'v1')]));
    expect(res.status).toBe(201);
    expect(specTag(res.body.status.import, 'v1')).toMatchObject({ reference: true, referencePolicy: { type: 'Local' }, importPolicy: { insecure: true } });
    // As upstream: the imported event goes on top, and the reference tag's own event is not re-run
    // (PrepareForUpdate's ensureSpecTagGenerationsAreSet turns generation 0 into the stream's
    // generation before Validate's tagsChanged compares, so the tag counts as unchanged).
    const gen = res.body.status.import.metadata.generation;
    expect(statusTag(res.body.status.import, 'v1').items.map((i: any) => [i.image, i.generation])).toEqual([[v1.manifestDigest, gen], ['', 1]]);
    expect(specTag((await stream('reftag')).body, 'v1').reference).toBe(true);
    // Importing another source into it changes the spec tag's `from`: Validate's tagsChanged then
    // sees a changed reference tag and puts its reference entry, of the new source, back on top.
    const moved = await post(isi('reftag', [image(`${repo()}:v2`, 'v1')]));
    expect(moved.status).toBe(201);
    const next = moved.body.status.import;
    expect(specTag(next, 'v1')).toMatchObject({ reference: true, from: { kind: 'DockerImage', name: `${repo()}:v2` } });
    expect(statusTag(next, 'v1').items.map((i: any) => [i.image, i.dockerImageReference, i.generation])).toEqual([
      ['', `${repo()}:v2`, next.metadata.generation],
      [v2.manifestDigest, `${repo()}@${v2.manifestDigest}`, next.metadata.generation],
      [v1.manifestDigest, `${repo()}@${v1.manifestDigest}`, gen],
      ['', `${repo()}:v1`, 1],
    ]);
  });

  it('import=false only looks up: no stream, no Image', async () => {
    const res = await post(isi('dry', [image(`${repo()}:v2`, 'renamed'), image(repo(), 'tagless'), image(`${repo()}@${v2.manifestDigest}`, 'bydigest')], false));
    expect(res.status).toBe(201);
    expect(res.body.status.images[0]).toMatchObject({ status: { status: 'Success' }, image: { metadata: { name: v2.manifestDigest } } });
    // `tag` is where each image was found (upstream importer): the source tag, `latest` when none is named, none for a digest.
    expect(res.body.status.images[0].tag).toBe('v2');
    expect(res.body.status.images[1]).toMatchObject({ tag: 'latest', status: { reason: 'NotFound', message: `dockerimage.image.openshift.io "${repo()}:latest" not found` } });
    expect(res.body.status.images[2].tag).toBeUndefined();
    // Imported layers are base first, and the Image says so.
    expect(res.body.status.images[0].image.metadata.annotations).toEqual({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
    expect(res.body.status.images[0].image.dockerImageMetadata).toMatchObject({ Architecture: 'amd64' });
    expect(res.body.status.images[0].image.dockerImageMetadata).not.toHaveProperty('Os');
    expect(res.body.status.import).toBeUndefined();
    expect((await stream('dry')).status).toBe(404);
    const images = await pg.query(`SELECT count(*)::int AS n FROM images WHERE name = $1`, [v2.manifestDigest]);
    // v2 exists only if the previous test created it; the dry import itself adds nothing.
    const rv = (await call('GET', `${api.base}/imagestreams`)).body.metadata.resourceVersion;
    await post(isi('dry', [image(`${repo()}:v2`, 'v2')], false));
    expect((await call('GET', `${api.base}/imagestreams`)).body.metadata.resourceVersion).toBe(rv);
    expect((await pg.query(`SELECT count(*)::int AS n FROM images WHERE name = $1`, [v2.manifestDigest])).rows).toEqual(images.rows);
  });

  it('dryRun=All answers the would-be stream and writes nothing', async () => {
    const before = (await stream('app')).body;
    const res = await post(isi('app', [image(`${repo()}:v2`, 'dry-tag')]), '?dryRun=All');
    expect(res.status).toBe(201);
    expect(statusTag(res.body.status.import, 'dry-tag').items[0].image).toBe(v2.manifestDigest);
    const after = (await stream('app')).body;
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(statusTag(after, 'dry-tag')).toBeUndefined();
  });

  it('a manifest list: Legacy keeps this platform, PreserveOriginal keeps the list and its children', async () => {
    const [amd, arm] = multi.images as [BuiltImage, BuiltImage];
    const legacy = await post(isi('multi', [image(`${repo()}:multi`, 'legacy')], false));
    expect(legacy.body.status.images[0].image.metadata.name).toBe(amd.manifestDigest);
    expect(legacy.body.status.images[0].manifests).toBeUndefined();

    const res = await post(isi('multi', [image(`${repo()}:multi`, 'all', { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } })]));
    expect(res.status).toBe(201);
    const result = res.body.status.images[0];
    expect(result.image).toMatchObject({
      metadata: { name: multi.indexDigest },
      dockerImageManifestMediaType: MediaTypes.ociIndex,
      dockerImageManifests: [
        { digest: amd.manifestDigest, architecture: 'amd64', os: 'linux', mediaType: MediaTypes.ociManifest, manifestSize: amd.manifestSize },
        { digest: arm.manifestDigest, architecture: 'arm64', os: 'linux', variant: 'v8', mediaType: MediaTypes.ociManifest, manifestSize: arm.manifestSize },
      ],
    });
    expect(result.manifests.map((m: any) => m.metadata.name)).toEqual([amd.manifestDigest, arm.manifestDigest]);
    for (const m of result.manifests) expect(Object.keys(m)).not.toContain('kind');
    for (const d of [multi.indexDigest, amd.manifestDigest, arm.manifestDigest]) {
      expect((await call('GET', `${api.base}/images/${d}`)).status).toBe(200);
    }
    const s = (await stream('multi')).body;
    expect(statusTag(s, 'all').items[0].image).toBe(multi.indexDigest);
    expect(specTag(s, 'all').importPolicy.importMode).toBe('PreserveOriginal');
    const layers = await call('GET', `${api.base}/namespaces/${NS}/imagestreams/multi/layers`);
    expect(layers.body.images[multi.indexDigest].manifests).toEqual([amd.manifestDigest, arm.manifestDigest]);
  });

  it('an image without layers is marked ascending like any image manifest (upstream fillImageLayers), in the answer and stored', async () => {
    const bare = await layout.addImage('bare', { seed: 'isi-bare', layerCount: 0 });
    await skopeoCopy(layout.dir, 'bare', `${registry.host}/${NS}/bare:v1`);
    const res = await post(isi('bare', [image(`${registry.host}/${NS}/bare:v1`, 'v1')]));
    expect(res.status).toBe(201);
    const imported = res.body.status.images[0].image;
    expect(imported.metadata).toMatchObject({ name: bare.manifestDigest, annotations: { 'image.openshift.io/dockerLayersOrder': 'ascending' } });
    expect(imported.dockerImageLayers ?? []).toEqual([]);
    expect(imported.dockerImageMetadata.Size).toBe(bare.configSize);
    const stored = await call('GET', `${api.base}/images/${bare.manifestDigest}`);
    expect(stored.body.metadata.annotations).toEqual({ 'image.openshift.io/dockerLayersOrder': 'ascending' });
  });

  it('an empty index: Legacy fails as upstream words it (no manifests in manifest list), PreserveOriginal imports the list', async () => {
    // skopeo will not copy an index without manifests; distribution 2.8 accepts one by PUT.
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] }));
    const put = await fetch(`${registry.url}/v2/${NS}/empty/manifests/v1`, { method: 'PUT', body: index, headers: { 'content-type': MediaTypes.ociIndex } });
    expect(put.status).toBe(201);
    const ref = `${registry.host}/${NS}/empty:v1`;
    const res = await post(isi('empty', [image(ref, 'legacy'), image(ref, 'all', { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } })], false));
    expect(res.status).toBe(201);
    const cause = `${ref}: no manifests in manifest list`;
    expect(res.body.status.images[0].status).toEqual({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${cause}`,
      reason: 'InternalError',
      details: { causes: [{ message: cause }] },
      code: 500,
    });
    expect(res.body.status.images[1].status).toEqual({ metadata: {}, status: 'Success' });
    expect(res.body.status.images[1].image).toMatchObject({ dockerImageManifestMediaType: MediaTypes.ociIndex });
    expect(res.body.status.images[1].image.dockerImageManifests ?? []).toEqual([]);
  });

  it('an unknown tag is a per-image NotFound in a 201; with import=true the tag gets an ImportSuccess=False condition', async () => {
    const ref = `${repo()}:nope`;
    const res = await post(isi('app', [image(ref, 'nope'), image(`${repo()}:v1`, 'v1')]));
    expect(res.status).toBe(201);
    expect(res.body.status.images[0].status).toEqual({
      metadata: {},
      status: 'Failure',
      message: `dockerimage.image.openshift.io "${ref}" not found`,
      reason: 'NotFound',
      details: { name: ref, group: 'image.openshift.io', kind: 'dockerimage' },
      code: 404,
    });
    expect(res.body.status.images[1].status.status).toBe('Success');
    const s = res.body.status.import;
    const condition = statusTag(s, 'nope').conditions[0];
    expect(condition).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'NotFound', message: `dockerimage.image.openshift.io "${ref}" not found` });
    expect(condition.generation).toBe(specTag(s, 'nope').generation);
    expect(statusTag(s, 'nope').items).toBeNull();
    expect(specTag(s, 'nope').from).toEqual({ kind: 'DockerImage', name: ref });

    // The same failure again does not churn the stream.
    const again = await post(isi('app', [image(ref, 'nope')]));
    expect(again.body.status.import.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
  });

  it('an unreachable registry is a per-image InternalError', async () => {
    const res = await post(isi('app', [image('127.0.0.1:1/isi/app:v1', 'down')], false));
    expect(res.status).toBe(201);
    const status = res.body.status.images[0].status;
    expect(status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    // Worded as OpenShift's importer reports its failed ping (formatPingError over Go's url.Error).
    expect(status.message).toBe('Internal error occurred: 127.0.0.1:1/isi/app:v1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused');
    // apimachinery NewInternalError: the error is the one cause, without a reason.
    expect(status.message).toBe(`Internal error occurred: ${status.details.causes[0].message}`);
    // A plain-HTTP registry without `insecure` is said in Go's words, not in OpenSSL's: the
    // importer meets it at its ping (library-go registryclient), a url.Error over ErrSchemeMismatch.
    const plain = await post(isi('app', [image(`${repo()}:v1`, 'plain', { importPolicy: {} })], false));
    expect(plain.body.status.images[0].status).toMatchObject({ reason: 'InternalError', code: 500 });
    const mismatch = `${repo()}:v1: Get "https://${registry.host}/v2/": http: server gave HTTP response to HTTPS client`;
    expect(plain.body.status.images[0].status.message).toBe(`Internal error occurred: ${mismatch}`);
    expect(plain.body.status.images[0].status.details).toEqual({ causes: [{ message: mismatch }] });
    expect(status.details).toEqual({ causes: [{ message: '127.0.0.1:1/isi/app:v1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused' }] });
  });

  it('imports a repository: the tags found, in order', async () => {
    const res = await post({ metadata: { name: 'whole' }, spec: { import: true, repository: { from: { kind: 'DockerImage', name: repo() }, importPolicy: { insecure: true } } } });
    expect(res.status).toBe(201);
    const repoStatus = res.body.status.repository;
    expect(repoStatus.status).toEqual({ metadata: {}, status: 'Success' });
    // No tag here is a version to library-go's PrioritizeTags ("v2" is neither X.Y nor X.Y.Z): all lexicographic.
    expect(repoStatus.images.map((i: any) => i.tag)).toEqual(['multi', 'v1', 'v2']);
    const s = res.body.status.import;
    expect(specTag(s, 'v1').from).toEqual({ kind: 'DockerImage', name: `${repo()}:v1` });
    expect(statusTag(s, 'v2').items[0].image).toBe(v2.manifestDigest);
    // spec.images and status.images are omitempty upstream: an empty list is not echoed back.
    const listed = await post({ metadata: { name: 'whole' }, spec: { import: false, images: [], repository: { from: { kind: 'DockerImage', name: repo() }, importPolicy: { insecure: true } } } });
    expect(listed.status).toBe(201);
    expect(Object.keys(listed.body.spec).sort()).toEqual(['import', 'repository']);
    expect(Object.keys(listed.body.status)).toEqual(['repository']);
    // So are includeManifest and the import policy's booleans: false is not echoed back.
    const falses = { includeManifest: false, importPolicy: { insecure: false, scheduled: false } };
    const plain = await post({ metadata: { name: 'whole' }, spec: { import: false, images: [{ from: { kind: 'DockerImage', name: `${repo()}:v1` }, ...falses }], repository: { from: { kind: 'DockerImage', name: repo() }, ...falses } } });
    expect(plain.status).toBe(201);
    for (const entry of [plain.body.spec.images[0], plain.body.spec.repository]) {
      expect(entry.includeManifest).toBeUndefined();
      expect(entry.importPolicy).toEqual({ importMode: 'Legacy' });
    }
  });

  it('honours the resourceVersion precondition (a uid is no precondition: imagestreamimport-breadth)', async () => {
    const s = (await stream('app')).body;
    const stale = await post({ ...isi('app', [image(`${repo()}:v1`, 'v1')]), metadata: { name: 'app', resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    const missing = await post({ ...isi('ghost', [image(`${repo()}:v1`, 'v1')]), metadata: { name: 'ghost', resourceVersion: s.metadata.resourceVersion } });
    expect(missing.status).toBe(404);
    // The stream store's NotFound, naming the requested resource as a store does over HTTP.
    expect(missing.body).toMatchObject({
      reason: 'NotFound',
      message: 'imagestreamimports.image.openshift.io "ghost" not found',
      details: { kind: 'imagestreamimports', name: 'ghost' },
    });
    const ok = await post({ ...isi('app', [image(`${repo()}:v1`, 'v1')]), metadata: { name: 'app', resourceVersion: s.metadata.resourceVersion, uid: s.metadata.uid } });
    expect(ok.status).toBe(201);
  });

  it('metadata.generateName names nothing: the ImageStreamImport strategy generates no name (422, see imagestreamimport-conformance-s16)', async () => {
    const res = await post({ metadata: { generateName: 'gen' }, spec: { import: true, images: [image(`${repo()}:v1`, 'v1')] } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  });

  it('422 Invalid with the field of each problem', async () => {
    const kind = await post(isi('app', [{ from: { kind: 'ImageStreamTag', name: 'x:y' } }]));
    expect(kind.status).toBe(422);
    expect(kind.body).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { kind: 'ImageStreamImport', name: 'app', group: 'image.openshift.io' } });
    expect(kind.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.images[0].from.kind', message: 'Invalid value: "ImageStreamTag": only DockerImage is supported' }]);

    const none = await post({ metadata: { name: 'app' }, spec: { import: true } });
    expect(none.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.images', message: 'Invalid value: "null": you must specify at least one image or a repository import' },
    ]);
    // No spec at all is the empty spec (not a pointer upstream), so the same error.
    const noSpec = await post({ metadata: { name: 'app' } });
    expect(noSpec.status).toBe(422);
    expect(noSpec.body.details.causes).toEqual(none.body.details.causes);
    const tagged = await post({ metadata: { name: 'app' }, spec: { import: false, repository: { from: { kind: 'DockerImage', name: `${repo()}:v1` } } } });
    expect(tagged.body.details.causes[0]).toMatchObject({ field: 'spec.repository.from.name' });
    const emptyTo = await post(isi('app', [{ from: { kind: 'DockerImage', name: `${repo()}:v1` }, to: { name: '' } }]));
    expect(emptyTo.body.details.causes[0]).toMatchObject({ field: 'spec.images[0].to.name' });
    const badName = await post(isi('Bad_Name', [image(`${repo()}:v1`, 'v1')]));
    expect(badName.body.details.causes[0]).toMatchObject({ field: 'metadata.name' });
    const badRef = await post(isi('app', [image('UPPER/Case:v1', 'v1')]));
    expect(badRef.body.details.causes[0]).toMatchObject({ field: 'spec.images[0].from.name', message: 'Invalid value: "UPPER/Case:v1": repository name must be lowercase' });
    const mode = await post(isi('app', [image(`${repo()}:v1`, 'v1', { importPolicy: { importMode: 'Sometimes' } })]));
    expect(mode.body.details.causes[0]).toMatchObject({ field: 'spec.images[0].importPolicy.importMode' });
    // The legacy `*` name skips the rest of its entry's checks upstream, its import policy included.
    const star = await post(isi('app', [{ from: { kind: 'DockerImage', name: '*' }, importPolicy: { importMode: 'Sometimes' } }, image(`${repo()}:v1`, 'v1', { importPolicy: { importMode: 'Sometimes' } })], false));
    expect(star.status).toBe(422);
    expect(star.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.images[1].importPolicy.importMode']);
  });

  (kubectlFound ? it : it.skip)('kubectl create -f import.yaml -o yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isd-isi-kubectl-'));
    try {
      writeFileSync(
        join(dir, 'kubeconfig'),
        `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${api.url}\nusers:\n- name: t\n  user:\n    token: unused\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n    namespace: ${NS}\ncurrent-context: t\n`,
      );
      writeFileSync(
        join(dir, 'import.yaml'),
        `apiVersion: image.openshift.io/v1\nkind: ImageStreamImport\nmetadata:\n  name: kc\nspec:\n  import: true\n  images:\n  - from:\n      kind: DockerImage\n      name: ${repo()}:v1\n    to:\n      name: v1\n    importPolicy:\n      insecure: true\n`,
      );
      const out = await runKubectl(dir, ['create', '-f', join(dir, 'import.yaml'), '-o', 'yaml']);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const doc = loadYaml(out.stdout) as any;
      expect(doc.kind).toBe('ImageStreamImport');
      expect(doc.status.images[0].image.metadata.name).toBe(v1.manifestDigest);
      expect(statusTag(doc.status.import, 'v1').items[0].image).toBe(v1.manifestDigest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
