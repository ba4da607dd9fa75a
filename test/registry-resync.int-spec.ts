import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type AppConfig, parseAccessPolicy } from '@app/config';
import { call, testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { fastIngest, putImage, waitFor } from './ingest-harness';
import { startTestApi, type TestApi } from './support/api-server';
import { freeLoopbackPort } from './support/free-port';
import { type BuiltImage, describeWithRegistry, OciLayout, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';
import { makeTokenSigner } from './support/token-signer';

const NS = 'resync';

/**
 * A registry whose notifications never arrive (it has no endpoint: as if it had restarted with
 * them queued, or imagestreamd had been away for good): a resync pass finds what it holds and
 * ingestion applies it, and what was changed through the API stays changed.
 */
describeWithRegistry('registry resync: pushes and tag deletes whose notifications were lost', () => {
  let registry: RunningRegistry;
  let api: TestApi;
  let worker: WorkerProcess;
  let config: AppConfig;
  let layout: OciLayout;
  let pg: Client;
  let a: BuiltImage;
  let b: BuiltImage;
  let c: BuiltImage;
  const secret = `resync-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    registry = await startRegistry({ logLevel: 'warn' });
    const overrides: Partial<AppConfig> = {
      ...fastIngest,
      registryNotifySecret: secret,
      registryUrl: registry.url,
      queuePrefix: testQueuePrefix(),
    };
    api = await startTestApi(overrides);
    config = testConfig(api.databaseUrl, overrides);
    worker = await bootstrapWorker(config);
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    layout = await OciLayout.create();
    a = await layout.addImage('a', { seed: 'resync-a' });
    b = await layout.addImage('b', { seed: 'resync-b' });
    c = await layout.addImage('c', { seed: 'resync-c' });
  });

  afterAll(async () => {
    await worker?.close();
    await pg?.end();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  const resync = (query = '', headers: Record<string, string> = { authorization: `Bearer ${secret}` }) =>
    fetch(`${api.url}/registry/resync${query}`, { method: 'POST', headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
  const istagImage = async (name: string): Promise<string | null> => {
    const r = await call('GET', `${api.base}/namespaces/${NS}/imagestreamtags/${name}`);
    return r.status === 200 ? (r.body.image.metadata.name as string) : null;
  };
  const settled = () =>
    waitFor('resync events settled', async () => {
      const { rows } = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM registry_events WHERE state = 'pending'`);
      return rows[0]!.n === '0';
    });

  it('is guarded by the shared secret and checks the repository it is given', async () => {
    expect((await resync('', {})).status).toBe(401);
    const bad = await resync('?repository=only-one-part');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest' });
    expect(bad.body['message']).toContain('is not of the form <namespace>/<name>');
  });

  it('finds pushes the registry never reported, and ingestion records them', async () => {
    await putImage(registry.url, `${NS}/app`, layout.dir, a, 'v1');
    await putImage(registry.url, `${NS}/app`, layout.dir, b, 'v2');
    await putImage(registry.url, `${NS}/other`, layout.dir, c, 'latest');
    // Nothing told imagestreamd: the registry has no notification endpoint.
    expect(await istagImage('app:v1')).toBeNull();

    const first = await resync();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      kind: 'RegistryResyncReport',
      repositories: 2,
      tags: 3,
      pushes: 3,
      tagDeletes: 0,
      stored: 3,
      truncated: false,
      errors: [],
    });
    await waitFor('app:v1 recorded', async () => (await istagImage('app:v1')) === a.manifestDigest);
    await waitFor('app:v2 recorded', async () => (await istagImage('app:v2')) === b.manifestDigest);
    await waitFor('other:latest recorded', async () => (await istagImage('other:latest')) === c.manifestDigest);
    const image = await call('GET', `${api.base}/images/${a.manifestDigest}`);
    expect(image.body.dockerImageLayers).toHaveLength(a.layers.length);
    const { rows } = await pg.query<{ source_instance: string; state: string; outcome: string }>(
      `SELECT source_instance, state, outcome FROM registry_events WHERE repository = $1 ORDER BY tag`,
      [`${NS}/app`],
    );
    expect(rows).toEqual([
      { source_instance: 'imagestreamd-resync', state: 'processed', outcome: 'tagged' },
      { source_instance: 'imagestreamd-resync', state: 'processed', outcome: 'tagged' },
    ]);
  });

  it('a second pass finds nothing more', async () => {
    await settled();
    const again = await resync();
    expect(again.body).toMatchObject({ repositories: 2, tags: 3, pushes: 0, tagDeletes: 0, stored: 0 });
  });

  it('a tag moved while notifications were lost moves, keeping its history', async () => {
    await putImage(registry.url, `${NS}/app`, layout.dir, c, 'v1');
    const one = await resync(`?repository=${NS}/app`);
    expect(one.body).toMatchObject({ repositories: 1, tags: 2, pushes: 1, stored: 1 });
    await waitFor('app:v1 moved', async () => (await istagImage('app:v1')) === c.manifestDigest);
    const stream = await call('GET', `${api.base}/namespaces/${NS}/imagestreams/app`);
    const v1 = (stream.body.status.tags as { tag: string; items: { image: string }[] }[]).find((t) => t.tag === 'v1')!;
    expect(v1.items.map((i) => i.image)).toEqual([c.manifestDigest, a.manifestDigest]);
  });

  it('a tag deleted in the registry leaves the stream; one deleted through the API stays deleted', async () => {
    await settled();
    // Through the API: the registry still holds app:v2, but ingestion applied that push, so it stays gone.
    expect((await call('DELETE', `${api.base}/namespaces/${NS}/imagestreamtags/app:v2`)).status).toBe(200);
    // In the registry: distribution deletes by digest, and with it every tag naming it (other:latest).
    const del = await fetch(`${registry.url}/v2/${NS}/other/manifests/${c.manifestDigest}`, { method: 'DELETE' });
    expect(del.status).toBe(202);

    const pass = await resync();
    expect(pass.body).toMatchObject({ pushes: 0, tagDeletes: 1, stored: 1, errors: [] });
    await waitFor('other:latest gone', async () => (await istagImage('other:latest')) === null);
    await settled();
    expect(await istagImage('app:v2')).toBeNull();
    expect(await istagImage('app:v1')).toBe(c.manifestDigest);
  });

  it('a repository pushed by digest only (tags/list: NAME_UNKNOWN) has no tags, which is no error', async () => {
    await putImage(registry.url, `${NS}/bydigest`, layout.dir, a, a.manifestDigest);
    const listed = await fetch(`${registry.url}/v2/${NS}/bydigest/tags/list`);
    expect(listed.status).toBe(404);
    const one = await resync(`?repository=${NS}/bydigest`);
    expect(one.body).toMatchObject({ repositories: 1, tags: 0, pushes: 0, tagDeletes: 0, stored: 0, errors: [] });
    const whole = await resync();
    expect(whole.body).toMatchObject({ pushes: 0, tagDeletes: 0, stored: 0, truncated: false, errors: [] });
  });

  // With the digest-only repository above still in the registry, a timed pass is `ok`, not `partial`.
  it('the worker runs a pass every REGISTRY_RESYNC_INTERVAL_SECONDS', async () => {
    await worker.close();
    worker = await bootstrapWorker({ ...config, registryResyncIntervalSeconds: 1 });
    await putImage(registry.url, `${NS}/timed`, layout.dir, b, 'v1');
    await waitFor('timed:v1 recorded by a timed pass', async () => (await istagImage('timed:v1')) === b.manifestDigest, 20_000);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    // The timed pass ran in the worker, this process: its counters are on this registry too.
    expect(metrics).toMatch(/imagestreamd_registry_resync_passes_total\{outcome="ok"\} [1-9]/);
  });

  it('answers 503 while the registry cannot be read', async () => {
    const other = await startTestApi({ registryNotifySecret: secret, registryUrl: 'http://127.0.0.1:1', registryTimeoutMs: 1000, queuePrefix: testQueuePrefix() });
    try {
      const r = await fetch(`${other.url}/registry/resync`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    } finally {
      await other.close();
    }
  });
});

