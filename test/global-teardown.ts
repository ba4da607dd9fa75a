import { Client } from 'pg';
/* eslint-disable no-restricted-imports -- globalTeardown runs without moduleNameMapper */
import { ADMIN_URL, runId } from '../libs/testing/src/pg-template';
/* eslint-enable no-restricted-imports */
import { rmSync } from 'node:fs';
import { buildDir } from './support/app-build';
import { deleteQueueKeys } from './support/queue-keys';
import { takeRecordedQueuePrefixes } from './support/queue-prefix';

/** Drops this run's template, any database a test file left behind, and its files' queue keys. */
export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const mine = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname ~ $1`, [`^isd_(test|tpl)_${runId()}(_|$)`]);
    for (const row of mine.rows) await admin.query(`DROP DATABASE IF EXISTS ${row.datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  rmSync(buildDir(runId()), { recursive: true, force: true });
  await deleteQueueKeys(takeRecordedQueuePrefixes(runId()));
}
