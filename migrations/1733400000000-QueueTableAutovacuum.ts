import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue-like tables (a row is inserted, then updated once or twice as its work finishes) are
 * vacuumed after a small fraction of their rows changed instead of Postgres' default 20%. Their
 * partial indexes of open work (`WHERE state = 'pending'`, `WHERE NOT relayed`) keep an entry
 * for every row version until a vacuum: with the default, a table of a million deliveries let
 * 200,000 dead entries pile up in the index the sweeper and the relay scan on every pass.
 */
const queueTables = ['trigger_deliveries', 'trigger_delivery_attempts', 'tag_changes', 'registry_events', 'image_import_requests'];

export class QueueTableAutovacuum1733400000000 implements MigrationInterface {
  name = 'QueueTableAutovacuum1733400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of queueTables) {
      await q.query(`ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.05)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of queueTables) {
      await q.query(`ALTER TABLE ${table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)`);
    }
  }
}
