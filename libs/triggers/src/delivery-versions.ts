import { allocateResourceVersions, noteChange, type Queryable } from '@app/persistence';

/** The labels every Delivery carries (columns, not stored labels). */
export const DELIVERY_TRIGGER_LABEL = 'triggers.imagestreamd.io/trigger';
export const DELIVERY_STATE_LABEL = 'triggers.imagestreamd.io/state';

/**
 * Deliveries are watched through the change log like every other kind, but their rows carry no
 * object: a delivery's served form (its attempts) is assembled at read time, so a watch reads the
 * delivery when it delivers the change (and skips it when a newer change follows). Only state
 * changes take a version: recorded (ADDED), an attempt's outcome, dead-lettered without sending,
 * redriven (MODIFIED). The start of an attempt does not (it shows in reads, its outcome is the
 * event), nor does retention dropping week-old attempts.
 */
export const DELIVERY_RESOURCE = 'deliveries';

/** SQL: a Delivery's labels as jsonb, from its owner name and state expressions. */
export function deliveryLabelsSql(owner: string, state: string): string {
  return `jsonb_build_object('${DELIVERY_TRIGGER_LABEL}', ${owner}, '${DELIVERY_STATE_LABEL}', ${state})`;
}

/**
 * SQL of a change-log INSERT for a statement that took one version per candidate delivery
 * (`versions`: id, rv, from a MATERIALIZED CTE, so a re-evaluated row takes no second one) and
 * wrote some of them (`written`: id, namespace, owner_name, state). A version left unused becomes
 * a NONE row, so the change feed never waits on it. `prevState`: SQL of the state before (null
 * for a new delivery), for watches whose label selector the delivery stops matching.
 */
export function deliveryChangesSql(versions: string, written: string, type: 'ADDED' | 'MODIFIED', prevState: string | null): string {
  return `INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels)
          SELECT v.rv, CASE WHEN w.id IS NULL THEN '' ELSE '${DELIVERY_RESOURCE}' END, coalesce(w.namespace, ''), coalesce(w.id, ''),
                 CASE WHEN w.id IS NULL THEN 'NONE' ELSE '${type}' END,
                 CASE WHEN w.id IS NOT NULL THEN ${deliveryLabelsSql('w.owner_name', 'w.state')} END,
                 ${prevState === null ? 'NULL' : `CASE WHEN w.id IS NOT NULL THEN ${deliveryLabelsSql('w.owner_name', prevState)} END`}
            FROM ${versions} v LEFT JOIN ${written} w ON w.id = v.id`;
}

export interface DeliveryChange {
  id: string;
  namespace: string;
  owner: string;
  state: string;
  /** The state before the change; null for a new delivery (ADDED). */
  prevState: string | null;
}

/**
 * Gives deliveries just written in transaction `tx` their new resourceVersions (tracked, so a
 * rollback releases them) and writes their change-log rows, in one statement.
 */
export async function versionDeliveries(tx: Queryable, changes: DeliveryChange[]): Promise<void> {
  if (!changes.length) return;
  const rvs = await allocateResourceVersions(tx, changes.length);
  await tx.query(
    `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(id text, rv bigint, namespace text, owner text, state text, prev_state text)),
          upd AS (UPDATE trigger_deliveries d SET resource_version = c.rv FROM c WHERE d.id = c.id RETURNING d.id)
     INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels)
     SELECT c.rv, '${DELIVERY_RESOURCE}', c.namespace, c.id, CASE WHEN c.prev_state IS NULL THEN 'ADDED' ELSE 'MODIFIED' END,
            ${deliveryLabelsSql('c.owner', 'c.state')}, CASE WHEN c.prev_state IS NULL THEN NULL ELSE ${deliveryLabelsSql('c.owner', 'c.prev_state')} END
       FROM c`,
    [JSON.stringify(changes.map((c, i) => ({ id: c.id, rv: String(rvs[i]), namespace: c.namespace, owner: c.owner, state: c.state, prev_state: c.prevState })))],
  );
  noteChange(tx);
}
