import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiError,
  checkKindAndVersion,
  checkNamespaceOnCreate,
  apiVersionOf,
  type FieldError,
  fieldErr,
  generateName,
  type ListOptions,
  matchesLabels,
  nowTimestamp,
  type ListResult,
  refOf,
  type ResourceInfo,
  validateNamespaceName,
  type WriteOptions,
  type WriteResult,
} from '@app/api-machinery';
import {
  currentResourceVersion,
  type Database,
  type HandlerWatchOptions,
  type Queryable,
  type ResourceHandler,
  sequencePositionSql,
  type WatchEventOut,
} from '@app/persistence';
import { validateImageStreamName } from '@app/image';
import { queueNamespaceOrphanCollection } from './delivery-collector';
import { DELIVERY_STATE_LABEL, DELIVERY_TRIGGER_LABEL, versionDeliveries } from './delivery-versions';
import { type DeliveryDbRow, deliverySelect, iso, toDelivery } from './delivery-view';
import { endpointDisabledSql, reenabledConditions } from './endpoint-disabled';
import type { TriggerEvaluator } from './evaluator';
import { deliveriesInfo, deliveryRedrivesInfo, pushPreviewsInfo, tagChangeEventsInfo, triggersInfo } from './resource-infos';
import { targetKeyOf } from './target-limiter';
import { type Delivery, parseStreamTag, type Trigger, TRIGGER_API_VERSION } from './trigger.types';
import { writeTriggerStatuses } from './trigger-status';

/** The labels every Delivery carries. */
const TRIGGER_LABEL = DELIVERY_TRIGGER_LABEL;
const STATE_LABEL = DELIVERY_STATE_LABEL;

/**
 * Deliveries (read-only): every fire with its event and attempt history. Label selectors
 * `triggers.imagestreamd.io/trigger=<name>` and `triggers.imagestreamd.io/state=<state>`;
 * `limit`/`continue` page in creation order. Watchable through the change log (see
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

  /** Its namespace removed: the orphaned deliveries in it go too, in the background (see queueNamespaceOrphanCollection). */
  async removeNamespaceLeftovers(namespace: string): Promise<void> {
    await queueNamespaceOrphanCollection(this.db, namespace);
  }

  /** What a watch sends for a change (the log holds no object): the delivery as it is now. */
  async current(namespace: string, name: string): Promise<Delivery | null> {
    const [row] = await this.db.query<DeliveryDbRow>(`${deliverySelect} WHERE d.namespace = $1 AND d.id = $2`, [namespace, name]);
    return row ? toDelivery(row) : null;
  }

  async list(o: ListOptions): Promise<ListResult<object>> {
    // One snapshot for the rows and the version reported, as the generic store lists: with a change
    // feed in this process its horizon (every change at or below it has committed), so a watch from
    // the list's resourceVersion misses nothing; a change already in the list arrives again.
    return this.db.transaction(
      async (tx) => {
        const newest = await currentResourceVersion(tx);
        const horizon = await this.db.versionHorizon(newest);
        const listRv = horizon !== undefined && BigInt(horizon) < BigInt(newest) ? horizon : newest;
        const page = await this.listIn(tx, o);
        return { ...page, metadata: { ...page.metadata, resourceVersion: listRv } };
      },
      { isolation: 'REPEATABLE READ' },
    );
  }

  private async listIn(q: Queryable, o: ListOptions): Promise<ListResult<object>> {
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
      const column = r.field === 'metadata.name' ? 'd.id' : r.field === 'metadata.namespace' ? 'd.namespace' : null;
      if (column) where.push(`${column} ${r.op === '=' ? '=' : '<>'} ${p(r.value)}`);
    }
    if (o.continueToken) {
      if (!/^\d+$/.test(o.continueToken)) throw ApiError.badRequest('invalid continue token');
      where.push(`d.seq > ${p(o.continueToken)}`);
    }
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 500;
    const rows = await q.query<DeliveryDbRow>(
      `${deliverySelect} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq LIMIT ${p(limit + 1)}`,
      params,
    );
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    return { metadata: { resourceVersion: '0', ...(more ? { continue: items[items.length - 1]!.seq } : {}) }, items: items.map(toDelivery) };
  }
}