const SERVICE = 'resync-registry';
const ISSUER = 'imagestreamd-resync-test';
const POLICY = `
users:
  - name: isd-worker
    password: worker-pass
  - name: alice
    password: alice-pass
grants:
  - { subjects: [isd-worker], namespaces: ['*'], actions: [pull] }
  - { subjects: [alice], namespaces: [${NS}-token], actions: [pull, push] }
catalog: []
`;

/** A token registry that refuses the worker's user the catalog: the repositories ingestion knows are compared instead. */
describeWithRegistry('registry resync against a token registry without catalog access', () => {
  let registry: RunningRegistry;
  let api: TestApi;
  let worker: WorkerProcess;
  let layout: OciLayout;
  let dir: string;
  const secret = `resync-${randomBytes(8).toString('hex')}`;
  const ns = `${NS}-token`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resync-token-'));
    const { keyPem, certPath } = await makeTokenSigner(dir, 'resync-signer');
    // The api must know the registry's address and the registry the api's token endpoint.
    const port = await freeLoopbackPort();
    const overrides: Partial<AppConfig> = {
      ...fastIngest,
      registryNotifySecret: secret,
      registryUrl: `http://127.0.0.1:${port}`,
      registryUsername: 'isd-worker',
      registryPassword: 'worker-pass',
      registryToken: { keyPem, issuer: ISSUER, service: SERVICE, ttlSeconds: 300 },
      accessPolicy: parseAccessPolicy(POLICY),
      queuePrefix: testQueuePrefix(),
    };
    api = await startTestApi(overrides);
    registry = await startRegistry({ port, tokenAuth: { realm: `${api.url}/registry/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: certPath } });
    worker = await bootstrapWorker(testConfig(api.databaseUrl, overrides));
    layout = await OciLayout.create();
    await layout.addImage('one', { seed: 'resync-token-one' });
    await layout.addImage('two', { seed: 'resync-token-two' });
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const resync = (query = '') =>
    fetch(`${api.url}/registry/resync${query}`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }),
    );
  const istagImage = async (name: string): Promise<string | null> => {
    const r = await call('GET', `${api.base}/namespaces/${ns}/imagestreamtags/${name}`);
    return r.status === 200 ? (r.body.image.metadata.name as string) : null;
  };

  it('compares the repositories ingestion knows and says the catalog was refused', async () => {
    await skopeoCopy(layout.dir, 'one', `${registry.host}/${ns}/app:v1`, { destCreds: 'alice:alice-pass' });
    // One repository by name needs only pull on it.
    const named = await resync(`?repository=${ns}/app`);
    expect(named.body).toMatchObject({ repositories: 1, pushes: 1, stored: 1, errors: [] });
    await waitFor('app:v1 recorded', async () => (await istagImage('app:v1')) !== null);

    await skopeoCopy(layout.dir, 'two', `${registry.host}/${ns}/app:v2`, { destCreds: 'alice:alice-pass' });
    const whole = await resync();
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ repositories: 1, tags: 2, pushes: 1, stored: 1 });
    expect(whole.body['errors']).toEqual([{ repository: '', reason: expect.stringMatching(/the catalog: access denied \(401.*compared the repositories ingestion knows instead/) }]);
    await waitFor('app:v2 recorded', async () => (await istagImage('app:v2')) !== null);
  });
});
