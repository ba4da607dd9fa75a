import { Client } from 'pg';
import { compactChangeLog, type Queryable } from '@app/persistence';
import { call, createTestDatabase, testConfig, watchEvents } from '@app/testing';
import { bootstrapApi } from '../apps/api/src/bootstrap';
import { waitFor } from './support/poll';

/**
 * The change log is compacted on a timer of min(60 s, WATCH_RETENTION_SECONDS). An api restarted
 * more often than that (a crash loop, frequent rollouts) used to never reach its first run, so the
 * log grew without bound; each start now compacts at once.
 */
describe('change-log compaction', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pg: Client;
  const onPg: Queryable = { query: async (sql, params) => (await pg.query(sql, params)).rows };
  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await db.drop();
  });

  const compactionPoint = async () => (await pg.query<{ rv: string }>('SELECT compacted_rv::text AS rv FROM watch_compaction')).rows[0]!.rv;
  const loggedVersions = async () => (await pg.query<{ rv: string }>('SELECT rv::text FROM resource_changes ORDER BY rv')).rows.map((r) => r.rv);

  it('an api that lives less than a minute still compacts what is older than the retention', async () => {
    // Default retention (an hour): the timer alone would first run a minute after start.
    const first = await bootstrapApi(testConfig(db.url));
    const url = `${first.url}/apis/image.openshift.io/v1/namespaces/boot/imagestreams`;
    for (const name of ['a', 'b', 'c']) expect((await call('POST', url, { metadata: { name } })).status).toBe(201);
    await first.close();
    // As if those writes were made over an hour ago by an api that has crash-looped since.
    await pg.query(`UPDATE resource_changes SET recorded_at = now() - interval '2 hours'`);
    const before = await loggedVersions();
    expect(before.length).toBeGreaterThanOrEqual(3);
    const newest = before[before.length - 1]!;
    const expectedPoint = before[before.length - 2]!;

    const started = Date.now();
    const second = await bootstrapApi(testConfig(db.url));
    try {
      await waitFor('the compaction point to move', async () => (await compactionPoint()) === expectedPoint, 15000);
      expect(Date.now() - started).toBeLessThan(60000);
      // Everything older than the retention is gone except the newest row, which keeps the current version known.
      expect((await loggedVersions()).filter((rv) => BigInt(rv) <= BigInt(newest))).toEqual([newest]);
      const w = watchEvents(`${second.url}/apis/image.openshift.io/v1/namespaces/boot/imagestreams?watch=1&resourceVersion=${before[0]}`);
      await w.done;
      expect(w.events).toHaveLength(1);
      expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { reason: 'Expired', code: 410 } });
    } finally {
      await second.close();
    }
  });

  describe('a pass', () => {
    const base = 900_000;
    /** Change-log rows at versions base+1…base+n, written `ageSeconds` ago. */
    async function logRows(n: number, ageSeconds: number): Promise<void> {
      await pg.query(
        `INSERT INTO resource_changes (rv, resource, namespace, name, type, recorded_at)
         SELECT $1::bigint + i, 'imagestreams', 'pass', 'x' || i, 'MODIFIED', now() - make_interval(secs => $3)
           FROM generate_series(1, $2::int) AS i`,
        [base, n, ageSeconds],
      );
    }
    beforeEach(async () => {
      await pg.query('DELETE FROM resource_changes');
      await pg.query('UPDATE watch_compaction SET compacted_rv = 0');
    });

    it('deletes in batches until nothing older than the retention is left, keeping the newest row and what is younger', async () => {
      await logRows(25, 7200);
      await pg.query(`INSERT INTO resource_changes (rv, resource, name, type) VALUES ($1, 'imagestreams', 'young', 'ADDED')`, [base + 26]);
      expect(await compactChangeLog(onPg, 3600, { batchRows: 10 })).toBe(String(base + 25));
      expect(await loggedVersions()).toEqual([String(base + 26)]);
      expect(await compactionPoint()).toBe(String(base + 25));
    });

    it('does not wait for rows another replica is compacting: it compacts the others and leaves those to it', async () => {
      await logRows(6, 7200);
      // Another replica's batch, in flight: it holds the row locks of the two oldest rows.
      const other = new Client({ connectionString: db.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('SELECT rv FROM resource_changes WHERE rv <= $1 FOR UPDATE', [base + 2]);
        const pass = compactChangeLog(onPg, 3600);
        const blocked = new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 5000).unref());
        expect(await Promise.race([pass, blocked])).toBe(String(base + 5));
        expect(await loggedVersions()).toEqual([base + 1, base + 2, base + 6].map(String));
      } finally {
        await other.query('ROLLBACK');
        await other.end();
      }
    });
  });
});
