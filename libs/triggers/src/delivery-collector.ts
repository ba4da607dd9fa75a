import { Logger } from '@nestjs/common';
import type { ApiObject } from '@app/api-machinery';
import { allocateResourceVersions, type Database, noteChange, type Queryable } from '@app/persistence';
import { DELIVERY_RESOURCE, deliveryLabelsSql } from './delivery-versions';
import { type DeliveryDbRow, deliverySelect, toDelivery } from './delivery-view';

/** Deliveries deleted per transaction: a trigger with 100,000 of them is 200 short transactions, not one long one. */
export const DELIVERY_GC_BATCH = 500;

/** States a delivery never leaves by itself (a redrive may take a dead one back to pending). */
export const FINAL_DELIVERY_STATES = ['delivered', 'dead', 'applied'] as const;

/** SQL: when delivery `d` reached its final state (null while it has none). */
const finishedAtSql = (d: string) =>
  `CASE ${d}.state WHEN 'delivered' THEN ${d}.delivered_at WHEN 'applied' THEN ${d}.delivered_at WHEN 'dead' THEN ${d}.dead_at END`;

/**
 * In the owner's delete transaction (a StoreHooks.beforeRemove): queues the owner's deliveries
 * for garbage collection. Kubernetes' garbage collector deletes dependents in the background after
 * the owner is gone (propagationPolicy Background, the default); so does the worker's
 * DeliveryCollector, so the owner's DELETE answers at once whatever the number of deliveries.
 */
export async function queueDeliveryCollection(q: Queryable, ownerKind: string, owner: ApiObject): Promise<void> {
  const m = owner.metadata;
  await q.query(
    `INSERT INTO trigger_delivery_owner_removals (owner_uid, owner_kind, namespace, owner_name) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [m.uid, ownerKind, m.namespace, m.name],
  );
}

/**
 * Deletes deliveries as Kubernetes' garbage collector deletes dependents: those of a removed
 * owner (Trigger or annotated workload; queued by queueDeliveryCollection), and, for retention,
 * those that reached a final state longer ago than a given age. Each batch is one transaction
 * that deletes up to DELIVERY_GC_BATCH deliveries with their attempts, writes one DELETED
 * change-log row per delivery carrying its last state (a delivery's other rows hold no object,
 * and once it is gone there is nothing to read: see delivery-versions.ts), and deletes the event
 * bases no delivery uses any more.
 */
export class DeliveryCollector {
  private readonly log = new Logger('DeliveryCollector');

  constructor(
    private readonly db: Database,
    private readonly batch = DELIVERY_GC_BATCH,
  ) {}

  /**
   * Collects deliveries of removed owners, at most `maxBatches` batches; returns how many went.
   * Owners are taken with SKIP LOCKED, so several workers share the work without waiting.
   */
  async collectRemovedOwners(maxBatches = 10): Promise<number> {
    // Runs on every sweeper pass, which mostly finds nothing: one autocommit round trip then.
    const [probe] = await this.db.query<{ queued: boolean }>(`SELECT EXISTS (SELECT 1 FROM trigger_delivery_owner_removals) AS queued`, [], 'trg-gc-probe');
    if (!probe?.queued) return 0;
    let deleted = 0;
    for (let i = 0; i < maxBatches; i++) {
      const step = await this.db.transaction(async (tx) => {
        const [owner] = await tx.query<{ owner_uid: string; namespace: string; owner_name: string }>(
          `SELECT owner_uid::text AS owner_uid, namespace, owner_name FROM trigger_delivery_owner_removals
            ORDER BY removed_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [],
          'trg-gc-owner',
        );
        if (!owner) return null;
        // The (namespace, owner_name, seq) index finds them; the uid tells a re-created owner of the same name apart.
        const ids = await tx.query<{ id: string }>(
          `SELECT id FROM trigger_deliveries WHERE namespace = $1 AND owner_name = $2 AND owner_uid = $3::uuid ORDER BY seq LIMIT $4`,
          [owner.namespace, owner.owner_name, owner.owner_uid, this.batch],
          'trg-gc-owned',
        );
        const n = await deleteDeliveries(tx, ids.map((r) => r.id));
        // A fire recorded after the owner's removal cannot follow: evaluation locks the owner's row
        // (triggers FOR UPDATE, a workload under its row lock) and skips an owner that is gone.
        if (ids.length < this.batch) await tx.query(`DELETE FROM trigger_delivery_owner_removals WHERE owner_uid = $1::uuid`, [owner.owner_uid]);
        return n;
      });
      if (step === null) break;
      deleted += step;
    }
    if (deleted) this.log.debug(`deleted ${deleted} deliveries of removed owners`);
    return deleted;
  }

  /**
   * Retention: deletes deliveries whose final state (delivered, dead, applied) was reached more
   * than `retentionSeconds` ago. Walks the deliveries in creation order (`seq`, already indexed)
   * from the oldest and stops at the first created within the window: every later one is newer,
   * so no index on the finish times is needed and each pass reads only what it may delete plus
   * old deliveries not yet final.
   */
  async expire(retentionSeconds: number): Promise<number> {
    let after = '0';
    let deleted = 0;
    for (;;) {
      const page = await this.db.query<{ id: string; seq: string; expired: boolean; recent: boolean }>(
        `SELECT d.id, d.seq::text AS seq, coalesce(${finishedAtSql('d')} < now() - make_interval(secs => $3), false) AS expired,
                d.created_at >= now() - make_interval(secs => $3) AS recent
           FROM trigger_deliveries d WHERE d.seq > $1::bigint ORDER BY d.seq LIMIT $2`,
        [after, this.batch, retentionSeconds],
        'trg-gc-retention-page',
      );
      const ids = page.filter((r) => r.expired).map((r) => r.id);
      if (ids.length) {
        // Checked again under the rows' locks: a redrive may have taken a dead letter back to pending meanwhile.
        deleted += await this.db.transaction((tx) =>
          deleteDeliveries(tx, ids, `${finishedAtSql('d')} < now() - make_interval(secs => ${Number(retentionSeconds)})`),
        );
      }
      if (page.length < this.batch || page.some((r) => r.recent)) break;
      after = page[page.length - 1]!.seq;
    }
    if (deleted) this.log.log(`retention: deleted ${deleted} deliveries finished more than ${retentionSeconds} s ago`);
    return deleted;
  }
}

