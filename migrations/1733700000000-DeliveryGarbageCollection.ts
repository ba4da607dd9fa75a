import type { MigrationInterface, QueryRunner } from 'typeorm';

const ownerTables: [kind: string, table: string][] = [
  ['Trigger', 'triggers'],
  ['Deployment', 'workload_deployments'],
  ['StatefulSet', 'workload_statefulsets'],
  ['DaemonSet', 'workload_daemonsets'],
  ['CronJob', 'workload_cronjobs'],
];

/**
 * Deliveries are garbage-collected with their owner (see libs/triggers/src/delivery-collector.ts):
 *
 * - `trigger_delivery_owner_removals`: one row per removed Trigger or workload, written in the
 *   owner's delete transaction; the worker deletes the owner's deliveries in batches and then the
 *   row. Deliveries of owners removed before this migration are queued here too, so they go as well.
 * - An index on `event_base` (only rows that have one): a shared event base is deleted when its
 *   last delivery goes, which is an index probe instead of a scan of every delivery. A delivery's
 *   event_base never changes, so claims and outcomes stay HOT updates.
 */
export class DeliveryGarbageCollection1733700000000 implements MigrationInterface {
  name = 'DeliveryGarbageCollection1733700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trigger_delivery_owner_removals (
        owner_uid uuid PRIMARY KEY,
        owner_kind text NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        owner_name text COLLATE "C" NOT NULL,
        removed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX trigger_deliveries_by_event_base ON trigger_deliveries (event_base) WHERE event_base IS NOT NULL`);
    for (const [kind, table] of ownerTables) {
      await q.query(
        `INSERT INTO trigger_delivery_owner_removals (owner_uid, owner_kind, namespace, owner_name)
         SELECT DISTINCT ON (d.owner_uid) d.owner_uid, d.owner_kind, d.namespace, d.owner_name FROM trigger_deliveries d
          WHERE d.owner_kind = $1 AND NOT EXISTS (SELECT 1 FROM ${table} o WHERE o.uid = d.owner_uid)
         ON CONFLICT DO NOTHING`,
        [kind],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX trigger_deliveries_by_event_base`);
    await q.query(`DROP TABLE trigger_delivery_owner_removals`);
  }
}