/**
 * What kube-apiserver's create handler checks of every body before the kind's own rules (400
 * BadRequest otherwise), as the generic store's decode does: the kind and apiVersion it names, when
 * it names one, are this resource's, and so is its metadata.namespace. Without it another kind's
 * document POSTed here (a Pod, a Trigger) was read as an empty redrive: the whole namespace.
 */
function checkCreateEnvelope(info: ResourceInfo, namespace: string, body: unknown): void {
  // The decoder has checked the envelope's types (strings, or null as Go's zero value).
  const b = (typeof body === 'object' && body !== null ? body : {}) as { kind?: string | null; apiVersion?: string | null; metadata?: { namespace?: string | null } | null };
  checkKindAndVersion(b, info.kind, apiVersionOf(info));
  checkNamespaceOnCreate(b.metadata?.namespace, namespace);
}

/**
 * DeliveryRedrive (create-only): `spec.delivery` redrives one dead delivery, `spec.trigger` all
 * dead deliveries of a trigger, neither = every dead delivery in the namespace. The worker's
 * sweeper picks them up (a fresh attempt budget; webhook-id unchanged).
 */
export class DeliveryRedriveHandler implements ResourceHandler {
  readonly info = deliveryRedrivesInfo;
  constructor(private readonly db: Database) {}

