import {
  ApiError,
  type ContinueToken,
  encodeContinue,
  type ListOptions,
  matchesLabels,
  type ListResult,
  refOf,
} from '@app/api-machinery';
import {
  currentResourceVersion,
  type Database,
  listTooOldMessage,
  type Queryable,
  type ResourceHandler,
  resumeList,
  versionsComplete,
} from '@app/persistence';
import { deleteNamespaceDeliveries } from './delivery-collector';
import { DELIVERY_RESOURCE, DELIVERY_STATE_LABEL, DELIVERY_TRIGGER_LABEL } from './delivery-versions';
import { type DeliveryDbRow, deliverySelect, toDelivery } from './delivery-view';
import { deliveriesInfo } from './resource-infos';
import type { Delivery } from './trigger.types';

/** Columns of the selectable fields (deliveriesInfo.fieldSelectors, and the metadata ones). */
const fieldColumns: Record<string, string> = {
  'metadata.name': 'd.id',
  'metadata.namespace': 'd.namespace',
  'status.state': 'd.state',
};

/** The labels every Delivery carries. */
const TRIGGER_LABEL = DELIVERY_TRIGGER_LABEL;
const STATE_LABEL = DELIVERY_STATE_LABEL;

/**
 * Deliveries (read-only): every fire with its event and attempt history. Label selectors
 * `triggers.imagestreamd.io/trigger=<name>` and `triggers.imagestreamd.io/state=<state>`, and the
 * field selector `status.state=<state>`;
 * `limit`/`continue` page in creation order, every page from the first one's snapshot (see
 * listIn). Watchable through the change log (see
 * delivery-versions.ts): a list's resourceVersion is where a watch resumes.
 */
export class DeliveriesHandler implements ResourceHandler {
  readonly info = deliveriesInfo;
  constructor(private readonly db: Database) {}

  async get(namespace: string, name: string) {
    const found = await this.current(namespace, name);
    if (!found) throw ApiError.notFound(refOf(this.info), name);
    return found;
  }

  /**
   * Its namespace about to be removed: every delivery still in it goes first (those of owners just
   * deleted, which the worker would collect in the background, and orphans), as Kubernetes'
   * namespace controller removes a namespace only once nothing is left in it.
   */
  async removeNamespaceLeftovers(namespace: string): Promise<void> {
    await deleteNamespaceDeliveries(this.db, namespace);
  }

  /** A watch's field selector on `status.state`: a delivery's change carries its state as a label. */
  fieldsOfLabels(labels: Record<string, string>): Record<string, string> {
    return { 'status.state': labels[STATE_LABEL] ?? '' };
  }

  /** What a watch sends for a change (the log holds no object): the delivery as it is now. */
  async current(namespace: string, name: string): Promise<Delivery | null> {
    const [row] = await this.db.query<DeliveryDbRow>(
      `${deliverySelect} WHERE d.namespace = $1 AND d.id = $2`,
      [namespace, name],
    );
    return row ? toDelivery(row) : null;
  }

  /** A delivery deleted after `afterRv` (by retention or its owner's removal): the last state its DELETED row holds. */
  async deletedState(namespace: string, name: string, afterRv: string): Promise<Delivery | null> {
    const [row] = await this.db.query<{ object: Delivery }>(
      `SELECT object FROM resource_changes WHERE resource = $1 AND namespace = $2 AND name = $3 AND type = 'DELETED' AND rv > $4::bigint AND object IS NOT NULL ORDER BY rv LIMIT 1`,
      [DELIVERY_RESOURCE, namespace, name, afterRv],
    );
    return row?.object ?? null;
  }

  async list(o: ListOptions): Promise<ListResult<object>> {
    // One snapshot for the rows and the version reported, as the generic store lists: with a change
    // feed in this process, the newest version in the snapshot when every version up to it is
    // there, else the feed's position read before the snapshot (every change at or below it has
    // committed), so a watch from the list's resourceVersion misses nothing; a change already in
    // the list may arrive again. A later page is the first page's list: the token carries its version.
    const settled = o.continueToken === undefined ? await this.db.versionHorizon() : undefined;
    return this.db.transaction(
      async (tx) => {
        const resumed =
          o.continueToken === undefined ? undefined : await this.resume(tx, o.continueToken, o.namespace);
        const newest = resumed ? undefined : await currentResourceVersion(tx);
        const listRv =
          resumed?.listRv ??
          (settled === undefined || (await versionsComplete(tx, settled, newest!)) ? newest! : settled);
        // Deliveries keep no past states: an exact list is answerable only at the version served
        // now; at any other, 410 as a store answers a version it no longer holds (clients re-list).
        if (o.exactResourceVersion !== undefined && o.exactResourceVersion !== listRv)
          throw ApiError.gone(listTooOldMessage);
        const page = await this.listIn(tx, o, listRv, resumed?.afterSeq);
        return { ...page, metadata: { ...page.metadata, resourceVersion: listRv } };
      },
      { isolation: 'REPEATABLE READ' },
    );
  }

