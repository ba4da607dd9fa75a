import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A prune's tombstones get a feed position of their own: the job takes the next id of
 * tag_changes_id_seq for them (no move has it), so every cursor handed out before the prune is
 * below it and a watch's DELETED events carry a position past it; a watch resumed from there is
 * resumed after them. At the feed's newest position instead, a cursor from before the prune and
 * the DELETED's own resourceVersion could be the same, and a watch resumed from that
 * resourceVersion got every pruned move DELETED again. `pruned_at` (clock time after the position
 * was taken) lets the feed's horizon cover the position once every id below it is final, as a
 * move's `recorded_at` does (see TagChangeFeedHandler.feedHorizon).
 */
export class TagChangeTombstonePositions1734400000000 implements MigrationInterface {
  name = 'TagChangeTombstonePositions1734400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tag_change_tombstones ADD COLUMN pruned_at timestamptz NOT NULL DEFAULT clock_timestamp()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tag_change_tombstones DROP COLUMN pruned_at`);
  }
}
