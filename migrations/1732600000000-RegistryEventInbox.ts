import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry notification inbox and the per-tag ordering record of registry ingestion.
 *
 * registry_events: one row per stored event (manifest push, manifest delete, tag delete), keyed by
 * the registry's event id so a redelivery is a no-op. The row is the truth about the event; the
 * BullMQ job only says "look at row <id>". A partial index keeps the sweeper's scan of unprocessed
 * rows proportional to the backlog, not to the history.
 *
 * registry_tag_positions: for each repository tag, the newest registry event applied to it (by
 * registry time), so that a late or repeated event never moves a tag back.
 */
export class RegistryEventInbox1732600000000 implements MigrationInterface {
  name = 'RegistryEventInbox1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry_events (
        id text COLLATE "C" PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('manifest-push', 'manifest-delete', 'tag-delete')),
        repository text COLLATE "C" NOT NULL,
        tag text COLLATE "C",
        digest text COLLATE "C",
        media_type text,
        event_time timestamptz NOT NULL,
        event_ns bigint NOT NULL,
        source_instance text NOT NULL DEFAULT '',
        event jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
        outcome text,
        reason text,
        attempts int NOT NULL DEFAULT 0,
        redrives int NOT NULL DEFAULT 0,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX registry_events_pending ON registry_events (received_at) WHERE state = 'pending'`);
    // The ordering gate drains older pending events of one tag first.
    await q.query(
      `CREATE INDEX registry_events_pending_by_tag ON registry_events (repository, tag, event_ns) WHERE state = 'pending'`,
    );
    await q.query(`CREATE INDEX registry_events_by_state ON registry_events (state, id)`);
    await q.query(`CREATE INDEX registry_events_finished ON registry_events (finished_at) WHERE state IN ('processed', 'ignored')`);

    await q.query(`
      CREATE TABLE registry_tag_positions (
        repository text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        event_id text NOT NULL,
        event_ns bigint NOT NULL,
        source_instance text NOT NULL DEFAULT '',
        digest text,
        current_image text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (repository, tag)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE registry_tag_positions`);
    await q.query(`DROP TABLE registry_events`);
  }
}
