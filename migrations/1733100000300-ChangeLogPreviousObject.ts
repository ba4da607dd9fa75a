import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The object as it was before a write that changed its labels. A watch selecting on labels
 * delivers an object that stopped matching as DELETED with that previous state, as kube-apiserver
 * does; other writes leave it NULL.
 */
export class ChangeLogPreviousObject1733100000300 implements MigrationInterface {
  name = 'ChangeLogPreviousObject1733100000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes ADD COLUMN prev_object jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes DROP COLUMN prev_object`);
  }
}
