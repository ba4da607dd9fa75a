import type { MigrationInterface, QueryRunner } from 'typeorm';

const resourceTable = (name: string) => `
  CREATE TABLE ${name} (
    namespace text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    uid uuid NOT NULL UNIQUE,
    resource_version bigint NOT NULL,
    create_rv bigint NOT NULL,
    labels jsonb NOT NULL DEFAULT '{}'::jsonb,
    body jsonb NOT NULL,
    PRIMARY KEY (namespace, name)
  )`;

/** Stored kinds of the triggers.imagestreamd.io group and the annotated workloads (apps/v1, batch/v1). */
export const triggerResourceTables = [
  'triggers',
  'trigger_secrets',
  'workload_deployments',
  'workload_statefulsets',
  'workload_daemonsets',
  'workload_cronjobs',
];

/**
 * Image change triggers: the resources, the subscription index the fan-out reads, delivery
 * records with every attempt, and the relay flag on the tag_changes outbox.
 */
export class Triggers1732500000200 implements MigrationInterface {
  name = 'Triggers1732500000200';

  async up(q: QueryRunner): Promise<void> {
    for (const t of triggerResourceTables) await q.query(resourceTable(t));

    // (from namespace, stream, tag) → dependents (Trigger or annotated workload); written with the object.
    await q.query(`
      CREATE TABLE trigger_subscriptions (
        owner_uid uuid NOT NULL,
        kind text NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        from_namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        PRIMARY KEY (from_namespace, stream, tag, owner_uid)
      )`);
    await q.query(`CREATE INDEX trigger_subscriptions_by_owner ON trigger_subscriptions (owner_uid)`);

    // One row per (dependent, image) decision: the idempotency key makes the effect exactly-once.
    await q.query(`
      CREATE TABLE trigger_deliveries (
        id text PRIMARY KEY COLLATE "C",
        seq bigserial UNIQUE,
        idempotency_key text NOT NULL UNIQUE,
        namespace text COLLATE "C" NOT NULL,
        owner_kind text NOT NULL,
        owner_name text COLLATE "C" NOT NULL,
        owner_uid uuid NOT NULL,
        tag_change_id bigint,
        image text NOT NULL,
        url text NOT NULL,
        target_key text NOT NULL,
        event jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        generation int NOT NULL DEFAULT 1,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        last_status_code int,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        dead_at timestamptz
      )`);
    await q.query(`CREATE INDEX trigger_deliveries_by_owner ON trigger_deliveries (namespace, owner_name, seq)`);
    await q.query(`CREATE INDEX trigger_deliveries_open ON trigger_deliveries (next_attempt_at) WHERE state = 'pending'`);
    await q.query(`CREATE INDEX trigger_deliveries_dead ON trigger_deliveries (namespace, owner_name) WHERE state = 'dead'`);
    await q.query(`CREATE INDEX trigger_deliveries_by_image ON trigger_deliveries (image)`);

    await q.query(`
      CREATE TABLE trigger_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id text NOT NULL REFERENCES trigger_deliveries (id) ON DELETE CASCADE,
        generation int NOT NULL,
        attempt int NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        status_code int,
        latency_ms int,
        error text,
        UNIQUE (delivery_id, generation, attempt, started_at)
      )`);
    await q.query(`CREATE INDEX trigger_delivery_attempts_by_delivery ON trigger_delivery_attempts (delivery_id, id)`);

    // Outbox of evaluations asked for by trigger/workload writes (create, spec change, unpause): first sight fires.
    await q.query(`
      CREATE TABLE trigger_evaluation_requests (
        id bigserial PRIMARY KEY,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL
      )`);

    // Per-row relay flag: rows committed late (lower ids) are never skipped, and rows wait here while Redis is down.
    await q.query(`ALTER TABLE tag_changes ADD COLUMN relayed boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX tag_changes_unrelayed ON tag_changes (id) WHERE NOT relayed`);
    // "when was image X first on tag T": the firing rules' notion of older (one index probe).
    await q.query(`CREATE INDEX tag_changes_by_image ON tag_changes (namespace, stream, tag, image, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tag_changes_by_image`);
    await q.query(`DROP INDEX tag_changes_unrelayed`);
    await q.query(`ALTER TABLE tag_changes DROP COLUMN relayed`);
    await q.query(`DROP TABLE trigger_evaluation_requests`);
    await q.query(`DROP TABLE trigger_delivery_attempts`);
    await q.query(`DROP TABLE trigger_deliveries`);
    await q.query(`DROP TABLE trigger_subscriptions`);
    for (const t of [...triggerResourceTables].reverse()) await q.query(`DROP TABLE ${t}`);
  }
}
