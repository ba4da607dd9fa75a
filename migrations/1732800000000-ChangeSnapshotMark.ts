import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A change-log row can record how far a kind's out-of-row state had grown when it was written
 * (image streams: the last tag-history id), so a watch replaying it shows that state, not today's.
 */
export class ChangeSnapshotMark1732800000000 implements MigrationInterface {
  name = 'ChangeSnapshotMark1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes ADD COLUMN snapshot_mark bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_changes DROP COLUMN snapshot_mark`);
  }
}
