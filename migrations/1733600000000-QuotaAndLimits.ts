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

/** core/v1 LimitRange and ResourceQuota (image quota and limit admission reads them). */
export class QuotaAndLimits1733600000000 implements MigrationInterface {
  name = 'QuotaAndLimits1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(resourceTable('limit_ranges'));
    await q.query(resourceTable('resource_quotas'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE resource_quotas`);
    await q.query(`DROP TABLE limit_ranges`);
  }
}
