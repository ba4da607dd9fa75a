import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the events of one evaluation page share (image, tag, causation chain, …) is stored once,
 * in trigger_delivery_event_bases; a delivery's `event` keeps only its own attributes and
 * `event_base` names the shared part (see libs/triggers/src/event-bases.ts). Rows written before
 * (and annotated workloads' records) have no base: their `event` is whole, and reads return it as
 * it is, so existing deliveries need no rewrite. Bases are written in the statement that records
 * their deliveries and never deleted (nor are deliveries), so no foreign key is checked per row.
 */
export class DeliveryEventBases1733500000100 implements MigrationInterface {
  name = 'DeliveryEventBases1733500000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE trigger_delivery_event_bases (id bigserial PRIMARY KEY, event jsonb NOT NULL)`,
    );
    await q.query(`ALTER TABLE trigger_deliveries ADD COLUMN event_base bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Every delivery gets its whole event back.
    await q.query(
      `UPDATE trigger_deliveries d
          SET event = (b.event - 'data') || (d.event - 'data') || jsonb_build_object('data', (b.event->'data') || (d.event->'data'))
         FROM trigger_delivery_event_bases b WHERE b.id = d.event_base`,
    );
    await q.query(`ALTER TABLE trigger_deliveries DROP COLUMN event_base`);
    await q.query(`DROP TABLE trigger_delivery_event_bases`);
  }
}
