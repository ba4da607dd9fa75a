import { Client } from 'pg';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * DB_LOCK_TIMEOUT_MS: a session stuck holding a lock (here a manual LOCK TABLE in an open
 * transaction) makes the requests that need it fail with 504 Timeout and Retry-After, as
 * kube-apiserver answers a request past its deadline, instead of keeping them (and their pool
 * connections) waiting for as long as the lock is held; requests that need no such lock go on
 * being served; nothing of a refused write is stored. Real api, real Postgres.
 */
describe('a lock held too long', () => {
  let api: TestApi;
  let holder: Client;
  const streams = () => `${api.base}/namespaces/locked/imagestreams`;
  const json = (method: string, url: string, body?: object) =>
    fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });

  beforeAll(async () => {
    api = await startTestApi({ dbLockTimeoutMs: 300, dbPoolSize: 4 });
    expect((await json('POST', streams(), { metadata: { name: 'before' } })).status).toBe(201);
    holder = new Client({ connectionString: api.databaseUrl });
    await holder.connect();
  }, 60000);
  afterAll(async () => {
    await holder?.end();
    await api?.close();
  });

  it('reads and writes that need the lock get 504 Timeout with Retry-After; others are served; nothing refused is stored', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE image_streams IN ACCESS EXCLUSIVE MODE');
    try {
      // More requests than pool connections: without the timeout they would all wait on the lock.
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, () => json('GET', `${streams()}/before`)),
        json('POST', streams(), { metadata: { name: 'during' } }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(504);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Timeout', code: 504, message: expect.stringContaining('DB_LOCK_TIMEOUT_MS') });
      }
      // Images live in another table: served while image streams are locked.
      expect((await json('GET', `${api.base}/images`)).status).toBe(200);
    } finally {
      await holder.query('ROLLBACK');
    }
    expect((await json('GET', `${streams()}/before`)).status).toBe(200);
    expect((await json('GET', `${streams()}/during`)).status).toBe(404);
  });
});
