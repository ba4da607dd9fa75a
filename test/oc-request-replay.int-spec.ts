import type { AppConfig } from '@app/config';
import { call, testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { pollUntil } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';

/**
 * The request sequences `oc` sends (openshift/oc pkg/cli/tag/tag.go, pkg/cli/importimage,
 * pkg/cli/admin/prune/imageprune), replayed byte-for-byte as Go serializes them, with the answers
 * oc's logic reads checked against openshift-apiserver's.
 */
const skipReason = registryUnavailableReason();
const suite = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`test/oc-request-replay.int-spec.ts skipped: ${skipReason}`);

const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** A TagReference as oc's tag command fills it (Go: name, annotations, generation have no omitempty). */
function ocTagRef(name: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { name, annotations: null, generation: null, importPolicy: { importMode: 'Legacy' }, referencePolicy: { type: 'Source' }, ...fields };
}

/** The ImageStreamTag oc tag PUTs. */
function ocIstag(namespace: string, name: string, tag: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'ImageStreamTag',
    apiVersion: 'image.openshift.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    tag,
    generation: 0,
    lookupPolicy: { local: false },
    image: { metadata: { creationTimestamp: null }, dockerImageMetadata: null, dockerImageLayers: null },
  };
}

suite('oc request replay', () => {
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let one: BuiltImage;
  let two: BuiltImage;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const getStream = async (n: string, name: string) => (await call('GET', `${ns(n)}/imagestreams/${name}`)).body;
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  const map = async (n: string, stream: string, tag: string, image: string) => {
    await call('POST', `${ns(n)}/imagestreams`, { metadata: { name: stream } }); // 409 once it exists
    const res = await call('POST', `${ns(n)}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${n}/${stream}@${image}` },
    });
    expect(res.status).toBe(201);
  };
  const ocTag = (n: string, name: string, tag: Record<string, unknown>) => call('PUT', `${ns(n)}/imagestreamtags/${name}`, ocIstag(n, name, tag));
  const isi = (n: string, name: string, resourceVersion: string, spec: Record<string, unknown>) => ({
    kind: 'ImageStreamImport',
    apiVersion: 'image.openshift.io/v1',
    metadata: { name, namespace: n, creationTimestamp: null, ...(resourceVersion ? { resourceVersion } : {}) },
    spec,
    status: {},
  });

  beforeAll(async () => {
    registry = await startRegistry({ logLevel: 'warn' });
    api = await startTestApi({ registryTimeoutMs: 3000, internalRegistryHostname: 'registry.local:5000' });
    layout = await OciLayout.create();
    one = await layout.addImage('one', { seed: 'oc-replay-one' });
    two = await layout.addImage('two', { seed: 'oc-replay-two' });
    await skopeoCopy(layout.dir, 'one', `${registry.host}/app/web:1`);
    await skopeoCopy(layout.dir, 'two', `${registry.host}/app/web:2`);
  }, 60000);

  afterAll(async () => {
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  it('oc tag --alias: the ImageStreamTag source carries the own namespace (as oc sets it) and still tracks later pushes', async () => {
    const n = 'alias';
    await map(n, 'src', '1', digest('a'));
    // tag.go: from.namespace is the current namespace even for a source in the same stream.
    const res = await ocTag(n, 'src:track', ocTagRef('track', { from: { kind: 'ImageStreamTag', name: 'src:1', namespace: n } }));
    expect(res.status).toBe(201);
    expect(statusTag(await getStream(n, 'src'), 'track').items.map((i: any) => i.image)).toEqual([digest('a')]);
    await map(n, 'src', '1', digest('b'));
    expect(statusTag(await getStream(n, 'src'), 'track').items.map((i: any) => i.image)).toEqual([digest('b'), digest('a')]);
  });

  it('oc tag onto an existing tag: the TagReference is replaced whole, generation 0 asks again, an identical repeat writes nothing', async () => {
    const n = 'onto';
    const created = await call('POST', `${ns(n)}/imagestreams`, {
      metadata: { name: 'dst' },
      spec: {
        tags: [
          { name: 'd', annotations: { description: 'x' }, from: { kind: 'DockerImage', name: 'quay.io/a/b:1' }, importPolicy: { scheduled: true } },
          { name: 'i', from: { kind: 'DockerImage', name: 'quay.io/a/b:2' } },
        ],
      },
    });
    expect(created.status).toBe(201);
    await map(n, 'src', '1', digest('a'));
    // oc tag --source=docker quay.io/a/b:1 dst:d: the same source again, generation 0 (upstream tagRefGenerationChanged).
    const again = await ocTag(n, 'dst:d', ocTagRef('d', { from: { kind: 'DockerImage', name: 'quay.io/a/b:1' }, generation: 0 }));
    expect(again.status).toBe(200);
    let s = await getStream(n, 'dst');
    expect(s.metadata.generation).toBe(2);
    expect(specTag(s, 'd')).toEqual({
      name: 'd',
      from: { kind: 'DockerImage', name: 'quay.io/a/b:1' },
      generation: 2,
      annotations: null,
      importPolicy: { importMode: 'Legacy' },
      referencePolicy: { type: 'Source' },
    });
    // oc tag src:1 dst:i: a DockerImage tag becomes the source's current image.
    const isimage = { kind: 'ImageStreamImage', name: `src@${digest('a')}`, namespace: n };
    expect((await ocTag(n, 'dst:i', ocTagRef('i', { from: isimage }))).status).toBe(200);
    s = await getStream(n, 'dst');
    expect(specTag(s, 'i')).toMatchObject({ from: isimage, generation: 3 });
    expect(statusTag(s, 'i').items).toEqual([expect.objectContaining({ image: digest('a'), generation: 3 })]);
    // The same command again: nothing changes, not even the resourceVersion; naming the own namespace or not is one source.
    const rv = s.metadata.resourceVersion;
    expect((await ocTag(n, 'dst:i', ocTagRef('i', { from: isimage }))).status).toBe(200);
    expect((await getStream(n, 'dst')).metadata.resourceVersion).toBe(rv);
    await ocTag(n, 'dst:i', ocTagRef('i', { from: { kind: 'ImageStreamImage', name: `src@${digest('a')}` } }));
    s = await getStream(n, 'dst');
    expect([s.metadata.generation, specTag(s, 'i').generation, statusTag(s, 'i').items[0].generation]).toEqual([4, 3, 3]);
    // --import-mode=PreserveOriginal alone is a changed source (tagRefChanged compares importMode): resolved again.
    await ocTag(n, 'dst:i', ocTagRef('i', { from: isimage, importPolicy: { importMode: 'PreserveOriginal' } }));
    s = await getStream(n, 'dst');
    expect([specTag(s, 'i').generation, statusTag(s, 'i').items.length, statusTag(s, 'i').items[0].generation]).toEqual([5, 1, 5]);
  });

  it("oc tag's last fallback: the ImageStream created and updated as oc serializes it (generation 0 tags)", async () => {
    const n = 'fallback';
    const tag = ocTagRef('2', { from: { kind: 'DockerImage', name: 'quay.io/x/y:2' }, generation: 0 });
    const created = await call('POST', `${ns(n)}/imagestreams`, {
      kind: 'ImageStream',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name: 'dst', creationTimestamp: null },
      spec: { lookupPolicy: { local: false }, tags: [tag] },
      status: { dockerImageRepository: '' },
    });
    expect(created.status).toBe(201);
    expect([created.body.metadata.generation, specTag(created.body, '2').generation]).toEqual([1, 1]);
    const current = await getStream(n, 'dst');
    current.spec.tags = [tag];
    const updated = await call('PUT', `${ns(n)}/imagestreams/dst`, current);
    expect(updated.status).toBe(200);
    expect([updated.body.metadata.generation, specTag(updated.body, '2').generation]).toEqual([2, 2]);
  });

  it('oc import-image of an existing tag that fails: the spec tag keeps its source and policy; the same failure again writes nothing', async () => {
    const n = 'importfail';
    const tag1 = { name: '1', from: { kind: 'DockerImage', name: 'quay.io/old/web:1' }, importPolicy: { scheduled: true }, referencePolicy: { type: 'Local' } };
    expect((await call('POST', `${ns(n)}/imagestreams`, { metadata: { name: 'web' }, spec: { tags: [tag1] } })).status).toBe(201);
    const request = async () => {
      const s = await getStream(n, 'web');
      return call('POST', `${ns(n)}/imagestreamimports`, isi(n, 'web', s.metadata.resourceVersion, {
        import: true,
        images: [{ from: { kind: 'DockerImage', name: '127.0.0.1:1/nope/web:1' }, to: { name: '1' }, importPolicy: { importMode: 'Legacy' }, referencePolicy: { type: 'Source' } }],
      }));
    };
    const first = await request();
    expect(first.status).toBe(201);
    expect(first.body.status.images[0].status).toMatchObject({ status: 'Failure', reason: 'InternalError' });
    const written = first.body.status.import;
    // upstream ensureSpecTag(reset=false) keeps an existing tag; setFailureCondition zeroes its generation (then the stream's).
    expect(specTag(written, '1')).toMatchObject({ ...tag1, generation: 2, importPolicy: { scheduled: true, importMode: 'Legacy' } });
    expect(statusTag(written, '1').conditions).toEqual([expect.objectContaining({ type: 'ImportSuccess', status: 'False', generation: 2 })]);
    const second = await request();
    expect(second.status).toBe(201);
    expect(second.body.status.import.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  });

  it('oc import-image --scheduled of an unchanged image changes only the spec; --all --confirm leaves spec.dockerImageRepository alone', async () => {
    const n = 'import';
    const from = `${registry.host}/app/web:1`;
    const entry = (extra: Record<string, unknown>) => ({ from: { kind: 'DockerImage', name: from }, to: { name: '1' }, importPolicy: { insecure: true, importMode: 'Legacy', ...extra }, referencePolicy: { type: 'Source' } });
    const first = await call('POST', `${ns(n)}/imagestreamimports`, isi(n, 'web', '', { import: true, images: [entry({})] }));
    expect(first.status).toBe(201);
    const scheduled = await call('POST', `${ns(n)}/imagestreamimports`, isi(n, 'web', first.body.status.import.metadata.resourceVersion, { import: true, images: [entry({ scheduled: true })] }));
    expect(scheduled.status).toBe(201);
    let s = scheduled.body.status.import;
    expect(s.metadata.generation).toBe(2);
    expect(specTag(s, '1')).toMatchObject({ generation: 1, importPolicy: { insecure: true, scheduled: true, importMode: 'Legacy' } });
    expect(statusTag(s, '1').items).toEqual([expect.objectContaining({ image: one.manifestDigest, generation: 1 })]);
    const all = await call('POST', `${ns(n)}/imagestreamimports`, isi(n, 'web', s.metadata.resourceVersion, {
      import: true,
      repository: { from: { kind: 'DockerImage', name: `${registry.host}/app/web` }, importPolicy: { insecure: true, importMode: 'Legacy' }, referencePolicy: { type: 'Source' } },
    }));
    expect(all.status).toBe(201);
    s = await getStream(n, 'web');
    expect(s.spec.dockerImageRepository).toBeUndefined();
    expect(s.spec.tags.map((t: any) => [t.name, t.from.name])).toEqual([['1', from], ['2', `${registry.host}/app/web:2`]]);
    expect(statusTag(s, '2').items[0].image).toBe(two.manifestDigest);
  });

  it('oc adm prune images: status PUT drops history items and emptied tags without moving tracking tags; Images deleted with DeleteOptions', async () => {
    const n = 'prune';
    for (const c of ['1', '2', '3']) await map(n, 'app', 'latest', digest(c));
    await map(n, 'app', 'old', digest('4'));
    expect((await ocTag(n, 'app:track', ocTagRef('track', { from: { kind: 'ImageStreamTag', name: 'app:latest', namespace: n } }))).status).toBe(201);
    // GET, filter the history (keep-tag-revisions=1), drop tags left empty, UpdateStatus (imageprune/prune.go).
    const s = await getStream(n, 'app');
    statusTag(s, 'latest').items.splice(0, 2);
    s.status.tags = s.status.tags.filter((t: any) => t.tag !== 'old');
    const put = await call('PUT', `${ns(n)}/imagestreams/app/status`, s);
    expect(put.status).toBe(200);
    expect(put.body.status.tags.map((t: any) => [t.tag, t.items.map((i: any) => i.image)])).toEqual([
      ['latest', [digest('1')]],
      ['track', [digest('3')]],
    ]);
    // The pager lists images 5000 at a time; each unused one goes with DeleteOptions{gracePeriodSeconds: 0}.
    const listed = await call('GET', `${api.base}/images?limit=5000`);
    expect(listed.body.items.map((i: any) => i.metadata.name)).toEqual(expect.arrayContaining([digest('2'), digest('4')]));
    for (const unused of [digest('2'), digest('4')]) {
      const del = await call('DELETE', `${api.base}/images/${unused}`, { kind: 'DeleteOptions', apiVersion: 'image.openshift.io/v1', gracePeriodSeconds: 0 });
      expect(del.status).toBe(200);
      expect((await call('GET', `${api.base}/images/${unused}`)).status).toBe(404);
    }
  });

  describe('with the import worker', () => {
    let importing: TestApi;
    let worker: WorkerProcess;
    const at = (n: string) => `${importing.base}/namespaces/${n}`;
    const read = async (n: string, name: string) => (await call('GET', `${at(n)}/imagestreams/${name}`)).body;

    beforeAll(async () => {
      const overrides: Partial<AppConfig> = { queuePrefix: testQueuePrefix(), registryTimeoutMs: 3000 };
      importing = await startTestApi(overrides);
      worker = await bootstrapWorker(testConfig(importing.databaseUrl, overrides));
    });
    afterAll(async () => {
      await worker?.close();
      await importing?.close();
    });

    it("oc adm prune images dropping a DockerImage tag's whole history: the tag is imported again (the import controller is level-driven)", async () => {
      const n = 'reimport';
      const tag = { name: '1', from: { kind: 'DockerImage', name: `${registry.host}/app/web:1` }, importPolicy: { insecure: true } };
      expect((await call('POST', `${at(n)}/imagestreams`, { metadata: { name: 'web' }, spec: { tags: [tag] } })).status).toBe(201);
      const importedAt = (s: any) => statusTag(s, '1')?.items?.[0]?.generation === specTag(s, '1')?.generation;
      const imported = await pollUntil(() => read(n, 'web'), importedAt, 20000);
      expect(statusTag(imported, '1').items.map((i: any) => i.image)).toEqual([one.manifestDigest]);
      // The Image was deleted (oc delete image), so prune drops the tag's only item, and with it the tag (UpdateStatus).
      expect((await call('DELETE', `${importing.base}/images/${one.manifestDigest}`)).status).toBe(200);
      const pruned = { ...imported, status: { ...imported.status, tags: imported.status.tags.filter((t: any) => t.tag !== '1') } };
      const put = await call('PUT', `${at(n)}/imagestreams/web/status`, pruned);
      expect(put.status).toBe(200);
      expect(statusTag(put.body, '1')).toBeUndefined();
      // Spec generation 1 > observed 0 (tagNeedsImport): the controller imports the tag again, recreating the Image.
      const again = await pollUntil(() => read(n, 'web'), importedAt, 20000);
      expect(statusTag(again, '1')?.items?.map((i: any) => i.image)).toEqual([one.manifestDigest]);
      expect((await call('GET', `${importing.base}/images/${one.manifestDigest}`)).status).toBe(200);
    });

    it('a /status write removing the dockerRepositoryCheck annotation of a stream naming a repository asks for the full import again', async () => {
      const n = 'recheck';
      const check = 'openshift.io/image.dockerRepositoryCheck';
      const created = await call('POST', `${at(n)}/imagestreams`, {
        metadata: { name: 'web', annotations: { 'openshift.io/image.insecureRepository': 'true' } },
        spec: { dockerImageRepository: `${registry.host}/app/web` },
      });
      expect(created.status).toBe(201);
      const checked = await pollUntil(() => read(n, 'web'), (s) => !!s.metadata.annotations?.[check], 20000);
      expect(specTag(checked, '1')?.from?.name).toBe(`${registry.host}/app/web:1`);
      const { [check]: _dropped, ...rest } = checked.metadata.annotations;
      const put = await call('PUT', `${at(n)}/imagestreams/web/status`, { ...checked, metadata: { ...checked.metadata, annotations: rest } });
      expect(put.status).toBe(200);
      expect(put.body.metadata.annotations[check]).toBeUndefined();
      // needsImport: no check annotation and a spec.dockerImageRepository is a full import, which sets it again.
      const again = await pollUntil(() => read(n, 'web'), (s) => !!s.metadata.annotations?.[check], 20000);
      expect(again.metadata.annotations[check]).toEqual(expect.any(String));
    });
  });
});
