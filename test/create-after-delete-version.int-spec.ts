import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/poll';

const NS = 'recreate';
/** Advisory lock keys the test holds to stop the delete (under its row lock) and the create (at its insert). */
const HOLD_DELETE = 7_310_001;
const HOLD_INSERT = 7_310_002;

/**
 * A create of a name whose delete is in flight gets a later resourceVersion than the delete, as
 * etcd's create (an OptimisticPut on a missing key) commits at a later revision: watchers keyed by
 * namespace/name see the old object's DELETED before the new one's ADDED, never the other way round.
 */
describe('a create racing a delete of the same name', () => {
  let api: TestApi;
  let pg: Client;
  const streams = () => `${api.base}/namespaces/${NS}/imagestreams`;

  beforeAll(async () => {
    api = await startTestApi();
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
  });

  /** Backends of this database waiting for a lock. */
  const lockWaiters = async (): Promise<number> => {
    const { rows } = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return Number(rows[0]!.n);
  };

  it('orders the new object after the delete when the create takes its version while the delete holds the row', async () => {
    const old = await call('POST', streams(), { metadata: { name: 'x' } });
    expect(old.status).toBe(201);
    const oldUid = old.body.metadata.uid as string;
    // A tag with an image: deleting the stream then feeds its loss to tag_changes under the row lock,
    // before the delete takes its version, where the trigger below can hold it.
    const digest = `sha256:${'a'.repeat(64)}`;
    const mapped = await call('POST', `${api.base}/namespaces/${NS}/imagestreammappings`, {
      metadata: { name: 'x' },
      tag: 'v1',
      image: { metadata: { name: digest }, dockerImageReference: `registry.test/${NS}/x@${digest}` },
    });
    expect(mapped.status).toBe(201);

    await pg.query(`SELECT pg_advisory_lock(${HOLD_DELETE}), pg_advisory_lock(${HOLD_INSERT})`);
    await pg.query(`CREATE FUNCTION hold_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${HOLD_DELETE}); RETURN NEW; END $$`);
    await pg.query(`CREATE TRIGGER hold_delete BEFORE INSERT ON tag_changes FOR EACH ROW
      WHEN (NEW.namespace = '${NS}' AND NEW.stream = 'x' AND NEW.cause = 'stream-delete') EXECUTE FUNCTION hold_delete()`);
    await pg.query(`CREATE FUNCTION hold_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(${HOLD_INSERT}); RETURN NEW; END $$`);
    await pg.query(`CREATE TRIGGER hold_insert BEFORE INSERT ON image_streams FOR EACH ROW
      WHEN (NEW.namespace = '${NS}' AND NEW.name = 'x') EXECUTE FUNCTION hold_insert()`);
    let held = true;
    try {
      // The delete locks the row and stops before taking its version.
      const deleted = call('DELETE', `${streams()}/x`);
      await waitFor('the delete held under the row lock', async () => (await lockWaiters()) >= 1);
      // The create arrives meanwhile and waits too: for the delete (fixed), or at its insert
      // having taken its version already (before the fix).
      const created = call('POST', streams(), { metadata: { name: 'x', labels: { gen: '2' } } });
      await waitFor('the create waiting', async () => (await lockWaiters()) >= 2);
      // The delete goes on: its version, the row removed, committed.
      await pg.query(`SELECT pg_advisory_unlock(${HOLD_DELETE})`);
      expect((await deleted).status).toBe(200);
      await pg.query(`SELECT pg_advisory_unlock(${HOLD_INSERT})`);
      held = false;
      const answer = await created;
      expect(answer.status).toBe(201);
      const newUid = answer.body.metadata.uid as string;
      expect(newUid).not.toBe(oldUid);

      // The change log: the old object's DELETED, then the new one's ADDED at the version it answered.
      const { rows } = await pg.query<{ version: string; type: string; uid: string }>(
        `SELECT c.rv::text AS version, c.type, c.object->'metadata'->>'uid' AS uid FROM resource_changes c
          WHERE c.resource = 'imagestreams' AND c.namespace = $1 AND c.name = 'x' ORDER BY c.rv`,
        [NS],
      );
      const last = rows.slice(-2);
      expect(last.map((r) => [r.type, r.uid])).toEqual([
        ['DELETED', oldUid],
        ['ADDED', newUid],
      ]);
      expect(last[1]!.version).toBe(answer.body.metadata.resourceVersion);
      expect(BigInt(last[1]!.version)).toBeGreaterThan(BigInt(last[0]!.version));

      // A watcher from the first create sees the same order and ends with the live object.
      const w = watchEvents(`${streams()}?watch=true&resourceVersion=${old.body.metadata.resourceVersion}&fieldSelector=metadata.name%3Dx`);
      await w.waitFor((e) => e.some((x) => x.type === 'ADDED' && x.object.metadata.uid === newUid), 5000);
      w.stop();
      const seen = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata.uid === newUid ? 'new' : 'old']);
      expect(seen.slice(-2)).toEqual([
        ['DELETED', 'old'],
        ['ADDED', 'new'],
      ]);
      expect((await call('GET', `${streams()}/x`)).body.metadata.uid).toBe(newUid);
    } finally {
      if (held) await pg.query(`SELECT pg_advisory_unlock_all()`);
      await pg.query(`DROP TRIGGER IF EXISTS hold_delete ON tag_changes`);
      await pg.query(`DROP TRIGGER IF EXISTS hold_insert ON image_streams`);
      await pg.query(`DROP FUNCTION IF EXISTS hold_delete()`);
      await pg.query(`DROP FUNCTION IF EXISTS hold_insert()`);
    }
  });
});
