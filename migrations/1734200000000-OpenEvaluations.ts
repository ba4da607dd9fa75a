import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `trigger_open_evaluations`: each evaluation job the relay enqueued and no worker has finished
 * (see libs/triggers/src/open-evaluations.ts). The relay marks tag moves relayed when their job is
 * in Redis; this row is what is left in Postgres if that job is lost (Redis restarted without
 * persistence, or failed after its retries while Postgres was away), so the sweeper can enqueue
 * it again. Written in the relay's transaction, deleted when the job completes.
 */
export class OpenEvaluations1734200000000 implements MigrationInterface {
  name = 'OpenEvaluations1734200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trigger_open_evaluations (
        job_id text PRIMARY KEY COLLATE "C",
        tag_change_id text NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        checked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX trigger_open_evaluations_by_check ON trigger_open_evaluations (checked_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE trigger_open_evaluations`);
  }
}
