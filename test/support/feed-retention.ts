import type { DataSource } from 'typeorm';
import { loadTriggerConfig } from '@app/config';
import { Database, prepareDatabase } from '@app/persistence';
import { MaintenanceProcessor } from '@app/triggers';
import { pollUntil } from './poll';
import { type TriggerServer, startTriggerServer } from './trigger-server';

/**
 * A trigger server for the file, with a connection of the test's own to its database (to age
 * and prune feed rows as the retention job would); both go after all tests.
 */
export function feedRetentionServer(): { server: () => TriggerServer; db: () => Database } {
  let server: TriggerServer | undefined;
  let ds: DataSource | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    server = await startTriggerServer();
    ds = await prepareDatabase(server.databaseUrl, 2);
    db = new Database(ds);
  }, 60000);
  afterAll(async () => {
    await ds?.destroy();
    await server?.close();
  });
  return { server: () => server!, db: () => db! };
}

/** Once every move is relayed, ages `ids` past an hour and runs the retention job with an hour's retention. */
export async function pruneMoves(db: Database, ids: string[]): Promise<void> {
  await pollUntil(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tag_changes WHERE NOT relayed`))[0]!.n, (n) => n === 0);
  await db.query(`UPDATE tag_changes SET recorded_at = now() - interval '2 hours' WHERE id = ANY($1::bigint[])`, [ids]);
  await new MaintenanceProcessor(db, loadTriggerConfig({ TRIGGER_FEED_RETENTION_SECONDS: '3600' })).process();
}
