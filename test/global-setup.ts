import { Client } from 'pg';
// Jest loads globalSetup without moduleNameMapper, so the @app/* aliases are not available here.
/* eslint-disable no-restricted-imports */
import { ADMIN_URL, databaseUrl, templateDb } from '../libs/testing/src/pg-template';
import { prepareDatabase } from '../libs/persistence/src/data-source';
/* eslint-enable no-restricted-imports */
import { buildApps, buildDir, removeStaleBuilds } from './support/app-build';

/** Migrates a template database once per run; each test file clones it (CREATE DATABASE … TEMPLATE). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  process.env['ISD_TEST_RUN'] = String(process.pid);
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // Leftovers of runs that are gone (a killed run cannot clean up after itself).
    const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ '^isd_(test|tpl)_[0-9]+'`);
    for (const row of stale.rows) {
      const pid = Number(/^isd_(?:test|tpl)_(\d+)/.exec(row.datname)![1]);
      if (!alive(pid)) await admin.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${templateDb()} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const ds = await prepareDatabase(databaseUrl(templateDb()), 1);
  await ds.destroy();
  removeStaleBuilds(alive);
  buildApps(buildDir(String(process.pid)));
}
