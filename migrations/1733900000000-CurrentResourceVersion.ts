import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `current_resource_version()`: the newest committed resourceVersion, or the compaction point
 * when the change log is empty (libs/persistence/src/change-log.ts, currentResourceVersion).
 *
 * Why a function: the read cache runs this query as a prepared statement, once per batch of
 * GETs. A prepared statement without parameters keeps the plan of its first execution until the
 * table's statistics change, and a plan made while the change log was empty (a new deployment,
 * a bench's fresh database) was a sequential scan with an aggregate, kept while the log grew by
 * tens of thousands of rows before autovacuum analysed it: 5–26 ms a query instead of 0.05, and
 * every cached GET waited on it (bench:api's GETs right after its mappings ran at a seventh of
 * their rate). plpgsql keeps its plans the same way, but plans them under the function's
 * settings: with sequential scans and sorts off, `ORDER BY rv DESC LIMIT 1` can only be the
 * backward scan of the primary key, one probe however large the log has grown since.
 */
export class CurrentResourceVersion1733900000000 implements MigrationInterface {
  name = 'CurrentResourceVersion1733900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION current_resource_version() RETURNS bigint
        LANGUAGE plpgsql STABLE
        SET enable_seqscan = off SET enable_sort = off
      AS $$
      BEGIN
        RETURN GREATEST(
          COALESCE((SELECT rv FROM resource_changes ORDER BY rv DESC LIMIT 1), 0),
          (SELECT compacted_rv FROM watch_compaction WHERE id = 1));
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION current_resource_version()`);
  }
}
