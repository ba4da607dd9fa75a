import { Client } from 'pg';
import { currentResourceVersion, type Queryable } from '@app/persistence';
import { createTestDatabase } from '@app/testing';

/**
 * The newest resourceVersion, which every consistent read from the istag read cache asks for
 * (a prepared statement, once per batch of GETs), against real Postgres.
 */
describe('current resourceVersion', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Client;
  let q: Queryable;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    q = { query: async (text, values, name) => (await client.query(name ? { name, text, values } : { text, values })).rows };
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('stays one probe of the change log as the log grows after the prepared statement was planned on an empty log', async () => {
    // An empty, analysed change log, as a new deployment has: the prepared statement's plan is
    // made now and kept (a sequential scan with an aggregate, before the fix: 5-26 ms at 50-200k rows).
    await client.query('VACUUM ANALYZE resource_changes');
    const empty = await currentResourceVersion(q, 'version_probe');
    for (let i = 0; i < 5; i++) expect(await currentResourceVersion(q, 'version_probe')).toBe(empty);
    await client.query(`INSERT INTO resource_changes (rv, resource, name, type) SELECT g, 'images', 'i' || g, 'ADDED' FROM generate_series(1, 50000) g`);
    await client.query('BEGIN');
    try {
      expect(await currentResourceVersion(q, 'version_probe')).toBe('50000');
      // What this transaction read of the change log: no sequential scan, a probe or two of its key.
      const { rows } = await client.query<{ seq: string; idx: string }>(
        `SELECT pg_stat_get_xact_tuples_returned('resource_changes'::regclass)::text AS seq,
                pg_stat_get_xact_tuples_returned('resource_changes_pkey'::regclass)::text AS idx`,
      );
      expect(rows[0]).toBeDefined();
      expect(Number(rows[0]!.seq)).toBe(0);
      expect(Number(rows[0]!.idx)).toBeLessThan(10);
    } finally {
      await client.query('COMMIT');
    }
  });

  it('is the compaction point when the log is empty, and the newest version otherwise', async () => {
    await client.query('DELETE FROM resource_changes');
    await client.query('UPDATE watch_compaction SET compacted_rv = 70000 WHERE id = 1');
    expect(await currentResourceVersion(q)).toBe('70000');
    await client.query(`INSERT INTO resource_changes (rv, resource, name, type) VALUES (70001, 'images', 'a', 'ADDED'), (70005, 'images', 'b', 'ADDED')`);
    expect(await currentResourceVersion(q)).toBe('70005');
  });
});
