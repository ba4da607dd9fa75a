import { nowTimestamp } from '@app/api-machinery';
import { allocateResourceVersions, type Database, type GenericStore, noteChange, type Queryable } from '@app/persistence';
import { buildEvent, type CloudEvent, deliveryIdOf } from './cloudevent';
import { signingSecretOf } from './delivery-claim';
import { deliveryChangesSql } from './delivery-versions';
import { splitEvents } from './event-bases';
import { chainStopReason, decideFire, type FireDecision, idempotencyKey, repeatKey } from './firing';
import { dependentFacts, type LastImageFacts, type ResolvedTag, type TagKey, TagStateReader } from './tag-state';
import { annotationTargetPatch, namesContainers, targetPatch, workloadKindOf } from './target-patch';
import { parseStreamTag, type Trigger, TRIGGER_API_VERSION, type Workload } from './trigger.types';
import { sameStatus, statusAfterEvaluation, writeTriggerStatuses } from './trigger-status';
import { type WorkloadPreview, WorkloadTriggers } from './workload-triggers';

// Kept importable from here (delivery.service.ts and the lib's index use this module).
export { setCondition, writeTriggerStatuses } from './trigger-status';
export type { ResolvedTag, TagKey } from './tag-state';
export type { PlannedWorkloadEntry, WorkloadPreview } from './workload-triggers';

export interface EvaluatedTrigger {
  trigger: Trigger;
  decision: FireDecision | { fire: false; reason: 'ChainStopped'; rollback: false; message: string };
  key?: string;
  event?: CloudEvent;
}

/** A preview entry: which tag of the push (the pushed tag or one of its aliases) the trigger follows. */
export interface PreviewedTrigger extends EvaluatedTrigger {
  from: TagKey;
  /** Whether the TriggerSecret its spec.delivery.secretRef names exists with a `key` (else its fire is dead-lettered unsent). */
  signingSecretFound: boolean;
}

export interface EvaluatorOptions {
  eventSource: string;
  internalRegistryHostname: string;
  /**
   * The host registry pushes are recorded under (INTERNAL_REGISTRY_HOSTNAME, else the host of
   * REGISTRY_URL), so a preview of a tag's first push names the pull spec the push will record.
   */
  registryPullHost?: string;
  chainDepthBudget: number;
  /**
   * New deliveries belong to the batch job enqueued for them for this long (next_attempt_at is
   * set this far ahead), so the sweeper does not send them a second time while the batch waits
   * in the queue; if the job is lost, the sweeper takes over after it.
   */
  deliveryLeaseMs?: number;
}

interface TriggerRow {
  namespace: string;
  name: string;
  uid: string;
  body: Trigger;
}

const firstUid = '00000000-0000-0000-0000-000000000000';

/**
 * Fan-out of one tag move: finds the dependents that follow the tag, applies the firing rules
 * against the tag's *current* state (level-driven: a stale or repeated job sees the same level
 * and finds nothing new), records one delivery per fire with INSERT … ON CONFLICT DO NOTHING on
 * the idempotency key, and records the trigger's status, all in one transaction.
 */
export class TriggerEvaluator {
  private readonly tags: TagStateReader;
  private readonly workloads: WorkloadTriggers;

  constructor(
    private readonly db: Database,
    private readonly options: EvaluatorOptions,
  ) {
    this.tags = new TagStateReader(options);
    this.workloads = new WorkloadTriggers(db, this.tags, options);
  }

  /** Workload stores by kind, for annotation triggers (set by the module that creates both). */
  useWorkloadStores(stores: Map<string, GenericStore<Workload>>): void {
    this.workloads.useStores(stores);
  }

  /** Annotated workloads following the tag: see WorkloadTriggers. Returns how many changed. */
  evaluateWorkloads(key: TagKey): Promise<number> {
    return this.workloads.evaluate(key);
  }

