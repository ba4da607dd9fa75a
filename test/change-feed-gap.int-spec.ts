import { Client } from 'pg';
import { ChangeFeed, GAP_GRACE_MS } from '@app/http';
import { allocateResourceVersion, appendChange, type ChangeRecord, MAX_CLOSED_GAP } from '@app/persistence';
import { waitFor } from './support/poll';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

/**
 * A version taken and never committed or released (its transaction's reply lost to a cut
 * connection, so it never learnt which one to release) must not hold the change feed back for
 * good, and closing it must never let a slow transaction commit a change behind the feed's position.
 */
describe('change feed: versions missing past the grace period', () => {
  let test: OpenTestDatabase;
  let feed: ChangeFeed;
  let side: Client;
  const seen: ChangeRecord[] = [];

  beforeAll(async () => {
    test = await openTestDatabase();
    feed = new ChangeFeed(test.db, test.url, 100);
    feed.onChange((c) => seen.push(c));
    await feed.start();
    side = new Client({ connectionString: test.url });
    await side.connect();
  });

  afterAll(async () => {
    await side?.end();
    await feed?.stop();
    await test?.close();
  });

  const change = (rv: string, name: string): ChangeRecord => ({
    rv,
    resource: 'imagestreams',
    namespace: 'gap',
    name,
    type: 'ADDED',
    labels: null,
    prevLabels: null,
    object: { metadata: { name, namespace: 'gap', resourceVersion: rv } },
  });

  /** A committed write of its own version, on the pool. */
  async function write(name: string): Promise<string> {
    return test.db.transaction(async (tx) => {
      const rv = await allocateResourceVersion(tx);
      await appendChange(tx, change(rv, name));
      return rv;
    });
  }

  async function noneRow(rv: string): Promise<boolean> {
    const rows = await test.db.query<{ type: string }>(`SELECT type FROM resource_changes WHERE rv = $1`, [rv]);
    return rows[0]?.type === 'NONE';
  }

  it('an abandoned version (no transaction left that could hold it) is closed with a NONE row at once, and the feed goes on', async () => {
    // Taken outside any transaction: nobody can commit it, as when a cut connection's transaction is gone.
    const abandoned = (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
    const started = Date.now();
    const rv = await write('after-abandoned');
    await waitFor('the change after the abandoned version', async () => seen.some((c) => c.rv === rv), GAP_GRACE_MS + 5000);
    // Not the grace period: the first check for a transaction that could hold it finds none.
    expect(Date.now() - started).toBeLessThan(GAP_GRACE_MS / 2);
    expect(await noneRow(abandoned)).toBe(true);
    expect(BigInt(feed.position)).toBeGreaterThanOrEqual(BigInt(rv));
  }, 30000);

  it('a version an open transaction took is waited for while it is open, and closed once it has rolled back', async () => {
    await side.query('BEGIN');
    const held = (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
    const rv = await write('after-held-open');
    await new Promise((r) => setTimeout(r, 1000));
    // Its holder may still commit it: the feed holds the later change back and closes nothing.
    expect(seen.some((c) => c.rv === rv)).toBe(false);
    expect(await noneRow(held)).toBe(false);
    const rolledBack = Date.now();
    await side.query('ROLLBACK');
    await waitFor('the change after the released version', async () => seen.some((c) => c.rv === rv), GAP_GRACE_MS + 5000);
    expect(Date.now() - rolledBack).toBeLessThan(GAP_GRACE_MS / 2);
    expect(await noneRow(held)).toBe(true);
  }, 30000);

  it('a gap too wide to be a transaction\'s versions (the sequence moved by hand) is passed over without a row per version', async () => {
    const from = (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
    await side.query(`SELECT setval('resource_version_seq', $1::bigint + $2::bigint)`, [from, MAX_CLOSED_GAP + 5]);
    const rv = await write('after-wide-gap');
    await waitFor('the change after the wide gap', async () => seen.some((c) => c.rv === rv), GAP_GRACE_MS + 5000);
    const rows = await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource_changes WHERE rv >= $1 AND rv < $2`, [from, rv]);
    expect(rows[0]!.n).toBe(0);
  }, 30000);

  it('a version whose change row an open transaction has written is waited for, however long, and delivered in order', async () => {
    await side.query('BEGIN');
    const slow = (await side.query<{ rv: string }>(`SELECT nextval('resource_version_seq')::text AS rv`)).rows[0]!.rv;
    await side.query(`INSERT INTO resource_changes (rv, resource, namespace, name, type) VALUES ($1, 'imagestreams', 'gap', 'slow', 'ADDED')`, [slow]);
    const rv = await write('after-slow');
    // Well past the grace period: the feed still holds the later change back.
    await new Promise((r) => setTimeout(r, GAP_GRACE_MS + 2000));
    expect(seen.some((c) => c.rv === rv)).toBe(false);
    expect(BigInt(feed.position)).toBeLessThan(BigInt(slow));
    await side.query('COMMIT');
    await waitFor('both changes', async () => seen.some((c) => c.rv === rv), 5000);
    const names = seen.filter((c) => BigInt(c.rv) >= BigInt(slow)).map((c) => [c.rv, c.name]);
    expect(names).toEqual([
      [slow, 'slow'],
      [rv, 'after-slow'],
    ]);
  }, 30000);

  it('a transaction still holding a closed version is run again with a new one, not committed behind the feed', async () => {
    let attempts = 0;
    let first = '';
    let later = '';
    const committed = await test.db.transaction(async (tx) => {
      attempts++;
      const rv = await allocateResourceVersion(tx);
      if (attempts === 1) {
        first = rv;
        later = await write('after-held');
        await waitFor('the feed to close the held version', () => noneRow(first), GAP_GRACE_MS + 5000);
      }
      await appendChange(tx, change(rv, 'held'));
      return rv;
    });
    expect(attempts).toBe(2);
    expect(BigInt(committed)).toBeGreaterThan(BigInt(later));
    await waitFor('the retried change', async () => seen.some((c) => c.rv === committed), 5000);
    expect(seen.filter((c) => c.name === 'held').map((c) => c.rv)).toEqual([committed]);
    expect(await noneRow(first)).toBe(true);
  }, 30000);
});
