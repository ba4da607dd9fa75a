import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * trigger_delivery_attempts.delivery_id takes the collation of the id it references
 * (trigger_deliveries.id is COLLATE "C"). With the database default on one side and "C" on the
 * other, Postgres cannot use the (delivery_id, id) index for `delivery_id = d.id`: every delivery
 * claim (which closes interrupted attempts of the claimed rows) and every attempt list of a
 * Deliveries read scanned the whole attempts table, a week of them.
 */
export class DeliveryAttemptsCollation1733200000000 implements MigrationInterface {
  name = 'DeliveryAttemptsCollation1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_delivery_attempts ALTER COLUMN delivery_id TYPE text COLLATE "C"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_delivery_attempts ALTER COLUMN delivery_id TYPE text COLLATE "default"`);
  }
}
