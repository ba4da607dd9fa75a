import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of background imports: one row per spec tag generation whose DockerImage source must
 * be imported, written in the transaction that created or changed the spec tag (so a request is
 * never lost, even with Redis away). The worker relays pending rows into BullMQ and marks them
 * done; the partial index keeps that scan proportional to the backlog. Rows go with their stream.
 */
export class ImageImportRequests1732700000000 implements MigrationInterface {
  name = 'ImageImportRequests1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE image_import_requests (
        id bigserial PRIMARY KEY,
        stream_uid uuid NOT NULL REFERENCES image_streams (uid) ON DELETE CASCADE,
        tag text COLLATE "C" NOT NULL,
        generation bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        enqueued_at timestamptz,
        done_at timestamptz,
        outcome text,
        UNIQUE (stream_uid, tag, generation)
      )`);
    await q.query(`CREATE INDEX image_import_requests_pending ON image_import_requests (id) WHERE done_at IS NULL`);
    await q.query(`CREATE INDEX image_import_requests_done ON image_import_requests (done_at) WHERE done_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE image_import_requests`);
  }
}
