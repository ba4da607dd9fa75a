import type { ChangeRecord } from './change-log';
import { noteChange, type Transaction } from './database';
import type { SqlValue } from './session-statements';

/** Gives a value its placeholder (`$n::type`) in a parameterised statement being built. */
export type SqlParam = (value: SqlValue, type: string) => string;

/** One row write that takes a new resourceVersion, with the change-log entry it produces. */
export interface VersionedWrite {
  /**
   * A data-modifying statement that uses `rv` (an SQL expression), takes every value through
   * `param` (never inlined: the statement is prepared once per connection and reused), and ends
   * without RETURNING.
   */
  rowSql(rv: string, param: SqlParam): string;
  /** `object`: the stored object as written (resourceVersion is filled in from the row at delivery). */
  change: Omit<ChangeRecord, 'rv' | 'object'> & { object?: unknown };
  /**
   * The written row's `body` column is the object as written: the change log takes it from the
   * row (RETURNING body), so the object is not sent and parsed a second time; `change.object` is
   * not used. (A statement that wrote nothing leaves a NONE row, which has no object.)
   */
  objectFromRowBody?: boolean;
}

/** A JSON value as a parameter (NULL for null/undefined). */
export function jsonValue(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/**
 * Queues writes that need resourceVersions to run with COMMIT in one round trip: take the
 * versions, apply each row statement, log its change (a NONE row when the statement wrote
 * nothing, so the version leaves no gap for the change feed to wait on); watchers are woken after
 * the COMMIT. It is one parameterised statement, so each connection plans it once per shape.
 */
export function finishWithVersionedWrites(tx: Transaction, writes: VersionedWrite[]): void {
  if (writes.length === 0) return;
  const values: SqlValue[] = [];
  const param: SqlParam = (value, type) => `$${values.push(value)}::${type}`;
  const ctes = [
    `rv AS MATERIALIZED (SELECT ord, nextval('resource_version_seq') AS v FROM generate_series(1, ${writes.length}) AS ord)`,
  ];
  writes.forEach((w, i) => {
    const ord = i + 1;
    const rv = `(SELECT v FROM rv WHERE ord = ${ord})`;
    const c = w.change;
    ctes.push(`w${ord} AS (${w.rowSql(rv, param)} RETURNING ${w.objectFromRowBody ? 'body' : '1'})`);
    const object = w.objectFromRowBody ? `(SELECT body FROM w${ord})` : param(jsonValue(c.object), 'jsonb');
    ctes.push(
      `c${ord} AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object, snapshot_mark)
        SELECT v, ${param(c.resource, 'text')}, ${param(c.namespace, 'text')}, ${param(c.name, 'text')},
               CASE WHEN EXISTS (SELECT 1 FROM w${ord}) THEN ${param(c.type, 'text')} ELSE 'NONE' END,
               ${param(jsonValue(c.labels), 'jsonb')}, ${param(jsonValue(c.prevLabels), 'jsonb')}, ${object}, ${c.snapshotMarkSql ?? 'NULL'}
          FROM rv WHERE ord = ${ord})`,
    );
  });
  tx.finishWith({
    text: `WITH ${ctes.join(',\n')}
    SELECT max(v) FROM rv`,
    values,
  });
  noteChange(tx);
}
