import { type ChangeRecord, CHANGE_CHANNEL } from './change-log';
import { sqlLiteral, type Transaction } from './database';
import { RV_LOCK_KEY } from './resource-version';

/** One row write that takes a new resourceVersion, with the change-log entry it produces. */
export interface VersionedWrite {
  /** A data-modifying statement that uses `rv` (an SQL expression) and ends without RETURNING. */
  rowSql(rv: string): string;
  change: Omit<ChangeRecord, 'rv' | 'object'>;
}

function json(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : `${sqlLiteral(JSON.stringify(value))}::jsonb`;
}

/**
 * Queues writes that need resourceVersions to run with COMMIT in one round trip: take the
 * version lock, number the writes, apply each row statement, log a change only for rows that
 * were written, notify watchers. Holding the lock for one server-side step keeps commits in
 * version order (invariant 4) without serialising every writer's client round trips.
 */
export function finishWithVersionedWrites(tx: Transaction, writes: VersionedWrite[]): void {
  if (writes.length === 0) return;
  const ctes = [
    `l AS MATERIALIZED (SELECT pg_advisory_xact_lock(${RV_LOCK_KEY}))`,
    `rv AS MATERIALIZED (SELECT ord, nextval('resource_version_seq') AS v FROM l, generate_series(1, ${writes.length}) AS ord)`,
  ];
  writes.forEach((w, i) => {
    const ord = i + 1;
    const rv = `(SELECT v FROM rv WHERE ord = ${ord})`;
    const c = w.change;
    ctes.push(`w${ord} AS (${w.rowSql(rv)} RETURNING 1)`);
    ctes.push(
      `c${ord} AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels)
        SELECT v, ${sqlLiteral(c.resource)}, ${sqlLiteral(c.namespace)}, ${sqlLiteral(c.name)}, ${sqlLiteral(c.type)},
               ${json(c.labels)}, ${json(c.prevLabels)}
          FROM rv WHERE ord = ${ord} AND EXISTS (SELECT 1 FROM w${ord}))`,
    );
  });
  tx.finishWith(`WITH ${ctes.join(',\n')}
    SELECT pg_notify(${sqlLiteral(CHANGE_CHANNEL)}, (SELECT max(v) FROM rv)::text)`);
}

export { json as sqlJson };
