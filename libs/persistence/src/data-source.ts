import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';
import { DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS, pgPoolOptions } from './pool-options';

export function createDataSource(url: string, poolSize: number, idleInTransactionTimeoutMs = DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'typeorm_migrations',
    migrations,
    entities: [],
    poolSize,
    extra: pgPoolOptions({ size: poolSize, idleInTransactionTimeoutMs }),
    logging: false,
  });
}

/** Creates the target database when it is missing (first boot against a fresh server). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!dbName) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`).catch((e: { code?: string }) => {
        // Created concurrently by another replica: 42P04 once it committed, 23505 (the catalog's
        // unique index) while both CREATEs ran at once.
        if (e.code !== '42P04' && e.code !== '23505') throw e;
      });
    }
  } finally {
    await client.end();
  }
}

/** Ensures the database exists, connects and applies pending migrations (serialised by TypeORM's lock). */
export async function prepareDatabase(url: string, poolSize: number, idleInTransactionTimeoutMs?: number): Promise<DataSource> {
  const ds = createDataSource(url, poolSize, idleInTransactionTimeoutMs);
  try {
    await ensureDatabase(url);
    await ds.initialize();
  } catch (e) {
    throw new Error(`cannot use the database ${databaseAddressOf(url)} (DATABASE_URL): ${(e as { message?: string } | null)?.message ?? String(e)}`);
  }
  await ds.query('SELECT pg_advisory_lock(7309)');
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.query('SELECT pg_advisory_unlock(7309)');
  }
  return ds;
}

/** host:port/database of a Postgres URL, without its credentials: what a startup failure names. */
export function databaseAddressOf(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname ? `${decodeURIComponent(parsed.hostname)}:${parsed.port || '5432'}` : '(default host)';
  return `${host}${decodeURIComponent(parsed.pathname)}`;
}
