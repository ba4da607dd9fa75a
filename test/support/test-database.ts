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
export async function openTestDatabase(): Promise<OpenTestDatabase> {
  const testDb = await createTestDatabase();
  let ds: DataSource;
  try {
    ds = await prepareDatabase(testDb.url, 2);
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
