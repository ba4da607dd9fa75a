import type { MigrationInterface, QueryRunner } from 'typeorm';
import { triggerResourceTables } from './1732500000200-Triggers';

/**
 * The garbage collector (libs/persistence/src/store/garbage-collector.ts) looks up an object's
 * dependents on every delete: the rows of each collected kind whose metadata.ownerReferences
 * name its uid. Without an index that is a scan of the namespace's rows per delete, which a
 * deletecollection or namespace deletion of thousands of objects would pay thousands of times.
 * Partial GIN indexes on the references hold only the rows that have any (few), so a lookup is an
 * index probe that usually finds nothing.
 */
const TABLES = ['image_streams', 'secrets', 'limit_ranges', 'resource_quotas', ...triggerResourceTables];

export class OwnerReferenceIndexes1734500000000 implements MigrationInterface {
  name = 'OwnerReferenceIndexes1734500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await q.query(
        `CREATE INDEX ${table}_owner_references ON ${table} USING gin ((body->'metadata'->'ownerReferences') jsonb_path_ops)
          WHERE body->'metadata' ? 'ownerReferences'`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`DROP INDEX ${table}_owner_references`);
  }
}