  /**
   * Pure part shared by preview and the real evaluation. `delivered` holds the plain idempotency
   * keys (uid/image) already used: moving a dependent to an image it got once before (back to it
   * after a rollback, or after its `from` changed and changed back) is a new effect, keyed by
   * the fire it moves on from.
   */
  evaluateOne(
    trigger: Trigger,
    key: TagKey,
    tag: ResolvedTag | null,
    last: LastImageFacts,
    time: string,
    delivered: ReadonlySet<string> = new Set(),
  ): EvaluatedTrigger {
    const status = trigger.status ?? {};
    const decision = decideFire(tag, {
      paused: trigger.spec.paused === true,
      lastImage: status.lastTriggeredImageID ?? null,
      lastImageFirstSeenChangeId: last.firstSeenChangeId,
      lastImageFirstSeenHistoryId: last.firstSeenHistoryId,
      lastImageCreated: last.created,
    });
    if (!decision.fire || !tag) return { trigger, decision };
    const m = trigger.metadata;
    const stop = chainStopReason(tag.causation, this.options.chainDepthBudget, 'Trigger', m.namespace!, m.name!);
    if (stop) return { trigger, decision: { fire: false, reason: 'ChainStopped', rollback: false, message: stop } };
    let idemKey = idempotencyKey(m.uid!, tag.image, decision.rollback ? (tag.changeId ?? 'preview') : null);
    if (!decision.rollback && delivered.has(idemKey)) idemKey = repeatKey(m.uid!, tag.image, status);
    const event = buildEvent(deliveryIdOf(idemKey), this.options.eventSource, time, {
      namespace: key.namespace,
      stream: key.stream,
      tag: key.tag,
      // What the dependent moves from: the image it last got (a paused or rolled-back trigger may
      // have missed the tag's intermediate images); before its first fire, the tag's previous image.
      old: status.lastTriggeredImageID
        ? { digest: status.lastTriggeredImageID, pullSpec: status.lastTriggeredImage ?? null }
        : { digest: tag.previousImage, pullSpec: tag.previousPullSpec },
      new: { digest: tag.image, pullSpec: tag.pullSpec },
      trigger: { apiVersion: TRIGGER_API_VERSION, kind: 'Trigger', namespace: m.namespace!, name: m.name!, uid: m.uid!, generation: m.generation ?? 1 },
      target: trigger.spec.target,
      patch: null,
      reason: decision.reason,
      tagChangeId: tag.changeId,
      causation: tag.causation,
    });
    return { trigger, decision, key: idemKey, event };
  }

  /**
   * Sets the event's patch for a workload target, reading the stored workload if there is one:
   * the containers the target names (see targetPatch), or, when it names none, the entries of the
   * workload's own image.openshift.io/triggers annotation that follow this tag (annotationTargetPatch).
   */
  private async attachTargetPatch(q: Queryable, evaluated: EvaluatedTrigger, key: TagKey, pullSpec: string): Promise<void> {
    const event = evaluated.event;
    const target = evaluated.trigger.spec.target;
    const kind = workloadKindOf(target.kind);
    // Build and Webhook targets have no patch: no workload read (one per fired trigger) for them.
    if (!event || !kind) return;
    const [row] = await q.query<{ body: Workload }>(`SELECT body FROM ${kind.table} WHERE namespace = $1 AND name = $2`, [
      evaluated.trigger.metadata.namespace,
      target.name,
    ]);
    const stored = row?.body ?? null;
    const patch = namesContainers(target) ? targetPatch(target, stored, pullSpec) : annotationTargetPatch(kind, stored, key, pullSpec);
    if (!patch) return;
    event.data.patch = patch.patch;
    event.data.patchType = patch.patchType;
  }

