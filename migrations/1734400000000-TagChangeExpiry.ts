import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tag_change_expiry.expired_through`: the feed position below which a cursor has missed something
 * for good, so the feed answers it 410 Expired. It is the highest of every move id deleted from
 * tag_changes (a cursor below it never got that move) and every tombstone position dropped (a
 * cursor below it never got that prune's DELETED events). Statement triggers keep it, so any
 * delete counts, the retention job's or an operator's.
 *
 * The feed used to derive this from the oldest retained id, which is wrong both ways: a rolled-back
 * write leaves a gap in the ids, so a cursor at the emptied feed's end was 410 at the next move;
 * and a move pruned while an older one stayed (retention prunes only relayed moves) was skipped
 * silently by a cursor between the two.
 *
 * Existing databases start from what the old rule answered, so no cursor that was 410 becomes valid.
 */
export class TagChangeExpiry1734400000000 implements MigrationInterface {
  name = 'TagChangeExpiry1734400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tag_change_expiry (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        expired_through bigint NOT NULL
      )`);
    await q.query(`
      WITH seq AS (SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS issued FROM tag_changes_id_seq)
      INSERT INTO tag_change_expiry (expired_through)
      SELECT coalesce(
               (SELECT min(id) - 1 FROM tag_changes),
               (SELECT max(t.id) FROM tag_change_tombstones t HAVING max(t.feed_position) = (SELECT issued FROM seq)),
               (SELECT issued FROM seq))`);
    // One function for both tables: its argument names the column holding the position each deleted row passes.
    await q.query(`
      CREATE FUNCTION tag_change_expiry_advance() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE newest bigint;
      BEGIN
        EXECUTE format('SELECT max(%I) FROM gone', TG_ARGV[0]) INTO newest;
        UPDATE tag_change_expiry SET expired_through = newest WHERE newest > expired_through;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tag_change_expiry_moves AFTER DELETE ON tag_changes
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION tag_change_expiry_advance('id')`);
    await q.query(`
      CREATE TRIGGER tag_change_expiry_tombstones AFTER DELETE ON tag_change_tombstones
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION tag_change_expiry_advance('feed_position')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tag_change_expiry_tombstones ON tag_change_tombstones`);
    await q.query(`DROP TRIGGER tag_change_expiry_moves ON tag_changes`);
    await q.query(`DROP FUNCTION tag_change_expiry_advance()`);
    await q.query(`DROP TABLE tag_change_expiry`);
  }
}
