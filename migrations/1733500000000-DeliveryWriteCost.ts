import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cheaper delivery writes (WAL and Postgres CPU per delivery; see README Benchmarks → History).
 *
 * - A claim's lease moves to its own column, `leased_until`, which no index holds: a claim no
 *   longer changes `next_attempt_at` (indexed for the sweeper), so it is a HOT update. A row is
 *   claimable when both times have passed; an outcome or a redrive clears the lease. Existing
 *   rows keep their lease in `next_attempt_at` (`leased_until` null), which means the same.
 * - Free space on every page of deliveries, their attempts and triggers (fillfactor 50): the
 *   claim, the outcome and the status write put the new row version on the same page, where
 *   Postgres logs only the changed bytes and (no indexed column changed) adds no index entries.
 *   Applies to pages written from now on; existing rows need no rewrite.
 * - The unique index on `idempotency_key` goes: the primary key is the delivery id, a SHA-256
 *   digest of that key (deliveryIdOf), so one key is one id and `ON CONFLICT (id)` keeps one
 *   delivery per key. The key stays on the row and in the served Delivery.
 * - The unique index on attempts (delivery_id, generation, attempt, started_at) goes: with the
 *   start time in it, it never refused a row, and no query reads it (the attempt list reads
 *   (delivery_id, id)).
 */
export class DeliveryWriteCost1733500000000 implements MigrationInterface {
  name = 'DeliveryWriteCost1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE trigger_deliveries ADD COLUMN leased_until timestamptz`);
    await q.query(`ALTER TABLE trigger_deliveries DROP CONSTRAINT trigger_deliveries_idempotency_key_key`);
    await q.query(
      `ALTER TABLE trigger_delivery_attempts DROP CONSTRAINT trigger_delivery_attempts_delivery_id_generation_attempt_st_key`,
    );
    await q.query(`ALTER TABLE trigger_deliveries SET (fillfactor = 50)`);
    await q.query(`ALTER TABLE trigger_delivery_attempts SET (fillfactor = 50)`);
    await q.query(`ALTER TABLE triggers SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triggers RESET (fillfactor)`);
    await q.query(`ALTER TABLE trigger_delivery_attempts RESET (fillfactor)`);
    await q.query(`ALTER TABLE trigger_deliveries RESET (fillfactor)`);
    await q.query(
      `ALTER TABLE trigger_delivery_attempts ADD CONSTRAINT trigger_delivery_attempts_delivery_id_generation_attempt_st_key UNIQUE (delivery_id, generation, attempt, started_at)`,
    );
    await q.query(
      `ALTER TABLE trigger_deliveries ADD CONSTRAINT trigger_deliveries_idempotency_key_key UNIQUE (idempotency_key)`,
    );
    // A lease taken after the upgrade goes back to next_attempt_at, where the old code reads it.
    await q.query(
      `UPDATE trigger_deliveries SET next_attempt_at = leased_until WHERE leased_until > next_attempt_at`,
    );
    await q.query(`ALTER TABLE trigger_deliveries DROP COLUMN leased_until`);
  }
}