  /** True when the tag has a tag_changes row newer than `changeId` (whose job will evaluate it). */
  async superseded(key: TagKey, changeId: string): Promise<boolean> {
    const [row] = await this.db.query<{ newer: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM tag_changes WHERE namespace = $1 AND stream = $2 AND tag = $3 AND id > $4::bigint) AS newer`,
      [key.namespace, key.stream, key.tag, changeId],
      'trg-superseded',
    );
    return row?.newer === true;
  }

  /**
   * Preview: what a mapping push of `image` to the tag would do. Reads only. The push moves the
   * tag's aliases too (spec tags of the same stream following it get the same tag event, cause
   * `alias`), so their dependents are evaluated against their would-be state as well; an alias
   * already at the image does not move, as in the real mapping.
   */
  async preview(key: TagKey, image: string, reference?: string): Promise<{ tag: ResolvedTag | null; results: PreviewedTrigger[]; workloads: WorkloadPreview[] }> {
    const tag = await this.tags.resolve(this.db, key, { image, reference, cause: 'mapping' });
    if (!tag) return { tag: null, results: [], workloads: [] };
    const moved = [{ key, tag }];
    if (tag.previousImage !== image) {
      for (const alias of tag.aliases) {
        const aliasKey = { ...key, tag: alias };
        const aliasTag = await this.tags.resolve(this.db, aliasKey, { image, reference: tag.reference, cause: 'alias' });
        if (aliasTag && aliasTag.previousImage !== image) moved.push({ key: aliasKey, tag: aliasTag });
      }
    }
    const results: PreviewedTrigger[] = [];
    for (const m of moved) results.push(...(await this.previewTriggers(m.key, m.tag)));
    return { tag, results, workloads: await this.workloads.preview(moved) };
  }

  private async previewTriggers(key: TagKey, tag: ResolvedTag): Promise<PreviewedTrigger[]> {
    const results: PreviewedTrigger[] = [];
    let after = firstUid;
    for (;;) {
      const rows = await this.triggersFollowing(this.db, key, after, 500, false);
      if (!rows.length) break;
      after = rows[rows.length - 1]!.uid;
      const facts = await this.tags.lastImageFacts(this.db, key, lastImages(rows));
      const elsewhere = await this.tags.movesOfOtherTags(this.db, key, lastChangeIds(rows));
      const delivered = await deliveredKeys(this.db, rows, tag);
      const secrets = await signingSecretsFound(this.db, rows);
      for (const r of rows) {
        const last = dependentFacts(facts, r.body.status?.lastTriggeredImageID, elsewhere.has(r.body.status?.lastTriggeredChangeID ?? ''));
        const ev = this.evaluateOne(r.body, key, tag, last, '', delivered);
        await this.attachTargetPatch(this.db, ev, key, tag.pullSpec);
        results.push({ ...ev, from: key, signingSecretFound: secrets.has(r.uid) });
      }
    }
    return results;
  }

  private async triggersFollowing(q: Queryable, key: TagKey, afterUid: string, limit: number, lock: boolean): Promise<TriggerRow[]> {
    const rows = await q.query<TriggerRow>(
      `SELECT t.namespace, t.name, t.uid::text AS uid, t.body, t.resource_version::text AS rv
         FROM trigger_subscriptions s JOIN triggers t ON t.uid = s.owner_uid
        WHERE s.from_namespace = $1 AND s.stream = $2 AND s.tag = $3 AND s.kind = 'Trigger' AND s.owner_uid > $4::uuid
        ORDER BY s.owner_uid LIMIT $5 ${lock ? 'FOR UPDATE OF t' : ''}`,
      [key.namespace, key.stream, key.tag, afterUid, limit],
      lock ? 'trg-following-lock' : 'trg-following',
    );
    for (const r of rows) r.body.metadata.resourceVersion = (r as unknown as { rv: string }).rv;
    return rows.filter((r) => {
      const from = r.body.spec.from;
      const st = parseStreamTag(from.name);
      return st && st.stream === key.stream && st.tag === key.tag && (from.namespace || r.namespace) === key.namespace;
    });
  }

  /**
   * Evaluates every trigger following the tag, `chunk` at a time (one transaction each).
   * Returns the ids of deliveries created (only new ones: a repeated evaluation returns none);
   * `onPage` gets each page's ids as soon as that page has committed.
   */
  async evaluate(key: TagKey, chunk = 500, onPage?: (created: string[]) => Promise<void>): Promise<string[]> {
    const created: string[] = [];
    let after = firstUid;
    for (;;) {
      const page = await this.db.transaction(async (tx) => {
        const rows = await this.triggersFollowing(tx, key, after, chunk, true);
        if (!rows.length) return null;
        const tag = await this.tags.resolve(tx, key);
        const facts = await this.tags.lastImageFacts(tx, key, lastImages(rows));
        const elsewhere = await this.tags.movesOfOtherTags(tx, key, lastChangeIds(rows));
        const delivered = await deliveredKeys(tx, rows, tag);
        const time = nowTimestamp();
        const results = rows.map((r) => {
          const last = dependentFacts(facts, r.body.status?.lastTriggeredImageID, elsewhere.has(r.body.status?.lastTriggeredChangeID ?? ''));
          return this.evaluateOne(r.body, key, tag, last, new Date().toISOString(), delivered);
        });
        const fired = results.filter((r) => r.event);
        for (const f of fired) await this.attachTargetPatch(tx, f, key, tag!.pullSpec);
        const newIds = await this.recordDeliveries(tx, fired, tag!);
        const statusUpdates = [];
        for (const r of results) {
          const status = statusAfterEvaluation(
            r.trigger,
            key,
            {
              tag,
              reason: r.decision.reason,
              stopMessage: stopMessageOf(r, tag),
              fired: r.event !== undefined && newIds.has(r.event.id),
            },
            time,
          );
          // Only real changes are written: an up-to-date trigger whose spec was observed costs nothing.
          if (!sameStatus(r.trigger.status, status)) statusUpdates.push({ uid: r.trigger.metadata.uid!, status });
        }
        await writeTriggerStatuses(tx, statusUpdates);
        return { last: rows[rows.length - 1]!.uid, ids: [...newIds], size: rows.length };
      });
      if (!page) break;
      created.push(...page.ids);
      // Deliveries of this page start while the next page is evaluated (a 10,000-trigger fan-out
      // does not wait for its last page).
      if (onPage && page.ids.length) await onPage(page.ids);
      after = page.last;
      if (page.size < chunk) break;
    }
    return created;
  }

  /** One delivery per fire, exactly once per idempotency key (ON CONFLICT on the id, derived from the key); returns the ids that are new. */
  private async recordDeliveries(tx: Queryable, fired: EvaluatedTrigger[], tag: ResolvedTag): Promise<Set<string>> {
    if (!fired.length) return new Set();
    // One version per fire (tracked by the transaction, so a rollback releases them); a fire whose
    // delivery exists already (a repeated evaluation) leaves its version as a NONE row.
    const rvs = await allocateResourceVersions(tx, fired.length);
    // What the page's events share is written once (see event-bases.ts); each row keeps its own part.
    const { base, parts } = splitEvents(fired.map((f) => f.event!));
    const inserted = await tx.query<{ id: string }>(
      `WITH b AS (INSERT INTO trigger_delivery_event_bases (event) SELECT $3::jsonb WHERE $3::jsonb IS NOT NULL RETURNING id),
            r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, key text, namespace text, name text, uid text, change text, image text, url text, target text, event jsonb, rv bigint)),
            ins AS (INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, tag_change_id, image, url, target_key, event, event_base, next_attempt_at, resource_version)
                    SELECT r.id, r.key, r.namespace, 'Trigger', r.name, r.uid::uuid, r.change::bigint, r.image, r.url, r.target, r.event, (SELECT id FROM b),
                           now() + make_interval(secs => $2::float8 / 1000), r.rv
                      FROM r
                    ON CONFLICT (id) DO NOTHING RETURNING id, namespace, owner_name, state),
            ch AS (${deliveryChangesSql('r', 'ins', 'ADDED', null)})
       SELECT id FROM ins`,
      [
        JSON.stringify(
          fired.map((f, i) => {
            const u = new URL(f.trigger.spec.delivery.url);
            return {
              rv: String(rvs[i]),
              id: f.event!.id,
              key: f.key,
              namespace: f.trigger.metadata.namespace,
              name: f.trigger.metadata.name,
              uid: f.trigger.metadata.uid,
              change: tag.changeId,
              image: tag.image,
              url: f.trigger.spec.delivery.url,
              target: `${u.protocol}//${u.host}`,
              event: parts[i],
            };
          }),
        ),
        Number(this.options.deliveryLeaseMs ?? 0),
        base === null ? null : JSON.stringify(base),
      ],
      'trg-record-deliveries',
    );
    noteChange(tx);
    return new Set(inserted.map((r) => r.id));
  }
}

