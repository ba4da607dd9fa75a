import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tag_change_tombstones`: what the feed's retention pruned, so that watches of the feed can send
 * a DELETED event for each pruned move, as a Kubernetes watch does when an object expires (an
 * informer's cache would otherwise keep every move it ever saw). `feed_position` is the feed's
 * newest id when the move was pruned: a watch resumed from a cursor at or below it may hold the
 * move and is sent its DELETED. A tombstone goes once no cursor at or below its `feed_position`
 * can resume any more (the retained feed starts past it: such a cursor gets 410 and lists again).
 */
export class TagChangeTombstones1734300000000 implements MigrationInterface {
  name = 'TagChangeTombstones1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tag_change_tombstones (
        seq bigserial PRIMARY KEY,
        feed_position bigint NOT NULL,
        id bigint NOT NULL,
        recorded_at timestamptz NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        previous_image text,
        image text,
        docker_image_reference text,
        cause text NOT NULL
      )`);
    await q.query(`CREATE INDEX tag_change_tombstones_by_position ON tag_change_tombstones (feed_position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tag_change_tombstones`);
  }
}
