import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * core/v1 Secrets (namespace pull secrets for imports, imagestreams/secrets). Imports read a
 * namespace's pull secrets by type, in name order: the index serves that read.
 */
export class Secrets1734100000000 implements MigrationInterface {
  name = 'Secrets1734100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE secrets (
        namespace text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        uid uuid NOT NULL UNIQUE,
        resource_version bigint NOT NULL,
        create_rv bigint NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        body jsonb NOT NULL,
        PRIMARY KEY (namespace, name)
      )`);
    await q.query(`CREATE INDEX secrets_by_type ON secrets (namespace, (body->>'type'), name)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE secrets`);
  }
}
