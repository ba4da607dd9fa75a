import { noteChange, type Queryable } from './database';

/** NONE: a version that was taken but changed nothing (released by a rollback or a no-op write). */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'NONE';

export interface ChangeRecord {
  rv: string;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  labels: Record<string, string> | null;
  prevLabels: Record<string, string> | null;
  /** The object as written (DELETED: its last state); null only on NONE rows. */
  object: unknown;
  /**
   * The object before this write, kept only when the write changed its labels: a label-selecting
   * watch delivers it as the DELETED of an object that stopped matching (kube-apiserver sends the
   * previous state there).
   */
  prevObject?: unknown;
  /** Milliseconds since the row was written (database clock), when read back. */
  ageMs?: number;
  /**
   * How far the kind's out-of-row state had grown at this change (a sequence position), so the
   * change can be presented as it was. Writing: an SQL expression (`snapshotMarkSql`); read back
   * as `snapshotMark`. Null/absent: present the current state.
   */
  snapshotMarkSql?: string;
  snapshotMark?: string | null;
}

/** The SQL for "the last value a sequence handed out" (0 before its first), for snapshotMarkSql. */
export function sequencePositionSql(sequence: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(sequence)) throw new Error(`not a sequence name: ${sequence}`);
  return `(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ${sequence})`;
}

export const CHANGE_CHANNEL = 'resource_changes';

/** Appends one change-log row; every api replica's change feed is woken once it commits. */
export async function appendChange(tx: Queryable, change: ChangeRecord): Promise<void> {
  await tx.query(
    `INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object, snapshot_mark, prev_object)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${change.snapshotMarkSql ?? 'NULL'}, $9)`,
    [
      change.rv,
      change.resource,
      change.namespace,
      change.name,
      change.type,
      change.labels === null ? null : JSON.stringify(change.labels),
      change.prevLabels === null ? null : JSON.stringify(change.prevLabels),
      change.object === null || change.object === undefined ? null : JSON.stringify(change.object),
      change.prevObject === null || change.prevObject === undefined ? null : JSON.stringify(change.prevObject),
    ],
  );
  noteChange(tx);
}

interface ChangeRow {
  age_ms: number;
  rv: string;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  labels: Record<string, string> | null;
  prev_labels: Record<string, string> | null;
  object: unknown;
  prev_object: unknown;
  snapshot_mark: string | null;
}

/** Change-log rows after `afterRv` (and at most `upTo`), oldest first. */
export async function readChanges(
  q: Queryable,
  afterRv: string,
  limit: number,
  filter: { resource?: string; upTo?: string } = {},
): Promise<ChangeRecord[]> {
  const params: unknown[] = [afterRv, limit];
  const where = ['c.rv > $1'];
  if (filter.resource) where.push(`c.resource = $${params.push(filter.resource)}`);
  if (filter.upTo) where.push(`c.rv <= $${params.push(filter.upTo)}`);
  const rows = await q.query<ChangeRow>(
    // Qualified ORDER BY: sorting by the text output column would put "10" before "9".
    `SELECT c.rv::text AS rv, c.resource, c.namespace, c.name, c.type, c.labels, c.prev_labels, c.object, c.prev_object,
            c.snapshot_mark::text AS snapshot_mark, (extract(epoch FROM (now() - c.recorded_at)) * 1000)::float8 AS age_ms
       FROM resource_changes c
      WHERE ${where.join(' AND ')}
      ORDER BY c.rv LIMIT $2`,
    params,
    // The change feed's read (no resource filter) runs on every wake-up: prepared once per connection
    // (its only plan is the primary key's range). A watch's backlog read by resource is planned for
    // its values: how far back it starts decides between the two indexes.
    filter.resource ? undefined : `change-log-read${filter.upTo ? '-upto' : ''}`,
  );
  return rows.map((r) => ({
    rv: r.rv,
    resource: r.resource,
    namespace: r.namespace,
    name: r.name,
    type: r.type,
    labels: r.labels,
    prevLabels: r.prev_labels,
    object: r.object,
    ...(r.prev_object !== null && r.prev_object !== undefined ? { prevObject: r.prev_object } : {}),
    ageMs: Number(r.age_ms),
    snapshotMark: r.snapshot_mark,
  }));
}

/**
 * Newest committed resourceVersion, or the compaction point when the log is empty: one probe of
 * the change log's primary key, whatever the log looked like when a prepared statement of this
 * was planned (see the migration CurrentResourceVersion for why it is a function).
 */
export async function currentResourceVersion(q: Queryable, statementName?: string): Promise<string> {
  const [row] = await q.query<{ rv: string }>(`SELECT current_resource_version()::text AS rv`, [], statementName);
  return row?.rv ?? '0';
}

/** The compaction point and the current version, in one round trip (a continue token is checked against both). */
export async function compactedAndCurrentResourceVersions(q: Queryable): Promise<{ compacted: string; current: string }> {
  const [row] = await q.query<{ compacted: string | null; current: string }>(
    `SELECT (SELECT compacted_rv::text FROM watch_compaction WHERE id = 1) AS compacted, current_resource_version()::text AS current`,
  );
  return { compacted: row?.compacted ?? '0', current: row?.current ?? '0' };
}

export async function compactedResourceVersion(q: Queryable): Promise<string> {
  const [row] = await q.query<{ rv: string }>(`SELECT compacted_rv::text AS rv FROM watch_compaction WHERE id = 1`);
  return row?.rv ?? '0';
}

/** Change-log rows one compaction statement deletes at most: each batch commits on its own. */
export const COMPACTION_BATCH_ROWS = 10_000;

/**
 * Drops change-log rows older than the retention window, always keeping the newest row so the
 * current resourceVersion stays known. Watches and continue tokens older than the new
 * compaction point get 410 Expired; returns that point.
 *
 * It deletes in batches, oldest first, each one statement that also moves the compaction point:
 * a log that grew long (the api restarted too often to compact) shrinks by what each batch
 * committed even when the process dies in the middle. Rows another session is compacting at the
 * same moment (another replica) are skipped rather than waited for: that session deletes them.
 */
export async function compactChangeLog(
  q: Queryable,
  retentionSeconds: number,
  options: { batchRows?: number; stopped?: () => boolean } = {},
): Promise<string> {
  const batchRows = options.batchRows ?? COMPACTION_BATCH_ROWS;
  for (;;) {
    const [row] = await q.query<{ deleted: number; rv: string }>(
      `WITH doomed AS (
          DELETE FROM resource_changes WHERE rv IN (
            SELECT rv FROM resource_changes
             WHERE recorded_at < now() - make_interval(secs => $1)
               AND rv < (SELECT max(rv) FROM resource_changes)
             ORDER BY recorded_at LIMIT $2
               FOR UPDATE SKIP LOCKED)
          RETURNING rv),
        moved AS (
          UPDATE watch_compaction SET compacted_rv = GREATEST(compacted_rv, COALESCE((SELECT max(rv) FROM doomed), 0))
           WHERE id = 1 RETURNING compacted_rv)
       SELECT (SELECT count(*) FROM doomed)::int AS deleted, (SELECT compacted_rv::text FROM moved) AS rv`,
      [retentionSeconds, batchRows],
    );
    // A short batch was the last one (or every remaining old row is another session's).
    if (!row || row.deleted < batchRows || options.stopped?.()) return row?.rv ?? '0';
  }
}