/**
 * Which of the page's plain keys (uid/image of the tag's image, for triggers not already at it)
 * were used by an earlier fire. A fire's delivery and its status commit together, so a key in
 * use while the trigger is not at that image belongs to an earlier cycle, not to this fire.
 */
async function deliveredKeys(q: Queryable, rows: TriggerRow[], tag: ResolvedTag | null): Promise<Set<string>> {
  if (!tag?.image) return new Set();
  const keys = rows.filter((r) => r.body.status?.lastTriggeredImageID && r.body.status.lastTriggeredImageID !== tag.image).map((r) => idempotencyKey(r.uid, tag.image));
  if (!keys.length) return new Set();
  // By primary key: a delivery's id is derived from its idempotency key (deliveryIdOf).
  const found = await q.query<{ k: string }>(`SELECT idempotency_key AS k FROM trigger_deliveries WHERE id = ANY($1::text[])`, [keys.map(deliveryIdOf)], 'trg-delivered-keys');
  return new Set(found.map((f) => f.k));
}

/** Uids of the triggers whose signing secret exists with a `key`, as the sender reads it (delivery-headers.ts). */
async function signingSecretsFound(q: Queryable, rows: TriggerRow[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const found = await q.query<{ uid: string }>(
    `SELECT t.uid::text AS uid FROM triggers t
       JOIN trigger_secrets s ON ${signingSecretOf('t', 's')}
      WHERE t.uid = ANY($1::uuid[]) AND s.body->'data' ? 'key'`,
    [rows.map((r) => r.uid)],
  );
  return new Set(found.map((f) => f.uid));
}

function lastImages(rows: TriggerRow[]): string[] {
  return rows.map((r) => r.body.status?.lastTriggeredImageID ?? '').filter(Boolean);
}

/** The feed ids of the moves the page's triggers last fired for, once each (a fan-out's triggers share one). */
function lastChangeIds(rows: TriggerRow[]): string[] {
  const ids = new Set(rows.map((r) => r.body.status?.lastTriggeredChangeID ?? ''));
  return [...ids].filter((id) => /^[0-9]{1,18}$/.test(id));
}

/** The message of a standing condition when the trigger stopped for a reason that has one. */
function stopMessageOf(r: EvaluatedTrigger, tag: ResolvedTag | null): string | undefined {
  if ('message' in r.decision) return r.decision.message;
  if (r.decision.reason !== 'OlderImageIgnored') return undefined;
  return `not moving to ${tag?.image ?? ''}: older than ${r.trigger.status?.lastTriggeredImageID ?? ''} and not an explicit rollback`;
}
