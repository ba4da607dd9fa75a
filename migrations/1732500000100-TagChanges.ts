import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable feed of tag moves, written in the same transaction as the move (the outbox the
 * trigger pipeline relays from, and the cursor-addressable feed pull consumers read).
 */
export class TagChanges1732500000100 implements MigrationInterface {
  name = 'TagChanges1732500000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tag_changes (
        id bigserial PRIMARY KEY,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        stream_uid uuid NOT NULL,
        tag text COLLATE "C" NOT NULL,
        previous_image text,
        image text NOT NULL,
        docker_image_reference text NOT NULL,
        cause text NOT NULL
      )`);
    await q.query(`CREATE INDEX tag_changes_by_stream ON tag_changes (namespace, stream, tag, id)`);
    await q.query(`CREATE INDEX tag_changes_by_time ON tag_changes (recorded_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tag_changes`);
  }
}
