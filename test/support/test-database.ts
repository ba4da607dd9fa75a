import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { Database, prepareDatabase } from '@app/persistence';
import { createTestDatabase } from '@app/testing';

/** A test database of its own, opened in this process. */
export interface OpenTestDatabase {
  /** Connection URL of the database. */
  url: string;
  /** Query access through the service's own persistence layer. */
  db: Database;
  /** Closes the connections and drops the database. */
  close(): Promise<void>;
}

/** Creates a test database and opens it through the persistence layer (a pool of 2 connections). */
export async function openTestDatabase(options: { idleInTransactionTimeoutMs?: number } = {}): Promise<OpenTestDatabase> {
  const testDb = await createTestDatabase();
  let ds: DataSource;
  try {
    ds = await prepareDatabase(testDb.url, 2, options.idleInTransactionTimeoutMs);
  } catch (err) {
    await testDb.drop();
    throw err;
  }
  return {
    url: testDb.url,
    db: new Database(ds),
    async close() {
      try {
        await ds.destroy();
      } finally {
        await testDb.drop();
      }
    },
  };
}

/**
 * Moves the compaction point of the change log at `databaseUrl` to its newest row, as retention
 * would after a while: every older resourceVersion (watch, continue token, Exact list) is 410.
 */
export async function expireChangeLog(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`UPDATE watch_compaction SET compacted_rv = (SELECT max(rv) FROM resource_changes)`);
  } finally {
    await client.end();
  }
}
