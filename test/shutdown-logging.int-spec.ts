import { Client } from 'pg';
import { createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { pollUntil } from './support/poll';

/**
 * An operator reading the logs must see why a process went away: the signal that started the
 * shutdown, and whether the grace period cut work off (exit 1). Both were silent. A real api
 * process, Postgres (a held table lock keeps a request in flight) and Redis.
 */
/** The process's `Shutdown` log lines, once `count` of them arrived (its stdout may end after its exit event). */
function shutdownLines(api: ApiProcess, count: number): Promise<string[]> {
  return pollUntil(
    async () => api.output().split('\n').filter((l) => l.includes('"context":"Shutdown"')),
    (lines) => lines.length >= count,
  );
}

describe('shutdown is logged', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('a SIGTERM that drains in time says so and exits 0', async () => {
    const api = await startApiProcess({ DATABASE_URL: db.url, LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: '10' });
    expect(await api.stop('SIGTERM')).toBe(0);
    const lines = await shutdownLines(api, 1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'SIGTERM: shutting down, draining within 10 s (SHUTDOWN_GRACE_SECONDS)' });
  }, 90000);

  it('a request still in flight when the grace period runs out is reported with exit 1', async () => {
    const api = await startApiProcess({ DATABASE_URL: db.url, LOG_LEVEL: 'info', SHUTDOWN_GRACE_SECONDS: '1', DB_LOCK_TIMEOUT_MS: '0' });
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE image_streams IN ACCESS EXCLUSIVE MODE');
      const stuck = fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"app"}}' }).catch(() => undefined);
      // The request is waiting on the lock.
      await pollUntil(
        async () => (await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'image_streams'::regclass AND NOT granted`)).rows[0].n as number,
        (n) => n > 0,
      );
      expect(await api.stop('SIGTERM')).toBe(1);
      await stuck;
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const lines = (await shutdownLines(api, 2)).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'SIGTERM: shutting down, draining within 1 s (SHUTDOWN_GRACE_SECONDS)'],
      [50, 'SIGTERM: the 1 s grace period ran out with work still draining; exiting 1'],
    ]);
  }, 90000);
});
