import { Client } from 'pg';
// Jest loads globalSetup without moduleNameMapper, so the @app/* aliases are not available here.
/* eslint-disable no-restricted-imports */
import { ADMIN_URL, databaseUrl, TEMPLATE_DB } from '../libs/testing/src/pg-template';
import { prepareDatabase } from '../libs/persistence/src/data-source';
/* eslint-enable no-restricted-imports */

/** Migrates a template database once per run; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    // Leftovers of interrupted runs.
    const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'isd_test_%'`);
    for (const row of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const ds = await prepareDatabase(databaseUrl(TEMPLATE_DB), 1);
  await ds.destroy();
}