  /**
   * A continue token checked as the generic store checks one (400 when it does not decode or
   * names another namespace, 410 with a fresh token once the change log no longer reaches its
   * version). Its key is the last delivery's creation sequence number, the order pages follow.
   */
  private async resume(
    tx: Queryable,
    raw: string,
    namespace: string | undefined,
  ): Promise<{ listRv: string; afterSeq: string }> {
    const token: ContinueToken = await resumeList(tx, raw, namespace, true);
    if (!/^\d{1,18}$/.test(token.name))
      throw ApiError.badRequest('invalid continue token: continue key is not valid');
    return { listRv: token.listRv ?? token.rv, afterSeq: token.name };
  }

  /**
   * One page of the list at `listRv`: deliveries recorded later (their ADDED change is newer) are
   * left out, so every page holds the first page's members. Those changed since show their current
   * state (the log keeps no past state of a delivery), and those deleted since are not shown.
   */
  private async listIn(
    q: Queryable,
    o: ListOptions,
    listRv: string,
    afterSeq: string | undefined,
  ): Promise<ListResult<object>> {
    const params: unknown[] = [];
    const where: string[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (o.namespace) where.push(`d.namespace = ${p(o.namespace)}`);
    // Every Delivery carries exactly these two labels, as columns; a requirement on any other key is
    // judged as against an object without that label (`app=web` matches none, `app!=web` all).
    const columns: Record<string, string> = { [TRIGGER_LABEL]: 'd.owner_name', [STATE_LABEL]: 'd.state' };
    for (const r of o.labelSelector) {
      const column = columns[r.key];
      if (!column) {
        if (!matchesLabels([r], {})) where.push('false');
      } else if (r.op === 'in') where.push(`${column} = ANY(${p(r.values)}::text[])`);
      else if (r.op === 'notin') where.push(`NOT (${column} = ANY(${p(r.values)}::text[]))`);
      else if (r.op === '!exists') where.push('false');
      // Gt/Lt compare a label's value as an integer; a value that is none matches neither.
      // (CASE, not AND: Postgres may evaluate the cast of a non-integer first and fail.)
      else if (r.op === 'gt' || r.op === 'lt') {
        // An int64 as apimachinery parses it: up to 19 digits, within range.
        const n = `${column}::numeric`;
        where.push(
          `CASE WHEN ${column} ~ '^-?[0-9]{1,19}$' THEN ${n} BETWEEN -9223372036854775808 AND 9223372036854775807 AND ${n} ${r.op === 'gt' ? '>' : '<'} ${p(String(r.value))}::numeric ELSE false END`,
        );
      }
    }
    for (const r of o.fieldSelector) {
      const column = fieldColumns[r.field];
      if (column) where.push(`${column} ${r.op === '=' ? '=' : '<>'} ${p(r.value)}`);
    }
    // Only a row changed after listRv can be newer than the list; its ADDED row says (a delivery
    // whose ADDED the change log no longer holds was recorded before any version a list can have).
    const rv = p(listRv);
    where.push(
      `(d.resource_version <= ${rv}::bigint OR NOT EXISTS (SELECT 1 FROM resource_changes c WHERE c.resource = '${DELIVERY_RESOURCE}' AND c.namespace = d.namespace AND c.name = d.id AND c.type = 'ADDED' AND c.rv > ${rv}::bigint))`,
    );
    if (afterSeq !== undefined) where.push(`d.seq > ${p(afterSeq)}::bigint`);
    // Pages only when asked (kube's stores page only with a limit): a list without one, and the
    // initial state of a watch, hold every delivery. A page is at most 1,000.
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : undefined;
    const filterParams = [...params];
    const rows = await q.query<DeliveryDbRow>(
      `${deliverySelect} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq ${limit === undefined ? '' : `LIMIT ${p(limit + 1)}`}`,
      params,
    );
    const more = limit !== undefined && rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = more ? items[items.length - 1]!.seq : undefined;
    // As kube-apiserver: what follows a page is counted only when nothing is selected.
    const unselected = o.labelSelector.length === 0 && o.fieldSelector.length === 0;
    let remainingItemCount: number | undefined;
    if (last !== undefined && unselected) {
      const after = `d.seq > $${filterParams.push(last)}`;
      const [counted] = await q.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM trigger_deliveries d WHERE ${[...where, after].join(' AND ')}`,
        filterParams,
      );
      remainingItemCount = counted?.n;
    }
    return {
      metadata: {
        resourceVersion: listRv,
        ...(last !== undefined
          ? { continue: encodeContinue({ rv: listRv, listRv, namespace: o.namespace ?? '', name: last }) }
          : {}),
        ...(remainingItemCount !== undefined ? { remainingItemCount } : {}),
      },
      items: items.map(toDelivery),
    };
  }
}
