import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { ApiError } from '@app/api-machinery';
import { call } from '@app/testing';
import { ChangeListener } from '@app/persistence';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/poll';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

/** The local ports of a database's sessions whose current query matches `query`. */
async function clientPorts(observer: Client, databaseUrl: string, query = '%'): Promise<number[]> {
  const db = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const rows = await observer.query<{ port: number }>(
    `SELECT client_port AS port FROM pg_stat_activity WHERE datname = $1 AND query ILIKE $2 AND pid <> pg_backend_pid()`,
    [db, query],
  );
  return rows.rows.map((r) => r.port);
}

/** ss's timer column for the socket bound to this local port: `keepalive` once probing is armed. */
function timerOf(port: number): string {
  return execFileSync('ss', ['-tnoH', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' });
}

/**
 * Sessions that may sit idle for long (the LISTEN sessions, pooled connections) probe their TCP
 * connection, so one that died silently (a failover without a reset, a partition) errors and is
 * replaced instead of being trusted for ever.
 */
describe('Postgres sessions keep their TCP connection probed', () => {
  let api: TestApi;
  let listener: ChangeListener;
  /** Looks at pg_stat_activity from outside the pools. */
  let observer: Client;

  beforeAll(async () => {
    api = await startTestApi();
    listener = new ChangeListener(api.databaseUrl, () => undefined);
    await listener.start();
    observer = new Client({ connectionString: api.databaseUrl });
    await observer.connect();
  });

  afterAll(async () => {
    await observer?.end();
    await listener?.stop();
    await api?.close();
  });

  it('a LISTEN session arms keepalive', async () => {
    expect(listener.listening).toBe(true);
    let listen: number[] = [];
    await waitFor('the LISTEN sessions', async () => (listen = await clientPorts(observer, api.databaseUrl, 'LISTEN %')).length >= 1, 10000);
    for (const port of listen) expect(timerOf(port)).toMatch(/timer:\(keepalive,/);
  });

  it("every session of a running api (its pool, its change feed's LISTEN) arms keepalive", async () => {
    expect((await call('POST', `${api.base}/namespaces/ka/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    const ports = await clientPorts(observer, api.databaseUrl);
    expect(ports.length).toBeGreaterThan(1);
    for (const port of ports) expect([port, timerOf(port)]).toEqual([port, expect.stringMatching(/timer:\(keepalive,/)]);
  });
});

describe('a transaction left idle past DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', () => {
  let test: OpenTestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase({ idleInTransactionTimeoutMs: 500 });
  });
  afterAll(async () => test?.close());

  it('is ended by Postgres: 503, nothing of it commits, and the pool goes on', async () => {
    const outcome = await test.db
      .transaction(async (tx) => {
        await tx.query(`CREATE TABLE stuck_probe (id int)`);
        // A holder waiting on something that does not answer.
        await new Promise((r) => setTimeout(r, 1500));
        await tx.query('SELECT 1');
        return 'committed';
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(ApiError);
    expect((outcome as ApiError).code).toBe(503);
    expect(await test.db.query(`SELECT to_regclass('stuck_probe') AS t`)).toEqual([{ t: null }]);
  }, 20000);
});
