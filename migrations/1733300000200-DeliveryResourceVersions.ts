import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries become watchable: each state change of a delivery (recorded, an attempt's outcome,
 * dead-lettered, redriven) takes a resourceVersion from the global sequence and writes a
 * change-log row (without the object: a watch reads the delivery as it is then). Rows recorded
 * before this have version 0 until their next change.
 */
export class DeliveryResourceVersions1733300000200 implements MigrationInterface {
  name = 'DeliveryResourceVersions1733300000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries ADD COLUMN resource_version bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries DROP COLUMN resource_version`);
  }
}