  async create(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult> {
    checkCreateEnvelope(this.info, namespace, body);
    const rawSpec = (body as { spec?: unknown } | null)?.spec ?? {};
    // A malformed spec must not widen into "redrive the whole namespace".
    if (typeof rawSpec !== 'object' || rawSpec === null || Array.isArray(rawSpec)) {
      throw ApiError.invalid(refOf(this.info), '', [fieldErr.invalid('spec', rawSpec, 'must be an object with delivery and/or trigger')]);
    }
    const spec = rawSpec as { delivery?: unknown; trigger?: unknown };
    const errors: FieldError[] = [];
    // An unknown field (a typo of `trigger`) must not be dropped either: that too would widen the redrive.
    for (const k of Object.keys(spec)) {
      if (k !== 'delivery' && k !== 'trigger') errors.push(fieldErr.notSupported(`spec.${k}`, k, ['delivery', 'trigger']));
    }
    if (spec.delivery !== undefined && typeof spec.delivery !== 'string') errors.push(fieldErr.invalid('spec.delivery', spec.delivery, 'must be a delivery name'));
    if (spec.trigger !== undefined && typeof spec.trigger !== 'string') errors.push(fieldErr.invalid('spec.trigger', spec.trigger, 'must be a trigger name'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), '', errors);
    const run = async (q: Queryable) => {
      if (typeof spec.delivery === 'string') await checkNamedDelivery(q, namespace, spec.delivery, spec.trigger as string | undefined);
      const params = [namespace, spec.delivery ?? null, spec.trigger ?? null];
      // A redrive naming a trigger, or one of its deliveries, asks for that trigger's endpoint
      // again: one a 410 Gone disabled is re-enabled first (in this transaction), so the redrive
      // sends. A namespace-wide redrive names no endpoint: disabled ones keep their dead letters.
      const reenabled = spec.delivery === undefined && spec.trigger === undefined ? [] : await reenableOwners(q, namespace, (spec.delivery as string | undefined) ?? null, (spec.trigger as string | undefined) ?? null);
      // Orphaned deliveries are not redriven: their trigger (its URL, headers and signing secret) is
      // gone, and a trigger created again under its name does not adopt them.
      const dead = `d.namespace = $1 AND d.state = 'dead' AND NOT d.orphaned AND ($2::text IS NULL OR d.id = $2) AND ($3::text IS NULL OR d.owner_name = $3)
        AND ($2::text IS NOT NULL OR $3::text IS NOT NULL OR NOT EXISTS (SELECT 1 FROM triggers t WHERE t.uid = d.owner_uid AND ${endpointDisabledSql('t')}))`;
      // A redrive goes to the owner's current URL: fixing a wrong spec.delivery.url and redriving
      // is how such a dead letter is recovered (headers and secret are read at send time anyway).
      const owners = await q.query<{ uid: string; url: string | null }>(
        `SELECT t.uid::text AS uid, t.body->'spec'->'delivery'->>'url' AS url FROM triggers t
          WHERE t.uid IN (SELECT d.owner_uid FROM trigger_deliveries d WHERE ${dead})`,
        params,
      );
      const targets = owners.flatMap((o) => (o.url ? [{ uid: o.uid, url: o.url, target_key: targetKeyOf(o.url) }] : []));
      const redriven = await q.query<{ id: string; owner_name: string }>(
        `WITH o AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS o(uid uuid, url text, target_key text))
         UPDATE trigger_deliveries d SET state = 'pending', generation = generation + 1, attempts = 0,
                next_attempt_at = now() - interval '1 hour', leased_until = NULL, dead_at = NULL,
                url = COALESCE((SELECT o.url FROM o WHERE o.uid = d.owner_uid), d.url),
                target_key = COALESCE((SELECT o.target_key FROM o WHERE o.uid = d.owner_uid), d.target_key)
          WHERE ${dead}
          RETURNING d.id, d.owner_name`,
        [...params, JSON.stringify(targets)],
      );
      await versionDeliveries(q, redriven.map((r) => ({ id: r.id, namespace, owner: r.owner_name, state: 'pending', prevState: 'dead' })));
      return { redriven, reenabled };
    };
    const { redriven: rows, reenabled } = await this.db.transaction(run, { rollback: options.dryRun });
    if (typeof spec.trigger === 'string' && rows.length === 0) {
      const [exists] = await this.db.query(`SELECT 1 FROM triggers WHERE namespace = $1 AND name = $2`, [namespace, spec.trigger]);
      if (!exists) throw ApiError.notFound(refOf(triggersInfo), spec.trigger);
    }
    // Nothing is stored; the answer carries the request's name (or one made from generateName) so clients can print it.
    const meta = (body as { metadata?: { name?: unknown; generateName?: unknown } }).metadata ?? {};
    const name = typeof meta.name === 'string' && meta.name ? meta.name : typeof meta.generateName === 'string' && meta.generateName ? generateName(meta.generateName) : undefined;
    return {
      code: 201,
      body: {
        kind: 'DeliveryRedrive',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { ...(name ? { name } : {}), namespace, creationTimestamp: nowTimestamp() },
        spec,
        status: { redriven: rows.map((r) => r.id), ...(reenabled.length ? { reenabled } : {}) },
      },
    };
  }
}

/**
 * A redrive naming one delivery (checked under its row lock, before anything is re-enabled): 404
 * when there is none, 409 when it is orphaned (no owner to send for), 422 when `spec.trigger`
 * names another owner, 409 when it is not dead (a delivered or pending delivery is not redriven;
 * saying so beats an empty `redriven`).
 */
async function checkNamedDelivery(q: Queryable, namespace: string, id: string, trigger: string | undefined): Promise<void> {
  const [d] = await q.query<{ state: string; owner_name: string; orphaned: boolean }>(
    `SELECT state, owner_name, orphaned FROM trigger_deliveries WHERE namespace = $1 AND id = $2 FOR UPDATE`,
    [namespace, id],
  );
  if (!d) throw ApiError.notFound(refOf(deliveriesInfo), id);
  if (d.orphaned) {
    throw ApiError.conflict(refOf(deliveriesInfo), id, `the delivery is orphaned (its owner "${d.owner_name}" was deleted with propagationPolicy Orphan): only deliveries with an owner are redriven`);
  }
  if (trigger !== undefined && d.owner_name !== trigger) {
    throw ApiError.invalid(refOf(deliveryRedrivesInfo), '', [fieldErr.invalid('spec.delivery', id, `is a delivery of "${d.owner_name}", not of trigger "${trigger}"`)]);
  }
  if (d.state !== 'dead') throw ApiError.conflict(refOf(deliveriesInfo), id, `the delivery is ${d.state}: only dead deliveries are redriven`);
}

/**
 * Re-enables the endpoint of the trigger named, or of the trigger owning the delivery named, when
 * a 410 Gone disabled it (see endpoint-disabled.ts). Returns the names of the triggers re-enabled.
 */
async function reenableOwners(q: Queryable, namespace: string, delivery: string | null, trigger: string | null): Promise<string[]> {
  const rows = await q.query<{ uid: string; name: string; status: Trigger['status'] | null; generation: number | null }>(
    `SELECT t.uid::text AS uid, t.name, t.body->'status' AS status, (t.body->'metadata'->>'generation')::int AS generation FROM triggers t
      WHERE t.namespace = $1 AND ${endpointDisabledSql('t')}
        AND ($3::text IS NULL OR t.name = $3)
        AND ($2::text IS NULL OR t.uid = (SELECT d.owner_uid FROM trigger_deliveries d WHERE d.namespace = $1 AND d.id = $2))
      FOR UPDATE`,
    [namespace, delivery, trigger],
  );
  const time = nowTimestamp();
  await writeTriggerStatuses(
    q,
    rows.map((r) => ({ uid: r.uid, status: { ...(r.status ?? {}), conditions: reenabledConditions(r.status?.conditions, 'Redriven', time, r.generation ?? 1) } })),
  );
  return rows.map((r) => r.name);
}

/**
 * PushPreview (create-only, no side effect): `metadata.name` = `stream:tag`, `spec.image` = the
 * digest of a hypothetical push (`spec.dockerImageReference` optional). Answers which triggers
 * would fire and the exact CloudEvent each would receive (`time` is set when it really fires), and
 * for annotated workloads which annotation entries would set their image, with the JSON patch.
 * Dependents of the tag's aliases, which the push moves too, are included; each entry names the
 * tag it follows.
 */
export class PushPreviewHandler implements ResourceHandler {
  readonly info = pushPreviewsInfo;
  constructor(private readonly evaluator: TriggerEvaluator) {}

