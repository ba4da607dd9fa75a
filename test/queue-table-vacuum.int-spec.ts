import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

/**
 * The queue-like tables are vacuumed after 2% of their rows changed (migration
 * QueueTableAutovacuum), so their partial indexes of open work do not fill with dead entries.
 */
describe('autovacuum settings of the queue tables', () => {
  let t: OpenTestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['trigger_deliveries', 'trigger_delivery_attempts', 'tag_changes', 'registry_events', 'image_import_requests'])('%s is vacuumed after 2%% of its rows changed', async (table) => {
    const [row] = await t.db.query<{ options: string[] | null }>(`SELECT reloptions AS options FROM pg_class WHERE oid = $1::regclass`, [table]);
    expect(row?.options).toEqual(
      expect.arrayContaining(['autovacuum_vacuum_scale_factor=0.02', 'autovacuum_vacuum_threshold=1000', 'autovacuum_analyze_scale_factor=0.05']),
    );
  });
});
