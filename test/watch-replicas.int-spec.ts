import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { type ApiProcess, startApiProcess } from './support/api-process';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('watch across api replicas', () => {
  let api: TestApi;
  let second: ApiProcess;
  beforeAll(async () => {
    api = await startTestApi();
    second = await startApiProcess({ DATABASE_URL: api.databaseUrl });
  }, 90000);
  afterAll(async () => {
    await second?.stop();
    await api.close();
  });

  it('a write on one replica reaches a watcher on the other, in order', async () => {
    const base2 = `${second.url}/apis/image.openshift.io/v1`;
    const list = await call('GET', `${base2}/namespaces/rep/imagestreams`);
    const w = watchEvents(`${base2}/namespaces/rep/imagestreams?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    expect((await call('POST', `${api.base}/namespaces/rep/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    const mapped = await call('POST', `${api.base}/namespaces/rep/imagestreammappings`, {
      metadata: { name: 'app' },
      tag: 'v1',
      image: { metadata: { name: digest('c') }, dockerImageReference: `quay.io/rep/app@${digest('c')}` },
    });
    expect(mapped.status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.type === 'MODIFIED' && x.object.status?.tags?.[0]?.tag === 'v1'));
    w.stop();
    expect(w.events[0]!.type).toBe('ADDED');
    const rvs = w.events.map((e) => BigInt(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => (a < b ? -1 : 1))).toEqual(rvs);
  });

  it('a committed write wakes every replica with a NOTIFY (sent after the commit, not the 1 s poll)', async () => {
    const listener = new Client({ connectionString: api.databaseUrl });
    await listener.connect();
    try {
      const notified: number[] = [];
      listener.on('notification', () => notified.push(Date.now()));
      await listener.query('LISTEN resource_changes');
      expect((await call('POST', `${api.base}/namespaces/rep/imagestreams`, { metadata: { name: 'woken' } })).status).toBe(201);
      const deadline = Date.now() + 5000;
      while (!notified.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(notified.length).toBeGreaterThan(0);
    } finally {
      await listener.end();
    }
  });

  it('ends watches cleanly on graceful shutdown', async () => {
    const other = await startApiProcess({ DATABASE_URL: api.databaseUrl });
    const w = watchEvents(`${other.url}/apis/image.openshift.io/v1/namespaces/rep/imagestreams?watch=true`);
    await w.waitFor((e) => e.length >= 1);
    const code = await other.stop('SIGTERM');
    await w.done;
    expect(code).toBe(0);
  }, 90000);
});
