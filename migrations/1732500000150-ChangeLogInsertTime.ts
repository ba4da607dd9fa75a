import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change-log rows record when they were inserted, not when their transaction began: the change
 * feed uses a row's age to decide that a missing lower version will never commit.
 */
export class ChangeLogInsertTime1732500000150 implements MigrationInterface {
  name = 'ChangeLogInsertTime1732500000150';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes ALTER COLUMN recorded_at SET DEFAULT clock_timestamp()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes ALTER COLUMN recorded_at SET DEFAULT now()`);
  }
}
