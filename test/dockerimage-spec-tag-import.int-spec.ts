import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import type { AppConfig } from '@app/config';
import { call, testConfig, watchEvents } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`DockerImage spec tag import tests skipped: ${skipReason}`);

const NS = 'bgimport';
const INTERNAL = 'registry.internal:5000';

/** Spec tags with a DockerImage source are imported by the worker (api + worker + real registry). */
describeRegistry('background import of DockerImage spec tags', () => {
  let api: TestApi;
  let config: AppConfig;
  let worker: WorkerProcess | null = null;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let pg: Client;
  let v1: BuiltImage;
  let v2: BuiltImage;

  const repo = () => `${registry.host}/${NS}/app`;
  const stream = async (name: string) => (await call('GET', `${api.base}/namespaces/${NS}/imagestreams/${name}`)).body;
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);
  const createStream = async (name: string, tags: unknown[]) => {
    const res = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, { metadata: { name }, spec: { tags } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const dockerTag = (name: string, from: string, extra: Record<string, unknown> = {}) => ({
    name,
    from: { kind: 'DockerImage', name: from },
    importPolicy: { insecure: true },
    ...extra,
  });
  /** The tag's newest item once its generation caught up with the spec tag's. */
  const imported = (name: string, tag: string) =>
    waitFor(`${name}:${tag} imported`, async () => {
      const s = await stream(name);
      const top = statusTag(s, tag)?.items?.[0];
      return top && top.generation === specTag(s, tag)?.generation ? { stream: s, top } : null;
    });
  const failed = (name: string, tag: string) =>
    waitFor(`${name}:${tag} condition`, async () => {
      const s = await stream(name);
      const c = statusTag(s, tag)?.conditions?.[0];
      return c && c.generation === specTag(s, tag)?.generation ? { stream: s, condition: c } : null;
    });

  beforeAll(async () => {
    // Short enough to watch one scheduled re-import within a test (the lower bound is 5 s).
    process.env['IMPORT_SCHEDULED_INTERVAL_SECONDS'] = '5';
    registry = await startRegistry({ logLevel: 'warn' });
    // The configured registry: INTERNAL names it in pull specs, REGISTRY_URL is how it is reached.
    const base: Partial<AppConfig> = {
      queuePrefix: testQueuePrefix(),
      registryTimeoutMs: 3000,
      registryUrl: registry.url,
      internalRegistryHostname: INTERNAL,
    };
    api = await startTestApi(base);
    config = testConfig(api.databaseUrl, base);
    worker = await bootstrapWorker(config);
    layout = await OciLayout.create();
    v1 = await layout.addImage('v1', { seed: 'bg-v1', labels: { version: '1' } });
    v2 = await layout.addImage('v2', { seed: 'bg-v2', labels: { version: '2' } });
    await skopeoCopy(layout.dir, 'v1', `${repo()}:v1`);
    await skopeoCopy(layout.dir, 'v2', `${repo()}:v2`);
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });

  afterAll(async () => {
    delete process.env['IMPORT_SCHEDULED_INTERVAL_SECONDS'];
    await worker?.close();
    await pg?.end();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  it('a new DockerImage spec tag becomes resolved in status with the pushed digest', async () => {
    await createStream('app', [dockerTag('stable', `${repo()}:v1`)]);
    const { stream: s, top } = await imported('app', 'stable');
    expect(top).toMatchObject({ image: v1.manifestDigest, dockerImageReference: `${repo()}@${v1.manifestDigest}` });
    expect(statusTag(s, 'stable').conditions).toBeUndefined();
    expect(specTag(s, 'stable')).toMatchObject({ from: { kind: 'DockerImage', name: `${repo()}:v1` }, importPolicy: { insecure: true, importMode: 'Legacy' } });
    expect(s.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toBeDefined();
    const image = await call('GET', `${api.base}/images/${v1.manifestDigest}`);
    expect(image.body.dockerImageMetadata.Config.Labels).toEqual({ version: '1' });
    const rows = await pg.query(`SELECT outcome FROM image_import_requests WHERE tag = 'stable' ORDER BY id`);
    await waitFor('request settled', async () => (await pg.query(`SELECT 1 FROM image_import_requests WHERE tag = 'stable' AND done_at IS NULL`)).rowCount === 0);
    expect(rows.rows.length).toBeGreaterThanOrEqual(1);
  });

  it('changing the tag source imports again: the new image on top, the old one kept in history', async () => {
    const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreamtags/app:stable`, {
      metadata: { name: 'app:stable' },
      tag: { from: { kind: 'DockerImage', name: `${repo()}:v2` }, importPolicy: { insecure: true } },
    });
    expect(put.status).toBe(200);
    const { stream: s } = await imported('app', 'stable');
    expect(statusTag(s, 'stable').items.map((i: any) => i.image)).toEqual([v2.manifestDigest, v1.manifestDigest]);
    // Settled: no further writes once the status saw the spec generation.
    const rv = s.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stream('app')).metadata.resourceVersion).toBe(rv);
  });

  it('generation 0 asks for a re-import; an unchanged image leaves the history as it is', async () => {
    const before = await stream('app');
    const tags = before.spec.tags.map((t: any) => (t.name === 'stable' ? { ...t, generation: 0 } : t));
    const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreams/app`, { ...before, spec: { ...before.spec, tags } });
    expect(put.status).toBe(200);
    const { stream: s } = await imported('app', 'stable');
    expect(specTag(s, 'stable').generation).toBeGreaterThan(specTag(before, 'stable').generation);
    expect(statusTag(s, 'stable').items.map((i: any) => i.image)).toEqual([v2.manifestDigest, v1.manifestDigest]);
  });

  it('an unknown tag ends as ImportSuccess=False NotFound for that generation', async () => {
    await createStream('missing', [dockerTag('latest', `${repo()}:nope`)]);
    const { stream: s, condition } = await failed('missing', 'latest');
    expect(condition).toMatchObject({
      type: 'ImportSuccess',
      status: 'False',
      reason: 'NotFound',
      message: `dockerimage.image.openshift.io "${repo()}:nope" not found`,
    });
    expect(statusTag(s, 'latest').items).toBeNull();
  });

  it('asking again after a failure records the same failure for the new generation', async () => {
    const before = await stream('missing');
    const oldCondition = statusTag(before, 'latest').conditions[0];
    const tags = before.spec.tags.map((t: any) => ({ ...t, generation: 0 }));
    expect((await call('PUT', `${api.base}/namespaces/${NS}/imagestreams/missing`, { ...before, spec: { ...before.spec, tags } })).status).toBe(200);
    const { stream: s, condition } = await failed('missing', 'latest');
    expect(condition.generation).toBeGreaterThan(oldCondition.generation);
    expect(condition).toMatchObject({ reason: 'NotFound', message: oldCondition.message });
    expect(specTag(s, 'latest').generation).toBe(condition.generation);
  });

  it('an unreachable registry ends as ImportSuccess=False InternalError', async () => {
    await createStream('down', [dockerTag('latest', '127.0.0.1:1/nobody/here:v1')]);
    const { condition } = await failed('down', 'latest');
    expect(condition).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'InternalError' });
    expect(condition.message).toBe('Internal error occurred: 127.0.0.1:1/nobody/here:v1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused');
  });

  it('a later success clears the failure condition', async () => {
    const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreamtags/missing:latest`, {
      metadata: { name: 'missing:latest' },
      tag: { from: { kind: 'DockerImage', name: `${repo()}:v1` }, importPolicy: { insecure: true } },
    });
    expect(put.status).toBe(200);
    const { stream: s, top } = await imported('missing', 'latest');
    expect(top.image).toBe(v1.manifestDigest);
    expect(statusTag(s, 'latest').conditions).toBeUndefined();
  });

  it('the configured registry is reached through REGISTRY_URL under its internal name', async () => {
    await createStream('internal', [{ name: 'v1', from: { kind: 'DockerImage', name: `${INTERNAL}/${NS}/app:v1` } }]);
    const { top } = await imported('internal', 'v1');
    expect(top).toMatchObject({ image: v1.manifestDigest, dockerImageReference: `${INTERNAL}/${NS}/app@${v1.manifestDigest}` });
  });

  it('importPolicy.scheduled re-imports periodically: a new push to the tag shows up', async () => {
    await skopeoCopy(layout.dir, 'v1', `${repo()}:moving`);
    await createStream('sched', [dockerTag('moving', `${repo()}:moving`, { importPolicy: { insecure: true, scheduled: true } })]);
    const first = await imported('sched', 'moving');
    expect(first.top.image).toBe(v1.manifestDigest);
    await skopeoCopy(layout.dir, 'v2', `${repo()}:moving`);
    const moved = await waitFor(
      'the scheduled re-import',
      async () => {
        const s = await stream('sched');
        return statusTag(s, 'moving')?.items?.[0]?.image === v2.manifestDigest ? s : null;
      },
      20000,
    );
    expect(statusTag(moved, 'moving').items.map((i: any) => i.image)).toEqual([v2.manifestDigest, v1.manifestDigest]);
    expect(statusTag(moved, 'moving').items[0].generation).toBe(specTag(moved, 'moving').generation);
    const scheduled = await pg.query(`SELECT count(*)::int AS n FROM image_import_requests WHERE scheduled AND tag = 'moving'`);
    expect(scheduled.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('the tags of one stream are imported together: one write, one generation (as upstream\'s one ImageStreamImport)', async () => {
    // p: a registry that answers 401 to everything; q and r: two tags of the test registry.
    const denying: Server = createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="denied"' });
      res.end();
    });
    await new Promise<void>((resolve) => denying.listen(0, '127.0.0.1', resolve));
    try {
      await skopeoCopy(layout.dir, 'v1', `${registry.host}/${NS}/single:1.0`);
      await skopeoCopy(layout.dir, 'v2', `${registry.host}/${NS}/single:1.1`);
      const denied = `127.0.0.1:${(denying.address() as AddressInfo).port}/${NS}/private:1`;
      const created = await createStream('together', [
        dockerTag('p', denied),
        dockerTag('q', `${registry.host}/${NS}/single:1.0`),
        dockerTag('r', `${registry.host}/${NS}/single:1.1`),
      ]);
      const w = watchEvents(`${api.base}/namespaces/${NS}/imagestreams?watch=1&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Dtogether`);
      try {
        const s = await waitFor('p, q and r imported', async () => {
          const current = await stream('together');
          const seen = ['p', 'q', 'r'].every((t) => statusTag(current, t)?.items?.[0] || statusTag(current, t)?.conditions?.[0]);
          return seen ? current : null;
        });
        // Nothing follows the one import write.
        await new Promise((r) => setTimeout(r, 1500));
        expect((await stream('together')).metadata.resourceVersion).toBe(s.metadata.resourceVersion);
        expect(w.events.map((e) => e.type)).toEqual(['MODIFIED']);

        expect(s.metadata.generation).toBe(2);
        expect(s.spec.tags.map((t: any) => [t.name, t.generation])).toEqual([['p', 2], ['q', 2], ['r', 2]]);
        expect(statusTag(s, 'p').conditions).toEqual([
          expect.objectContaining({ type: 'ImportSuccess', status: 'False', reason: 'Unauthorized', generation: 2 }),
        ]);
        expect(statusTag(s, 'q').items).toEqual([expect.objectContaining({ image: v1.manifestDigest, generation: 2 })]);
        expect(statusTag(s, 'r').items).toEqual([expect.objectContaining({ image: v2.manifestDigest, generation: 2 })]);
        const rows = await pg.query(`SELECT tag, outcome FROM image_import_requests WHERE stream_uid = $1 ORDER BY tag`, [s.metadata.uid]);
        expect(rows.rows).toEqual([
          { tag: 'p', outcome: 'Failure' },
          { tag: 'q', outcome: 'Success' },
          { tag: 'r', outcome: 'Success' },
        ]);
      } finally {
        w.stop();
      }
    } finally {
      await new Promise((resolve) => denying.close(resolve));
    }
  });

  it('a scheduled re-import takes all scheduled tags of the stream in one write', async () => {
    await skopeoCopy(layout.dir, 'v1', `${repo()}:sched-a`);
    await skopeoCopy(layout.dir, 'v1', `${repo()}:sched-b`);
    const scheduled = { importPolicy: { insecure: true, scheduled: true } };
    await createStream('sched2', [dockerTag('a', `${repo()}:sched-a`, scheduled), dockerTag('b', `${repo()}:sched-b`, scheduled)]);
    await imported('sched2', 'a');
    const { stream: first } = await imported('sched2', 'b');
    expect(first.metadata.generation).toBe(2);
    // Both tags move while no worker runs; the next scheduled check imports them together.
    await worker!.close();
    worker = null;
    await skopeoCopy(layout.dir, 'v2', `${repo()}:sched-a`);
    await skopeoCopy(layout.dir, 'v2', `${repo()}:sched-b`);
    const w = watchEvents(`${api.base}/namespaces/${NS}/imagestreams?watch=1&resourceVersion=${first.metadata.resourceVersion}&fieldSelector=metadata.name%3Dsched2`);
    try {
      worker = await bootstrapWorker(config);
      const moved = await waitFor(
        'the scheduled re-import of a and b',
        async () => {
          const s = await stream('sched2');
          return ['a', 'b'].every((t) => statusTag(s, t)?.items?.[0]?.image === v2.manifestDigest) ? s : null;
        },
        20000,
      );
      // A read can see the write before the watch stream delivers it (a loaded machine): wait for
      // the event, then long enough that a second write would show as a second one.
      await w.waitFor((events) => events.length >= 1, 10000);
      await new Promise((r) => setTimeout(r, 300));
      expect(w.events.map((e) => e.type)).toEqual(['MODIFIED']);
      expect(moved.metadata.generation).toBe(3);
      for (const t of ['a', 'b']) {
        expect(statusTag(moved, t).items.map((i: any) => [i.image, i.generation])).toEqual([
          [v2.manifestDigest, 3],
          [v1.manifestDigest, 2],
        ]);
        expect(specTag(moved, t).generation).toBe(3);
      }
    } finally {
      w.stop();
    }
  });

  it('a scheduled digest-pinned tag is imported, and the other tags of its stream with it', async () => {
    // Upstream accepts `scheduled` on a digest (`oc tag --scheduled repo@sha256:…`); it imports until the first success.
    const pinned = `${registry.host}/${NS}/app@${v1.manifestDigest}`;
    await createStream('pinned', [
      dockerTag('pin', pinned, { importPolicy: { insecure: true, scheduled: true } }),
      dockerTag('other', `${repo()}:v2`),
    ]);
    const pin = await imported('pinned', 'pin');
    expect(pin.top).toMatchObject({ image: v1.manifestDigest, dockerImageReference: pinned });
    const other = await imported('pinned', 'other');
    expect(other.top.image).toBe(v2.manifestDigest);
    expect(statusTag(other.stream, 'pin').conditions).toBeUndefined();
  });

  it('a stream naming spec.dockerImageRepository imports the repository\'s tags once (full import), then is marked checked', async () => {
    const res = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, {
      metadata: { name: 'whole', annotations: { 'openshift.io/image.insecureRepository': 'true' } },
      spec: { dockerImageRepository: repo() },
    });
    expect(res.status).toBe(201);
    const s = await waitFor('the repository imported', async () => {
      const got = await stream('whole');
      return statusTag(got, 'v1')?.items?.length && statusTag(got, 'v2')?.items?.length ? got : null;
    });
    expect(statusTag(s, 'v1').items[0]).toMatchObject({ image: v1.manifestDigest, dockerImageReference: `${repo()}@${v1.manifestDigest}` });
    expect(statusTag(s, 'v2').items[0].image).toBe(v2.manifestDigest);
    expect(s.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toBeDefined();
    // Checked once: later writes (a label) do not import the repository again.
    const rv = s.metadata.resourceVersion;
    expect((await call('PATCH', `${api.base}/namespaces/${NS}/imagestreams/whole`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status).toBe(200);
    await waitFor('requests settled', async () => (await pg.query(`SELECT 1 FROM image_import_requests r JOIN image_streams s ON s.uid = r.stream_uid WHERE s.name = 'whole' AND r.done_at IS NULL`)).rowCount === 0);
    const requests = await pg.query(`SELECT r.tag, r.outcome FROM image_import_requests r JOIN image_streams s ON s.uid = r.stream_uid WHERE s.namespace = $1 AND s.name = 'whole'`, [NS]);
    expect(requests.rows).toEqual([{ tag: '', outcome: 'Success' }]);
    expect(BigInt((await stream('whole')).metadata.resourceVersion)).toBeGreaterThan(BigInt(rv));
    // Removing the check annotation asks for the full import again (the generation does not move), every time.
    for (const round of [2, 3]) {
      const removed = await call('PATCH', `${api.base}/namespaces/${NS}/imagestreams/whole`, { metadata: { annotations: { 'openshift.io/image.dockerRepositoryCheck': null } } }, 'application/merge-patch+json');
      expect(removed.status).toBe(200);
      await waitFor(`import ${round}`, async () => (await stream('whole')).metadata.annotations?.['openshift.io/image.dockerRepositoryCheck']);
      await waitFor('settled', async () => (await pg.query(`SELECT 1 FROM image_import_requests r JOIN image_streams s ON s.uid = r.stream_uid WHERE s.name = 'whole' AND r.done_at IS NULL`)).rowCount === 0);
      const rows = await pg.query(`SELECT r.outcome FROM image_import_requests r JOIN image_streams s ON s.uid = r.stream_uid WHERE s.namespace = $1 AND s.name = 'whole' ORDER BY r.id`, [NS]);
      expect(rows.rows.map((r) => r.outcome)).toEqual(Array(round).fill('Success'));
    }
  });

  it('reference tags are not imported', async () => {
    await createStream('ref', [dockerTag('latest', `${repo()}:v1`, { reference: true })]);
    const s = await stream('ref');
    expect(statusTag(s, 'latest').items[0]).toMatchObject({ image: '', dockerImageReference: `${repo()}:v1` });
    const rows = await pg.query(
      `SELECT 1 FROM image_import_requests r JOIN image_streams s ON s.uid = r.stream_uid WHERE s.namespace = $1 AND s.name = 'ref'`,
      [NS],
    );
    expect(rows.rowCount).toBe(0);
  });

  it('a request written while no worker runs is imported when one starts (outbox)', async () => {
    await worker!.close();
    worker = null;
    await createStream('later', [dockerTag('latest', `${repo()}:v2`)]);
    await new Promise((r) => setTimeout(r, 500));
    expect(statusTag(await stream('later'), 'latest')).toBeUndefined();
    worker = await bootstrapWorker(config);
    const { top } = await imported('later', 'latest');
    expect(top.image).toBe(v2.manifestDigest);
  });
});
