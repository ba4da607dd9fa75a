import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { ChangeListener } from '@app/persistence';
import { waitFor } from './support/poll';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

/**
 * Sessions that may sit idle for long (the LISTEN sessions, pooled connections) probe their TCP
 * connection, so one that died silently (a failover without a reset, a partition) errors and is
 * replaced instead of being trusted for ever.
 */
describe('Postgres sessions keep their TCP connection probed', () => {
  let test: OpenTestDatabase;
  let listener: ChangeListener;
  /** Looks at pg_stat_activity from outside the pool. */
  let observer: Client;

  beforeAll(async () => {
    test = await openTestDatabase();
    listener = new ChangeListener(test.url, () => undefined);
    await listener.start();
    observer = new Client({ connectionString: test.url });
    await observer.connect();
  });

  afterAll(async () => {
    await observer?.end();
    await listener?.stop();
    await test?.close();
  });

  /** The local ports of this database's sessions whose current query matches `query`. */
  async function clientPorts(query: string): Promise<number[]> {
    const db = decodeURIComponent(new URL(test.url).pathname.slice(1));
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

  it('the LISTEN session and the pool both arm keepalive', async () => {
    expect(listener.listening).toBe(true);
    let listen: number[] = [];
    await waitFor('the LISTEN session', async () => (listen = await clientPorts('LISTEN %')).length === 1, 10000);
    expect(timerOf(listen[0]!)).toMatch(/timer:\(keepalive,/);
    // A pooled connection, idle after its query.
    await test.db.query(`SELECT 'keepalive-probe'`);
    const pooled = await clientPorts(`SELECT 'keepalive-probe'`);
    expect(pooled.length).toBeGreaterThan(0);
    expect(timerOf(pooled[0]!)).toMatch(/timer:\(keepalive,/);
  });
});
