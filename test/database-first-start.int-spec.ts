import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_URL, databaseUrl, runId } from '@app/testing';
import { ensureDatabase } from '@app/persistence';

/**
 * api and worker (or several replicas) started together on a server without the database: each
 * creates it, and Postgres refuses all but one CREATE DATABASE (23505 while they run at once,
 * 42P04 after one committed). None of them may fail to start for it.
 */
describe('first start of several processes on a database that does not exist yet', () => {
  const name = `isd_first_${runId()}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string, params: unknown[] = []) => {
    const client = new Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('every concurrent ensureDatabase succeeds and the database exists once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => ensureDatabase(databaseUrl(name))));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(Array(6).fill('ok'));
    expect((await admin('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name])).rows[0].n).toBe(1);
  });
});
