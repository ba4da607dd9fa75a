import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tag_change_tombstones`: what the feed's retention pruned, so that watches of the feed can send
 * a DELETED event for each pruned move, as a Kubernetes watch does when an object expires (an
 * informer's cache would otherwise keep every move it ever saw). `feed_position` is a position
 * of the prune's own: the job takes the next id of tag_changes_id_seq for it (no move has it), so
 * every cursor handed out before the prune is below it, and a watch's DELETED events carry a
 * position at or past it (a watch resumed from there is not sent them again). `pruned_at` (clock
 * time after the position was taken) lets the feed's horizon cover that position once every id
 * below it is final, as a move's `recorded_at` does (see TagChangeFeedHandler.feedHorizon). A
 * tombstone goes once a cursor below its position would be 410 anyway.
 */
export class TagChangeTombstones1734300000000 implements MigrationInterface {
  name = 'TagChangeTombstones1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tag_change_tombstones (
        feed_position bigint NOT NULL,
        id bigint NOT NULL,
        recorded_at timestamptz NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        previous_image text,
        image text,
        docker_image_reference text,
        cause text NOT NULL,
        pruned_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (feed_position, id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tag_change_tombstones`);
  }
}
