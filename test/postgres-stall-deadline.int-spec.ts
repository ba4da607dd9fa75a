import { call, createTestDatabase, testConfig } from '@app/testing';
import { bootstrapApi, type ApiServer } from '../apps/api/src/bootstrap';
import { type CuttableProxy, proxyInFrontOf } from './support/cuttable-proxy';

/**
 * A Postgres that stops answering without closing its connections (a partition, a stopped
 * server) leaves a query waiting for as long as TCP takes to give up: many minutes. Requests are
 * answered 504 at the request deadline instead, as kube-apiserver's timeout filter answers them
 * (REQUEST_TIMEOUT_SECONDS, 60 s by default; here 2 s), and the server serves again once the
 * connection passes again, without a restart.
 */
describe('a Postgres gone silent: requests end at the request deadline', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: CuttableProxy;
  let api: ApiServer;
  const streams = () => `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`;

  beforeAll(async () => {
    db = await createTestDatabase();
    let proxied: string;
    ({ proxy, url: proxied } = await proxyInFrontOf(db.url));
    api = await bootstrapApi(testConfig(proxied, { requestTimeoutSeconds: 2 }));
    expect((await call('POST', streams(), { metadata: { name: 'web' } })).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    proxy?.resume();
    await api?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers reads and writes 504 Timeout in kube-apiserver\'s words, then serves again once Postgres answers', async () => {
    proxy.stall();
    const started = Date.now();
    const [read, list, write] = await Promise.all([
      call('GET', `${streams()}/web`),
      call('GET', streams()),
      call('POST', streams(), { metadata: { name: 'during' } }),
    ]);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(15000);
    expect([read.status, read.body.reason, read.body.message]).toEqual([504, 'Timeout', 'Timeout: request did not complete within the allotted timeout']);
    expect([list.status, list.body.reason]).toEqual([504, 'Timeout']);
    expect([write.status, write.body.message]).toEqual([504, 'Timeout: request did not complete within requested timeout - context deadline exceeded']);

    proxy.resume();
    const again = await call('GET', `${streams()}/web`);
    expect([again.status, again.body.metadata.name]).toEqual([200, 'web']);
    // The write answered 504 was still running: as upstream, it may commit after its answer.
    expect([200, 404]).toContain((await call('GET', `${streams()}/during`)).status);
  }, 60000);
});
