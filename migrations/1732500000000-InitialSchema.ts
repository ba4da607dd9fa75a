import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Initial schema. Resource rows keep their wire object in `body` (jsonb) with the columns the
 * server filters, orders or locks on alongside. Tag history lives in its own table so reading or
 * moving one tag never loads or rewrites a stream's whole history (architecture invariant 6).
 */
export class InitialSchema1732500000000 implements MigrationInterface {
  name = 'InitialSchema1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE resource_version_seq AS bigint START 1 CACHE 1`);

    await q.query(`
      CREATE TABLE images (
        name text PRIMARY KEY COLLATE "C",
        uid uuid NOT NULL UNIQUE,
        resource_version bigint NOT NULL,
        create_rv bigint NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        body jsonb NOT NULL
      )`);

    await q.query(`
      CREATE TABLE image_streams (
        namespace text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        uid uuid NOT NULL UNIQUE,
        resource_version bigint NOT NULL,
        create_rv bigint NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        body jsonb NOT NULL,
        PRIMARY KEY (namespace, name)
      )`);

    // One row per history entry; the newest entry of a tag has the highest id.
    await q.query(`
      CREATE TABLE image_stream_tag_events (
        id bigserial PRIMARY KEY,
        stream_uid uuid NOT NULL REFERENCES image_streams (uid) ON DELETE CASCADE,
        tag text COLLATE "C" NOT NULL,
        created timestamptz NOT NULL,
        docker_image_reference text NOT NULL,
        image text COLLATE "C" NOT NULL,
        generation bigint NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX tag_events_by_tag ON image_stream_tag_events (stream_uid, tag, id DESC)`);
    // "what did tag T point at, at instant X": newest row with recorded_at <= X.
    await q.query(`CREATE INDEX tag_events_by_time ON image_stream_tag_events (stream_uid, tag, recorded_at DESC)`);
    await q.query(`CREATE INDEX tag_events_by_image ON image_stream_tag_events (image)`);

    await q.query(`
      CREATE TABLE image_stream_tag_conditions (
        stream_uid uuid NOT NULL REFERENCES image_streams (uid) ON DELETE CASCADE,
        tag text COLLATE "C" NOT NULL,
        conditions jsonb NOT NULL,
        PRIMARY KEY (stream_uid, tag)
      )`);

    // The change log behind watch: one row per resourceVersion, in commit order.
    await q.query(`
      CREATE TABLE resource_changes (
        rv bigint PRIMARY KEY,
        resource text NOT NULL,
        namespace text NOT NULL DEFAULT '',
        name text NOT NULL,
        type text NOT NULL,
        labels jsonb,
        prev_labels jsonb,
        object jsonb,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX resource_changes_by_time ON resource_changes (recorded_at)`);
    await q.query(`
      CREATE TABLE watch_compaction (
        id int PRIMARY KEY CHECK (id = 1),
        compacted_rv bigint NOT NULL
      )`);
    await q.query(`INSERT INTO watch_compaction (id, compacted_rv) VALUES (1, 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE watch_compaction`);
    await q.query(`DROP TABLE resource_changes`);
    await q.query(`DROP TABLE image_stream_tag_conditions`);
    await q.query(`DROP TABLE image_stream_tag_events`);
    await q.query(`DROP TABLE image_streams`);
    await q.query(`DROP TABLE images`);
    await q.query(`DROP SEQUENCE resource_version_seq`);
  }
}