  async create(namespace: string, body: unknown): Promise<WriteResult> {
    checkCreateEnvelope(this.info, namespace, body);
    const b = (body ?? {}) as { metadata?: { name?: string }; spec?: { image?: string; dockerImageReference?: string } };
    const name = b.metadata?.name ?? '';
    const errors: FieldError[] = [...validateNamespaceName(namespace)];
    const st = parseStreamTag(name);
    if (!st) errors.push(fieldErr.invalid('metadata.name', name, 'must be of the form <stream>:<tag>'));
    // A stream no ImageStream can be named never gets a push, as a Trigger following it is refused.
    else errors.push(...validateImageStreamName(namespace, st.stream).map((e) => fieldErr.invalid('metadata.name', name, `stream name ${JSON.stringify(st.stream)} ${e.detail ?? 'is invalid'}`)));
    const image = b.spec?.image;
    if (typeof image !== 'string' || !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(image)) errors.push(fieldErr.invalid('spec.image', image ?? '', 'must be an image digest'));
    if (errors.length) throw ApiError.invalid(refOf(this.info), name, errors);
    const key = { namespace, stream: st!.stream, tag: st!.tag };
    const { tag, results, workloads } = await this.evaluator.preview(key, image!, b.spec?.dockerImageReference);
    return {
      code: 201,
      body: {
        kind: 'PushPreview',
        apiVersion: TRIGGER_API_VERSION,
        metadata: { name, namespace },
        spec: b.spec,
        status: {
          streamFound: tag?.streamFound ?? false,
          triggers: results.map((r) => ({
            namespace: r.trigger.metadata.namespace,
            name: r.trigger.metadata.name,
            tag: r.from.tag,
            wouldFire: r.decision.fire && !!r.event,
            reason: r.decision.reason,
            ...(r.event ? { deliveryId: r.event.id, idempotencyKey: r.key, url: r.trigger.spec.delivery.url, event: r.event } : {}),
          })),
          // Annotated workloads (image.openshift.io/triggers): one entry per annotation entry following
          // a moved tag. `patch` is the entry's part; `event` records the workload's one update.
          workloads: workloads.map((w) => ({
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            tag: w.from.tag,
            fieldPath: w.fieldPath,
            wouldFire: w.fire,
            reason: w.reason,
            ...(w.patch ? { patch: w.patch } : {}),
            ...(w.event ? { deliveryId: w.event.id, idempotencyKey: w.idempotencyKey, event: w.event } : {}),
          })),
        },
      },
    };
  }
}

/** How often a watch on the feed looks for new moves. */
const FEED_WATCH_POLL_MS = 200;

/**
 * The durable pull feed of tag moves (tag_changes): list in commit order after a cursor,
 * `continue=<id>` resumes (the list's resourceVersion is the cursor to resume from); kept for
 * TRIGGER_FEED_RETENTION_SECONDS. A cursor older than the retained feed gets 410 Expired so the
 * consumer knows it missed events.
 *
 * Ids are taken when a row is inserted but transactions commit in any order, so a lower id can
 * become visible after a higher one; a cursor past it would skip it for good. The feed therefore
 * serves ids only up to a horizon below which every row is final (see feedHorizon).
 */
export class TagChangeFeedHandler implements ResourceHandler {
  readonly info = tagChangeEventsInfo;
  constructor(
    private readonly db: Database,
    private readonly pollMs = FEED_WATCH_POLL_MS,
  ) {}

