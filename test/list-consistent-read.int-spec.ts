import { Client } from 'pg';
import { GAP_GRACE_MS } from '@app/http';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * A list without a resourceVersion is a consistent read: it holds every write acknowledged before
 * it, even while a lower version is still taken by a transaction that has not ended (the change
 * feed's position then trails the acknowledged write), and a watch from the version it reports
 * starts after everything it listed.
 */
describe('list after an acknowledged write, with a lower version still held', () => {
  let api: TestApi;
  let side: Client;
  const NS = 'consistent';

  beforeAll(async () => {
    api = await startTestApi();
    side = new Client({ connectionString: api.databaseUrl });
    await side.connect();
  });

  afterAll(async () => {
    await side?.end();
    await api?.close();
  });

  const streams = `/namespaces/${NS}/imagestreams`;

  /** Takes a version in a transaction left open, as a writer still at work does. */
  async function holdVersion(): Promise<string> {
    await side.query('BEGIN');
    return (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
  }

  async function create(name: string): Promise<string> {
    const created = await call('POST', `${api.base}${streams}`, { metadata: { name } });
    expect(created.status).toBe(201);
    return created.body.metadata.resourceVersion as string;
  }

  it('holds the write once the holder rolls back, and a watch from its version starts after it', async () => {
    const held = await holdVersion();
    const rv = await create('after-held');
    expect(BigInt(rv)).toBeGreaterThan(BigInt(held));
    const listing = call('GET', `${api.base}${streams}`);
    setTimeout(() => void side.query('ROLLBACK'), 500);
    const list = await listing;
    expect(list.status).toBe(200);
    expect((list.body.items as any[]).map((s) => s.metadata.name)).toContain('after-held');
    expect(BigInt(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(rv));

    // The watch from the list's version delivers what came after the list, not what it listed.
    const controller = new AbortController();
    const watch = await fetch(`${api.base}${streams}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`, { signal: controller.signal });
    const reader = watch.body!.getReader();
    await create('after-list');
    let text = '';
    while (!text.includes('\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    const first = JSON.parse(text.split('\n')[0]!);
    expect(first).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'after-list' } } });
  }, 30000);

  it('holds the write when the holder stays open past the grace period (the feed closes its version)', async () => {
    const started = Date.now();
    await holdVersion();
    try {
      await create('after-stuck');
      const list = await call('GET', `${api.base}${streams}`);
      expect(list.status).toBe(200);
      expect((list.body.items as any[]).map((s) => s.metadata.name)).toContain('after-stuck');
      expect(Date.now() - started).toBeGreaterThanOrEqual(GAP_GRACE_MS - 1000);
    } finally {
      await side.query('ROLLBACK');
    }
  }, 30000);
});
