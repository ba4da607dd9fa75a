import { Logger } from '@nestjs/common';
import type { ApiObject, DeletionPropagation } from '@app/api-machinery';
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
 * for the worker's DeliveryCollector, so the owner's DELETE answers at once whatever the number
 * of deliveries. As Kubernetes' garbage collector treats dependents:
 *
 * - Background (the default, also the legacy `orphanDependents: false`): deleted after the owner.
 * - Foreground: deleted before the owner, in its delete transaction. The owner's DELETE gives it
 *   the `foregroundDeletion` finalizer, as kube-apiserver does, and the store removes it once this
 *   hook has run (Deleter.collectGarbage), as Kubernetes' garbage collector does once the
 *   dependents are gone.
 * - Orphan (also `orphanDependents: true`): kept, each with its ownerReference removed (a
 *   MODIFIED event). Kubernetes removes the references before the owner goes (finalizer
 *   `orphan`); here the owner goes at once and its deliveries are orphaned just after, in batches.
 *
 * A namespace's deletion deletes its owners without options, so their deliveries always go (as
 * Kubernetes'); orphans left by earlier deletes go with the namespace (deleteNamespaceDeliveries).
 */
export async function queueDeliveryCollection(
  q: Queryable,
  ownerKind: string,
  owner: ApiObject,
  propagation?: DeletionPropagation,
): Promise<void> {
  const m = owner.metadata;
  if (propagation === 'Foreground') {
    // The owner goes only after its dependents: they are deleted here, in its delete transaction,
    // so a client that waits for the owner to be gone (kubectl delete --cascade=foreground) finds
    // none left, as Kubernetes' garbage collector holds the owner until they are.
    const owned = await q.query<{ id: string }>(`SELECT id FROM trigger_deliveries WHERE namespace = $1 AND owner_name = $2 AND owner_uid = $3::uuid`, [m.namespace, m.name, m.uid]);
    await deleteDeliveries(
      q,
      owned.map((r) => r.id),
    );
    return;
  }
  await q.query(
    `INSERT INTO trigger_delivery_owner_removals (owner_uid, owner_kind, namespace, owner_name, orphan) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [m.uid, ownerKind, m.namespace, m.name, propagation === 'Orphan'],
  );
}

/**
 * As the namespace controller empties a namespace before removing it: deletes every delivery in
 * it (of owners deleted just before, orphans included), DELIVERY_GC_BATCH per transaction, each
 * with its DELETED change-log row, and drops the namespace's queued owner removals, which would
 * find nothing left. Its owners are gone and nothing can be created in a terminating namespace,
 * so no delivery follows; a namespace created again under the name later starts empty, as a
 * cluster's does. Returns how many went.
 */
export async function deleteNamespaceDeliveries(
  db: Database,
  namespace: string,
  batch = DELIVERY_GC_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const step = await db.transaction(async (tx) => {
      const page = await tx.query<{ id: string }>(
        `SELECT id FROM trigger_deliveries WHERE namespace = $1 LIMIT $2`,
        [namespace, batch],
        'trg-gc-ns-all',
      );
      const n = await deleteDeliveries(
        tx,
        page.map((r) => r.id),
      );
      if (page.length < batch)
        await tx.query(`DELETE FROM trigger_delivery_owner_removals WHERE namespace = $1`, [namespace]);
      return { n, more: page.length === batch };
    });
    deleted += step.n;
    if (!step.more) return deleted;
  }
}

/** A queued removal: an owner's deliveries to delete or orphan. */
interface QueuedRemoval {
  owner_uid: string;
  owner_kind: string;
  namespace: string;
  owner_name: string;
  orphan: boolean;
  orphaned_through: string;
  /** As text: a Date would drop the microseconds. */
  removed_at: string;
}

/** The next page of a queued removal's deliveries. */
function removalPage(tx: Queryable, r: QueuedRemoval, batch: number): Promise<{ id: string; seq: string }[]> {
  // The (namespace, owner_name, seq) index finds them; the uid tells a re-created owner of the same name apart.
  // Orphaned ones stay, so orphaning goes on after the last one it did.
  return tx.query(
    // ORDER BY d.seq, the column: `seq` alone would name the text output column (and order '10' before '9').
    `SELECT d.id, d.seq::text AS seq FROM trigger_deliveries d WHERE d.namespace = $1 AND d.owner_name = $2 AND d.owner_uid = $3::uuid AND d.seq > $4::bigint ORDER BY d.seq LIMIT $5`,
    [r.namespace, r.owner_name, r.owner_uid, r.orphan ? r.orphaned_through : '0', batch],
    'trg-gc-owned',
  );
}

/**
 * Deletes deliveries as Kubernetes' garbage collector deletes dependents: those of a removed
 * owner (Trigger or annotated workload; queued by queueDeliveryCollection; orphaned instead when
 * it was deleted with propagationPolicy Orphan, see orphanDeliveries), and, for retention,
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
   * Collects deliveries of removed owners, at most `maxBatches` batches: deletes them, or orphans
   * them when the owner was deleted with propagationPolicy Orphan. Returns how many went or were
   * orphaned. Owners are taken with SKIP LOCKED, so several workers share the work without waiting.
   */
  async collectRemovedOwners(maxBatches = 10): Promise<number> {
    // Runs on every sweeper pass, which mostly finds nothing: one autocommit round trip then.
    const [probe] = await this.db.query<{ queued: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM trigger_delivery_owner_removals) AS queued`,
      [],
      'trg-gc-probe',
    );
    if (!probe?.queued) return 0;
    let deleted = 0;
    let orphaned = 0;
    for (let i = 0; i < maxBatches; i++) {
      const step = await this.db.transaction(async (tx) => {
        // Oldest first by the timestamp column, qualified: a bare `removed_at` names the text output column.
        const [owner] = await tx.query<QueuedRemoval>(
          `SELECT owner_uid::text AS owner_uid, owner_kind, namespace, owner_name, orphan, orphaned_through::text AS orphaned_through, removed_at::text AS removed_at
             FROM trigger_delivery_owner_removals ORDER BY trigger_delivery_owner_removals.removed_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [],
          'trg-gc-owner',
        );
        if (!owner) return null;
        const page = await removalPage(tx, owner, this.batch);
        const ids = page.map((r) => r.id);
        const n = owner.orphan ? await orphanDeliveries(tx, ids) : await deleteDeliveries(tx, ids);
        // A fire recorded after the owner's removal cannot follow: evaluation locks the owner's row
        // (triggers FOR UPDATE, a workload under its row lock) and skips an owner that is gone.
        if (page.length < this.batch) {
          // A namespace's removal waits for the orphaning of its owners deleted before it (they were
          // emptied out of it first): what they orphan meanwhile goes on its next pass.
          await tx.query(`DELETE FROM trigger_delivery_owner_removals WHERE owner_uid = $1::uuid`, [owner.owner_uid]);
        } else if (owner.orphan) {
          await tx.query(
            `UPDATE trigger_delivery_owner_removals SET orphaned_through = $2::bigint WHERE owner_uid = $1::uuid`,
            [owner.owner_uid, page[page.length - 1]!.seq],
          );
        }
        return { n, orphan: owner.orphan };
      });
      if (step === null) break;
      if (step.orphan) orphaned += step.n;
      else deleted += step.n;
    }
    if (deleted) this.log.debug(`deleted ${deleted} deliveries of removed owners`);
    if (orphaned)
      this.log.debug(`orphaned ${orphaned} deliveries of owners deleted with propagationPolicy Orphan`);
    return deleted + orphaned;
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
          deleteDeliveries(
            tx,
            ids,
            `${finishedAtSql('d')} < now() - make_interval(secs => ${Number(retentionSeconds)})`,
          ),
        );
      }
      if (page.length < this.batch || page.some((r) => r.recent)) break;
      after = page[page.length - 1]!.seq;
    }
    if (deleted)
      this.log.log(`retention: deleted ${deleted} deliveries finished more than ${retentionSeconds} s ago`);
    return deleted;
  }
}

/**
 * Orphans the deliveries `ids` (those still there and not orphaned yet) in transaction `tx`:
 * their served ownerReferences go (the `orphaned` column, see delivery-view.ts), each with a new
 * resourceVersion and a MODIFIED change-log row (its labels do not change). Locked first, as
 * deleteDeliveries does, so an attempt's outcome commits before or after, never half. Returns how
 * many were orphaned.
 */
export async function orphanDeliveries(tx: Queryable, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const rows = await tx.query<{ id: string; namespace: string; owner_name: string; state: string }>(
    `SELECT id, namespace, owner_name, state FROM trigger_deliveries WHERE id = ANY($1::text[]) AND NOT orphaned ORDER BY id FOR UPDATE`,
    [ids],
  );
  if (!rows.length) return 0;
  const rvs = await allocateResourceVersions(tx, rows.length);
  const changes = rows.map((r, i) => ({
    id: r.id,
    rv: String(rvs[i]),
    namespace: r.namespace,
    owner: r.owner_name,
    state: r.state,
  }));
  await tx.query(
    `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(id text, rv bigint, namespace text, owner text, state text)),
          upd AS (UPDATE trigger_deliveries d SET orphaned = true, resource_version = c.rv FROM c WHERE d.id = c.id)
     INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels)
     SELECT c.rv, '${DELIVERY_RESOURCE}', c.namespace, c.id, 'MODIFIED', ${deliveryLabelsSql('c.owner', 'c.state')}, ${deliveryLabelsSql('c.owner', 'c.state')} FROM c`,
    [JSON.stringify(changes)],
  );
  noteChange(tx);
  return rows.length;
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
    return {
      id: r.id,
      rv: String(rvs[i]),
      namespace: r.namespace,
      owner: r.owner_name,
      state: r.state,
      object: { ...last, metadata: { ...last.metadata, resourceVersion: String(rvs[i]) } },
    };
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
    await tx.query(
      `SELECT id FROM trigger_delivery_event_bases WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
      [baseIds],
    );
    await tx.query(
      `DELETE FROM trigger_delivery_event_bases b WHERE b.id = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM trigger_deliveries d WHERE d.event_base = b.id)`,
      [baseIds],
    );
  }
  noteChange(tx);
  return rows.length;
}
