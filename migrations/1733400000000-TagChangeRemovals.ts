import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tag that loses its image (istag/ImageTag delete, a registry tag delete, a manifest delete that
 * empties its history, a status write, a stream delete) is fed to the outbox too, as a row with no
 * image, so the trigger pipeline evaluates its dependents (they wait for an image). The pull feed
 * does not list such rows.
 */
export class TagChangeRemovals1733400000000 implements MigrationInterface {
  name = 'TagChangeRemovals1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tag_changes ALTER COLUMN image DROP NOT NULL, ALTER COLUMN docker_image_reference DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM tag_changes WHERE image IS NULL`);
    await q.query(`ALTER TABLE tag_changes ALTER COLUMN image SET NOT NULL, ALTER COLUMN docker_image_reference SET NOT NULL`);
  }
}
