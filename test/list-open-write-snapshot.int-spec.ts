import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * A list taken while a write below the newest version is still open is reported at the change
 * feed's horizon, and is then the list as it was at that version (kube: one revision's snapshot):
 * a watch from its resourceVersion delivers only what is newer than every state listed, never an
 * older state again, and never a delete of something the list left out.
 */
describe('a list while an earlier write is open', () => {
  let api: TestApi;
  let side: Client;
  const streams = `/namespaces/snap/imagestreams`;
  const mergePatch = (url: string, patch: unknown) => call('PATCH', url, patch, 'application/merge-patch+json');

  beforeAll(async () => {
    api = await startTestApi();
    side = new Client({ connectionString: api.databaseUrl });
    await side.connect();
  });
  afterAll(async () => {
    await side?.query('ROLLBACK').catch(() => undefined);
    await side?.end();
    await api?.close();
  });

  it('is the snapshot at the version it reports, and a watch from there replays nothing older', async () => {
    for (const name of ['s2', 's4']) expect((await call('POST', `${api.base}${streams}`, { metadata: { name } })).status).toBe(201);
    // A transaction holding a version below the writes that follow, with its change row written:
    // the feed waits for it however long (a slow commit), so its horizon stays below them.
    await side.query('BEGIN');
    const held = (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
    await side.query(`INSERT INTO resource_changes (rv, resource, namespace, name, type) VALUES ($1, 'secrets', 'held', 'slow', 'ADDED')`, [held]);
    const one = await mergePatch(`${api.base}${streams}/s2`, { metadata: { labels: { v: 'one' } } });
    const two = await mergePatch(`${api.base}${streams}/s2`, { metadata: { labels: { v: 'two' } } });
    expect([one.status, two.status]).toEqual([200, 200]);
    expect((await call('DELETE', `${api.base}${streams}/s4`)).status).toBe(200);

    // The whole list and the first page of one, asked at once: each waits the consistent-read wait
    // (CONSISTENT_READ_WAIT_MS, 6 s) for the held version before it answers at the feed's horizon.
    const [list, first] = await Promise.all([call('GET', `${api.base}${streams}`), call('GET', `${api.base}${streams}?limit=1`)]);
    expect(list.status).toBe(200);
    const listRv = BigInt(list.body.metadata.resourceVersion);
    expect(listRv).toBeLessThan(BigInt(held));
    // As it was then: s2 before both patches, s4 not yet deleted.
    expect(list.body.items.map((i: { metadata: { name: string; labels?: object } }) => [i.metadata.name, i.metadata.labels])).toEqual([
      ['s2', undefined],
      ['s4', undefined],
    ]);
    for (const item of list.body.items) expect(BigInt(item.metadata.resourceVersion)).toBeLessThanOrEqual(listRv);
    // Paged, the same snapshot.
    expect(first.body.metadata.resourceVersion).toBe(list.body.metadata.resourceVersion);
    const second = await call('GET', `${api.base}${streams}?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect([...first.body.items, ...second.body.items].map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['s2', 's4']);

    await side.query('COMMIT');
    const w = watchEvents(`${api.base}${streams}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    await w.waitFor((e) => e.some((x) => x.type === 'DELETED'), 10000);
    w.stop();
    expect(w.events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.labels?.v])).toEqual([
      ['MODIFIED', 's2', 'one'],
      ['MODIFIED', 's2', 'two'],
      ['DELETED', 's4', undefined],
    ]);
  }, 30000);
});
