import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many times a delivery was claimed for sending. A claim leases the row (next_attempt_at
 * moves ahead); a new delivery is leased by its evaluator for the batch job before anyone has
 * claimed it, and only that first claim may take a row whose lease has not run out.
 */
export class DeliveryClaims1733100000000 implements MigrationInterface {
  name = 'DeliveryClaims1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries ADD COLUMN claims int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries DROP COLUMN claims`);
  }
}
