import type { Queryable } from './database';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeRecord {
  rv: string;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  labels: Record<string, string> | null;
  prevLabels: Record<string, string> | null;
  /** Only DELETED rows keep the object: everything else is read current when delivered. */
  object: unknown;
}

export const CHANGE_CHANNEL = 'resource_changes';

/** Appends one change-log row and wakes every api replica's change feed (NOTIFY fires on commit). */
export async function appendChange(tx: Queryable, change: ChangeRecord): Promise<void> {
  await tx.query(
    `WITH ins AS (
       INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING rv)
     SELECT pg_notify('${CHANGE_CHANNEL}', rv::text) FROM ins`,
    [
      change.rv,
      change.resource,
      change.namespace,
      change.name,
      change.type,
      change.labels === null ? null : JSON.stringify(change.labels),
      change.prevLabels === null ? null : JSON.stringify(change.prevLabels),
      change.object === null || change.object === undefined ? null : JSON.stringify(change.object),
    ],
  );
}

interface ChangeRow {
  rv: string;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  labels: Record<string, string> | null;
  prev_labels: Record<string, string> | null;
  object: unknown;
}

export async function readChanges(
  q: Queryable,
  afterRv: string,
  limit: number,
  resource?: string,
): Promise<ChangeRecord[]> {
  const rows = await q.query<ChangeRow>(
    // Qualified ORDER BY: sorting by the text output column would put "10" before "9".
    `SELECT c.rv::text AS rv, c.resource, c.namespace, c.name, c.type, c.labels, c.prev_labels, c.object
       FROM resource_changes c
      WHERE c.rv > $1 ${resource ? 'AND c.resource = $3' : ''}
      ORDER BY c.rv LIMIT $2`,
    resource ? [afterRv, limit, resource] : [afterRv, limit],
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
  }));
}

/** Newest committed resourceVersion, or the compaction point when the log is empty. */
export async function currentResourceVersion(q: Queryable): Promise<string> {
  const [row] = await q.query<{ rv: string }>(
    `SELECT GREATEST(COALESCE((SELECT max(rv) FROM resource_changes), 0),
                     (SELECT compacted_rv FROM watch_compaction WHERE id = 1))::text AS rv`,
  );
  return row?.rv ?? '0';
}

export async function compactedResourceVersion(q: Queryable): Promise<string> {
  const [row] = await q.query<{ rv: string }>(`SELECT compacted_rv::text AS rv FROM watch_compaction WHERE id = 1`);
  return row?.rv ?? '0';
}

/**
 * Drops change-log rows older than the retention window, always keeping the newest row so the
 * current resourceVersion stays known. Watches and continue tokens older than the new
 * compaction point get 410 Expired.
 */
export async function compactChangeLog(q: Queryable, retentionSeconds: number): Promise<string> {
  const [row] = await q.query<{ rv: string }>(
    `WITH doomed AS (
        DELETE FROM resource_changes
         WHERE recorded_at < now() - make_interval(secs => $1)
           AND rv < (SELECT max(rv) FROM resource_changes)
        RETURNING rv),
      top AS (SELECT max(rv) AS rv FROM doomed)
     UPDATE watch_compaction SET compacted_rv = GREATEST(compacted_rv, COALESCE((SELECT rv FROM top), 0))
      WHERE id = 1 RETURNING compacted_rv::text AS rv`,
    [retentionSeconds],
  );
  return row?.rv ?? '0';
}
