import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Trigger or annotated workload deleted with `propagationPolicy: Orphan` keeps its deliveries
 * (see libs/triggers/src/delivery-collector.ts):
 *
 * - `trigger_deliveries.orphaned`: the owner's reference is gone from the delivery (its served
 *   `metadata.ownerReferences` is empty). The owner columns stay: they record whose fire the
 *   delivery is (`spec.owner`, the trigger label), and the owner's uid keeps a new owner of the
 *   same name from taking it. Not in any index, so setting it is a HOT update.
 * - `trigger_delivery_owner_removals.orphan`: the removed owner's deliveries are orphaned instead
 *   of deleted; `orphaned_through` is the `seq` of the last one orphaned, where the next batch
 *   starts (orphaned rows stay, so a batch cannot start from the owner's first row again).
 */
export class DeliveryOrphans1733800000000 implements MigrationInterface {
  name = 'DeliveryOrphans1733800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries ADD COLUMN orphaned boolean NOT NULL DEFAULT false`);
    await q.query(
      `ALTER TABLE trigger_delivery_owner_removals ADD COLUMN orphan boolean NOT NULL DEFAULT false, ADD COLUMN orphaned_through bigint NOT NULL DEFAULT 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_delivery_owner_removals DROP COLUMN orphaned_through, DROP COLUMN orphan`);
    await q.query(`ALTER TABLE trigger_deliveries DROP COLUMN orphaned`);
  }
}
