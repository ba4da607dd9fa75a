import type { ChangeRecord } from './change-log';
import { noteChange, sqlLiteral, type Transaction } from './database';

/** One row write that takes a new resourceVersion, with the change-log entry it produces. */
export interface VersionedWrite {
  /** A data-modifying statement that uses `rv` (an SQL expression) and ends without RETURNING. */
  rowSql(rv: string): string;
  /** `object`: the stored object as written (resourceVersion is filled in from the row at delivery). */
  change: Omit<ChangeRecord, 'rv' | 'object'> & { object?: unknown };
}

function json(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : `${sqlLiteral(JSON.stringify(value))}::jsonb`;
}

/**
 * Queues writes that need resourceVersions to run with COMMIT in one round trip: take the
 * versions, apply each row statement, log its change (a NONE row when the statement wrote
 * nothing, so the version leaves no gap for the change feed to wait on); watchers are woken after
 * the COMMIT.
 */
export function finishWithVersionedWrites(tx: Transaction, writes: VersionedWrite[]): void {
  if (writes.length === 0) return;
  const ctes = [
    `rv AS MATERIALIZED (SELECT ord, nextval('resource_version_seq') AS v FROM generate_series(1, ${writes.length}) AS ord)`,
  ];
  writes.forEach((w, i) => {
    const ord = i + 1;
    const rv = `(SELECT v FROM rv WHERE ord = ${ord})`;
    const c = w.change;
    ctes.push(`w${ord} AS (${w.rowSql(rv)} RETURNING 1)`);
    ctes.push(
      `c${ord} AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object, snapshot_mark)
        SELECT v, ${sqlLiteral(c.resource)}, ${sqlLiteral(c.namespace)}, ${sqlLiteral(c.name)},
               CASE WHEN EXISTS (SELECT 1 FROM w${ord}) THEN ${sqlLiteral(c.type)} ELSE 'NONE' END,
               ${json(c.labels)}, ${json(c.prevLabels)}, ${json(c.object)}, ${c.snapshotMarkSql ?? 'NULL'}
          FROM rv WHERE ord = ${ord})`,
    );
  });
  tx.finishWith(`WITH ${ctes.join(',\n')}
    SELECT max(v) FROM rv`);
  noteChange(tx);
}

export { json as sqlJson };
