import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { call, createTestDatabase, testConfig } from '@app/testing';
import { bootstrapApi, type ApiServer } from '../apps/api/src/bootstrap';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { type CuttableProxy, proxyInFrontOf } from './support/cuttable-proxy';
import { envelope, fastIngest, postEnvelope, registryEvent, waitFor } from './ingest-harness';
import { freeLoopbackPort } from './support/free-port';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { which } from './support/registry/tools';
import { Client } from 'pg';
import type { AppConfig } from '@app/config';

const skipReason = registryUnavailableReason() ?? (which('redis-server') ? null : 'redis-server not on PATH');
const describeOutage = skipReason ? describe.skip : describe;

// Long enough for every Redis client to go through several reconnect attempts (ioredis backs off to
// 2 s) while the senders keep posting hundreds of events; longer only made the suite slower.
const OUTAGE_MS = 8000;

/** A private Redis (no persistence: a restart loses every queue, as a real outage may). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await waitFor('redis up', async () => {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    return ok;
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describeOutage(`outages${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let redisPort: number;
  let redis: ChildProcess;
  let proxy: CuttableProxy;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiServer;
  let worker: WorkerProcess;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let a: BuiltImage;
  let b: BuiltImage;
  let pg: Client;
  let config: AppConfig;
  const secret = 'outage-secret';
  const base = () => `${api.url}/apis/image.openshift.io/v1`;
  const notifyUrl = () => `${api.url}/registry/notifications`;
  const tagOf = async (ns: string, name: string, tag: string) => {
    const s = await call('GET', `${base()}/namespaces/${ns}/imagestreams/${name}`);
    return (s.body?.status?.tags ?? []).find((t: { tag: string }) => t.tag === tag)?.items?.map((i: { image: string }) => i.image);
  };

  beforeAll(async () => {
    redisPort = await freeLoopbackPort();
    redis = await startRedis(redisPort);
    db = await createTestDatabase();
    let proxied: string;
    ({ proxy, url: proxied } = await proxyInFrontOf(db.url));
    const common: Partial<AppConfig> = {
      ...fastIngest,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      registryNotifySecret: secret,
      queuePrefix: 'outage',
      dbPoolSize: 12,
    };
    // The api reaches Postgres through the proxy; the worker directly.
    api = await bootstrapApi(testConfig(proxied, common));
    registry = await startRegistry({ notifyUrl: notifyUrl(), notifyHeaders: { Authorization: `Bearer ${secret}` }, logLevel: 'info' });
    config = testConfig(db.url, { ...common, registryUrl: registry.url });
    worker = await bootstrapWorker(config);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    layout = await OciLayout.create();
    a = await layout.addImage('a', { seed: 'outage-a' });
    b = await layout.addImage('b', { seed: 'outage-b' });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await proxy?.close();
    await registry?.stop();
    await pg?.end();
    await db?.drop();
    if (redis) await stopProcess(redis);
    await layout?.remove();
  });

  it('Postgres down: the receiver answers 503 Status, the registry retries, and the push lands once it is back', async () => {
    await proxy.cut();
    try {
      const direct = await postEnvelope(notifyUrl(), secret, envelope(registryEvent({ repository: 'pgdown/app', tag: 'x', digest: a.manifestDigest })));
      expect(direct.status).toBe(503);
      expect(direct.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
      await skopeoCopy(layout.dir, 'a', `${registry.host}/pgdown/app:v1`);
      // The registry keeps the event and retries (threshold 3, then every second).
      await waitFor('registry retrying', async () => /retrying|backing off/i.test(registry.logs()), 15000, 100);
    } finally {
      await proxy.open();
    }
    await waitFor('v1 after Postgres came back', async () => (await tagOf('pgdown', 'app', 'v1'))?.[0] === a.manifestDigest, 20000);
    // The direct POST that got 503 stored nothing.
    const rows = await pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE repository = 'pgdown/app' AND tag = 'x'`);
    expect(rows.rows[0].n).toBe(0);
  }, 60000);

  it(`Redis down for ${OUTAGE_MS / 1000} s under load: every event answered 2xx, all processed once it is back`, async () => {
    // Load: senders posting one push event per envelope (unique tags on an image the API knows),
    // plus a real skopeo push during the outage.
    let running = true;
    const statuses = new Map<number, number>();
    const sent: { repo: string; tag: string }[] = [];
    let n = 0;
    const sender = async () => {
      while (running) {
        const i = n++;
        const repo = `load/s${i % 5}`;
        const tag = `t${i}`;
        const res = await postEnvelope(notifyUrl(), secret, envelope(registryEvent({ repository: repo, tag, digest: a.manifestDigest })));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 202) sent.push({ repo, tag });
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const senders = [sender(), sender()];
    await waitFor('load flowing', async () => (await tagOf('load', 's0', 't0'))?.length === 1, 15000);

    await stopProcess(redis);
    const downAt = Date.now();
    await skopeoCopy(layout.dir, 'b', `${registry.host}/load/real:during`);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    const pendingDuringOutage = (await pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE state = 'pending'`)).rows[0].n;
    redis = await startRedis(redisPort);
    await new Promise((r) => setTimeout(r, 2000));
    running = false;
    await Promise.all(senders);

    expect([...statuses.keys()]).toEqual([202]);
    expect(pendingDuringOutage).toBeGreaterThan(100);
    await waitFor(
      'every stored event processed',
      async () => (await pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE state <> 'processed'`)).rows[0].n === 0,
      40000,
      200,
    );
    const stored = (await pg.query(`SELECT count(*)::int AS n FROM registry_events WHERE repository LIKE 'load/s%'`)).rows[0].n;
    expect(stored).toBe(sent.length);
    const tagged = await pg.query(
      `SELECT count(*)::int AS n FROM image_stream_tag_events e JOIN image_streams s ON s.uid = e.stream_uid WHERE s.namespace = 'load' AND s.name LIKE 's%'`,
    );
    expect(tagged.rows[0].n).toBe(sent.length);
    expect(await tagOf('load', 'real', 'during')).toEqual([b.manifestDigest]);
    console.log(`Redis outage: ${sent.length} events answered 202 (${pendingDuringOutage} pending at restart), all processed`);
  }, 120000);
});
