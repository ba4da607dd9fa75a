import type { MigrationInterface, QueryRunner } from 'typeorm';

/** core/v1 Namespaces that clients created (every other name is an implicit, always-active namespace). */
export class Namespaces1733000000000 implements MigrationInterface {
  name = 'Namespaces1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE namespaces (
        name text PRIMARY KEY COLLATE "C",
        uid uuid NOT NULL UNIQUE,
        resource_version bigint NOT NULL,
        create_rv bigint NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        body jsonb NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE namespaces`);
  }
}