/**
 * Deletes the deliveries `ids` (those still there and, with `condition`, matching it; SQL over
 * `d`) in transaction `tx`: their attempts (ON DELETE CASCADE) and event bases left unused go
 * too, and each gets a DELETED change-log row holding its last state at the delete's
 * resourceVersion. Returns how many were deleted.
 */
export async function deleteDeliveries(tx: Queryable, ids: string[], condition?: string): Promise<number> {
  if (!ids.length) return 0;
  // Locked first: an attempt's outcome being written now commits before (and shows in the last state) or finds the row gone.
  const rows = await tx.query<DeliveryDbRow>(
    `${deliverySelect} WHERE d.id = ANY($1::text[]) ${condition ? `AND ${condition}` : ''} ORDER BY d.id FOR UPDATE OF d`,
    [ids],
  );
  if (!rows.length) return 0;
  const rvs = await allocateResourceVersions(tx, rows.length);
  const gone = rows.map((r, i) => {
    const last = toDelivery(r);
    return { id: r.id, rv: String(rvs[i]), namespace: r.namespace, owner: r.owner_name, state: r.state, object: { ...last, metadata: { ...last.metadata, resourceVersion: String(rvs[i]) } } };
  });
  const bases = await tx.query<{ event_base: string }>(
    `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(id text, rv bigint, namespace text, owner text, state text, object jsonb)),
          del AS (DELETE FROM trigger_deliveries d USING c WHERE d.id = c.id RETURNING d.event_base),
          ch AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object)
                 SELECT c.rv, '${DELIVERY_RESOURCE}', c.namespace, c.id, 'DELETED', ${deliveryLabelsSql('c.owner', 'c.state')},
                        ${deliveryLabelsSql('c.owner', 'c.state')}, c.object FROM c)
     SELECT DISTINCT event_base::text AS event_base FROM del WHERE event_base IS NOT NULL`,
    [JSON.stringify(gone)],
    undefined,
  );
  if (bases.length) {
    const baseIds = bases.map((b) => b.event_base);
    // Locked, then checked in a statement of its own: of two batches that delete a base's last
    // deliveries concurrently, the second to get the lock sees the first one's deletions (READ
    // COMMITTED takes a new snapshot per statement) and deletes the base.
    await tx.query(`SELECT id FROM trigger_delivery_event_bases WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [baseIds]);
    await tx.query(
      `DELETE FROM trigger_delivery_event_bases b WHERE b.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM trigger_deliveries d WHERE d.event_base = b.id)`,
      [baseIds],
    );
  }
  noteChange(tx);
  return rows.length;
}