  /**
   * `?watch=1`: every move after `resourceVersion` (a list's resourceVersion or an item's name) as
   * an ADDED event, in feed order, polled from the feed. Without one (or with "0") a Kubernetes
   * watch first sends the current state as ADDED events; the feed's state is every retained move,
   * so those come first. An expired cursor ends the watch with a 410 ERROR event, as for any
   * watch. BOOKMARKs carry the cursor to resume from.
   *
   * Watch-list (`sendInitialEvents=true`, what client-go's reflector sends by default since 1.35):
   * the feed's state is every retained move, so those come first as ADDED, then (bookmarks
   * allowed) the BOOKMARK annotated `k8s.io/initial-events-end` at the position reached, then
   * later moves. Without it the reflector waits for that bookmark until the watch times out.
   */
  async watchItself(o: HandlerWatchOptions, emit: (event: WatchEventOut) => void): Promise<void> {
    const initialEvents = o.sendInitialEvents === true;
    let cursor = initialEvents || !o.resourceVersion ? '0' : o.resourceVersion;
    let initialEventsEndDue = initialEvents && o.allowWatchBookmarks;
    let lastBookmark = Date.now();
    let preTimeoutBookmarkSent = false;
    while (!o.signal.aborted) {
      let page: ListResult<object>;
      try {
        page = await this.list({ namespace: o.namespace, continueToken: cursor, limit: 500, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector });
      } catch (e) {
        if (e instanceof ApiError && (e.code === 410 || e.code === 400)) {
          emit({ type: 'ERROR', object: e.toStatus() });
          return;
        }
        throw e;
      }
      for (const item of page.items) emit({ type: 'ADDED', object: item });
      const next = page.metadata.resourceVersion ?? cursor;
      if (initialEventsEndDue && !page.metadata.continue) {
        emit({ type: 'BOOKMARK', object: { kind: 'TagChangeEvent', apiVersion: TRIGGER_API_VERSION, metadata: { resourceVersion: next, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
        initialEventsEndDue = false;
        lastBookmark = Date.now();
      }
      // Bookmarks as on other watches: every bookmark interval, and once 2 s before the timeout.
      const lastCall = !preTimeoutBookmarkSent && o.preTimeoutBookmarkAt !== undefined && Date.now() >= o.preTimeoutBookmarkAt;
      if (lastCall) preTimeoutBookmarkSent = true;
      if (o.allowWatchBookmarks && (lastCall || Date.now() - lastBookmark >= o.bookmarkIntervalMs)) {
        emit({ type: 'BOOKMARK', object: { kind: 'TagChangeEvent', apiVersion: TRIGGER_API_VERSION, metadata: { resourceVersion: next } } });
        lastBookmark = Date.now();
      }
      cursor = next;
      if (!page.metadata.continue) await sleep(this.pollMs, undefined, { signal: o.signal }).catch(() => undefined); // an abort ends the wait early
    }
  }

  async list(o: ListOptions): Promise<ListResult<object>> {
    const cursor = o.continueToken ?? '0';
    if (!/^\d+$/.test(cursor)) throw ApiError.badRequest('invalid continue token: must be a tag change id');
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 500;
    const { horizon, oldest, issued } = await this.feedHorizon();
    // Once retention has pruned every row, the next move to appear gets an id past `issued`: a
    // cursor below that missed the pruned moves just as surely (a rolled-back id can make this a
    // needless 410, which costs the consumer a re-list; a missing one would lose moves silently).
    const retainedFrom = oldest ? BigInt(oldest) : BigInt(issued) + 1n;
    if (cursor !== '0' && BigInt(cursor) < retainedFrom - 1n) {
      throw ApiError.gone(`the cursor ${cursor} is older than the retained feed (${oldest ? `oldest ${oldest}` : `every move up to ${issued} has expired`})`);
    }
    // A cursor this feed never handed out would silently skip every move up to it.
    if (BigInt(cursor) > BigInt(issued)) {
      throw ApiError.badRequest(`invalid continue token: ${cursor} is ahead of the feed (newest id ${issued})`);
    }
    const params: unknown[] = [cursor, horizon ?? '0', limit + 1];
    let nsFilter = o.namespace ? `AND c.namespace = $${params.push(o.namespace)}` : '';
    // Feed items carry no labels: a label selector keeps all of them or none, as it would match `{}`.
    if (!matchesLabels(o.labelSelector, {})) nsFilter += ' AND false';
    for (const r of o.fieldSelector) {
      const column = r.field === 'metadata.name' ? 'c.id::text' : r.field === 'metadata.namespace' ? 'c.namespace' : null;
      if (column) nsFilter += ` AND ${column} ${r.op === '=' ? '=' : '<>'} $${params.push(r.value)}`;
    }
    const rows = await this.db.query<FeedRow>(
      // Qualified ORDER BY: the text output column `id` would sort "10" before "9".
      `SELECT c.id::text AS id, c.recorded_at, c.namespace, c.stream, c.tag, c.previous_image, c.image, c.docker_image_reference, c.cause
         FROM tag_changes c WHERE c.id > $1::bigint AND c.id <= $2::bigint ${nsFilter} ORDER BY c.id LIMIT $3`,
      params,
    );
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1]?.id ?? cursor;
    // A complete answer covers every id up to the horizon (other namespaces' ids included).
    const upTo = more || !horizon || BigInt(horizon) < BigInt(last) ? last : horizon;
    return {
      metadata: { resourceVersion: upTo, ...(more ? { continue: last } : {}) },
      items: items.map((r) => ({
        kind: 'TagChangeEvent',
        apiVersion: TRIGGER_API_VERSION,
        // The feed position is also the item's resourceVersion: a watcher resumes after the last one it saw.
        metadata: { name: r.id, namespace: r.namespace, resourceVersion: r.id, creationTimestamp: iso(r.recorded_at) },
        type: feedItemType(r),
        stream: r.stream,
        tag: r.tag,
        from: r.previous_image,
        to: r.image,
        dockerImageReference: r.docker_image_reference,
        cause: r.cause,
      })),
    };
  }

  /**
   * The highest id at or below which every tag_changes row is final (committed, or never to
   * appear), and the oldest retained id.
   *
   * A transaction that inserted a row holds a RowExclusiveLock on tag_changes until it ends. So,
   * first: `since` = the earliest start of a transaction holding that lock now, or now() when
   * none does (now() is this statement's start, before pg_locks is read, so a writer that took
   * its id before `since` is either among the holders or already finished). Then, in a new
   * snapshot: rows recorded before `since` are all final, and any row not yet visible got its id
   * after `since`, so the newest id recorded before `since` is the horizon. A holder whose start
   * is unknown (another role, a prepared transaction) holds the horizon back until it ends.
   */
  private async feedHorizon(): Promise<{ horizon: string | null; oldest: string | null; issued: string }> {
    const [lock] = await this.db.query<{ since: string }>(
      `SELECT least(now(), min(coalesce(a.xact_start, '-infinity'::timestamptz)))::text AS since
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.mode = 'RowExclusiveLock' AND l.pid IS DISTINCT FROM pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.relation = 'tag_changes'::regclass`,
      [],
      'trg-feed-since',
    );
    const [row] = await this.db.query<{ horizon: string | null; oldest: string | null; issued: string }>(
      `SELECT (SELECT h.id::text FROM tag_changes h WHERE h.recorded_at < $1::timestamptz ORDER BY h.id DESC LIMIT 1) AS horizon,
              (SELECT min(id)::text FROM tag_changes) AS oldest,
              ${sequencePositionSql('tag_changes_id_seq')}::text AS issued`,
      [lock!.since],
      'trg-feed-horizon',
    );
    return { horizon: row?.horizon ?? null, oldest: row?.oldest ?? null, issued: row?.issued ?? '0' };
  }
}

/**
 * What a feed row says happened to its tag: a row without an image is the tag's loss of the image
 * it held (tag, its last history entry or its stream deleted); `from` names that image.
 */
function feedItemType(r: FeedRow): 'tag.created' | 'tag.moved' | 'tag.deleted' {
  if (r.image === null) return 'tag.deleted';
  return r.previous_image ? 'tag.moved' : 'tag.created';
}

interface FeedRow {
  id: string;
  recorded_at: Date;
  namespace: string;
  stream: string;
  tag: string;
  previous_image: string | null;
  /** Null when the tag lost its image. */
  image: string | null;
  docker_image_reference: string | null;
  cause: string;
}
