import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled re-imports (importPolicy.scheduled): a scheduled request is an image_import_requests
 * row with `scheduled`, at most one pending per tag. The scheduler finds scheduled spec tags
 * through a partial index on the streams that have any, so its cost follows the number of
 * scheduled streams, not of all streams.
 */
export class ScheduledImports1732700000100 implements MigrationInterface {
  name = 'ScheduledImports1732700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE image_import_requests ADD COLUMN scheduled boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE image_import_requests DROP CONSTRAINT image_import_requests_stream_uid_tag_generation_key`);
    await q.query(`CREATE UNIQUE INDEX image_import_requests_by_generation ON image_import_requests (stream_uid, tag, generation) WHERE NOT scheduled`);
    await q.query(`CREATE UNIQUE INDEX image_import_requests_scheduled_pending ON image_import_requests (stream_uid, tag) WHERE scheduled AND done_at IS NULL`);
    await q.query(`CREATE INDEX image_import_requests_scheduled_recent ON image_import_requests (stream_uid, tag, created_at DESC) WHERE scheduled`);
    await q.query(
      `CREATE INDEX image_streams_with_scheduled_tags ON image_streams (uid)
        WHERE body @> '{"spec":{"tags":[{"importPolicy":{"scheduled":true}}]}}'::jsonb`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX image_streams_with_scheduled_tags`);
    await q.query(`DELETE FROM image_import_requests WHERE scheduled`);
    await q.query(`DROP INDEX image_import_requests_scheduled_recent`);
    await q.query(`DROP INDEX image_import_requests_scheduled_pending`);
    await q.query(`DROP INDEX image_import_requests_by_generation`);
    await q.query(`ALTER TABLE image_import_requests ADD CONSTRAINT image_import_requests_stream_uid_tag_generation_key UNIQUE (stream_uid, tag, generation)`);
    await q.query(`ALTER TABLE image_import_requests DROP COLUMN scheduled`);
  }
}
