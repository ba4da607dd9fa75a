import { nowTimestamp } from '@app/api-machinery';
import { allocateResourceVersions, CHANGE_CHANNEL, type Database, type Queryable, sqlLiteral } from '@app/persistence';
import { applyPatchDocument } from '@app/api-machinery';
import type { GenericStore } from '@app/persistence';
import type { JsonPatchOp } from './annotation';
import { imageAt, imagePatch, parseTriggersAnnotation } from './annotation';
import { buildEvent, type CausationLink, type CloudEvent, deliveryIdOf } from './cloudevent';
import { decideFire, type FireDecision, idempotencyKey, type TagState } from './firing';
import { type WorkloadKind, workloadKinds } from './resource-infos';
import {
  CAUSATION_LABEL,
  OCI_BASE_DIGEST,
  parseStreamTag,
  type Trigger,
  type TriggerCondition,
  TRIGGER_API_VERSION,
  TRIGGERS_ANNOTATION,
  type Workload,
} from './trigger.types';

export interface TagKey {
  namespace: string;
  stream: string;
  tag: string;
}

/** The tag's current state plus what the firing rules and the event need about its image. */
export interface ResolvedTag extends TagState {
  previousImage: string | null;
  previousPullSpec: string | null;
  causation: CausationLink[];
}

interface ImageMeta {
  name: string;
  created: string | null;
  ref: string | null;
  labels: Record<string, string> | null;
  annotations: Record<string, string> | null;
}

export interface EvaluatedTrigger {
  trigger: Trigger;
  decision: FireDecision | { fire: false; reason: 'ChainStopped'; rollback: false; message: string };
  key?: string;
  event?: CloudEvent;
}

export interface EvaluatorOptions {
  eventSource: string;
  internalRegistryHostname: string;
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

/**
 * Fan-out of one tag move: finds the dependents that follow the tag, applies the firing rules
 * against the tag's *current* state (level-driven: a stale or repeated job sees the same level
 * and finds nothing new), records one delivery per fire with INSERT … ON CONFLICT DO NOTHING on
 * the idempotency key, and records lastTriggeredImageID on the trigger, all in one transaction.
 */
export class TriggerEvaluator {
  constructor(
    private readonly db: Database,
    private readonly options: EvaluatorOptions,
  ) {}

  /**
   * Current state of a tag; `hypothetical` replaces the newest event (preview). The tag's newest
   * event, its newest tag_changes row and the first sight of its image are read in one statement,
   * so they come from one snapshot (separate reads could straddle a concurrent move).
   */
  async resolveTag(q: Queryable, key: TagKey, hypothetical?: { image: string; pullSpec?: string }): Promise<ResolvedTag | null> {
    const [row] = await q.query<{
      spec_tags: { name: string; referencePolicy?: { type?: string } }[] | null;
      image: string | null;
      ref: string | null;
      change_id: string | null;
      cause: string | null;
      previous_image: string | null;
      change_image: string | null;
      first_id: string | null;
      meta: ImageMeta | null;
      previous_ref: string | null;
    }>(
      // The image's metadata (and the previous image's pull spec) ride along: one round trip.
      `SELECT s.body->'spec'->'tags' AS spec_tags, e.image, e.docker_image_reference AS ref,
              c.id::text AS change_id, c.cause, c.previous_image, c.image AS change_image,
              (SELECT min(f.id)::text FROM tag_changes f WHERE f.namespace = $1 AND f.stream = $2 AND f.tag = $3 AND f.image = e.image) AS first_id,
              (SELECT jsonb_build_object('name', i.name, 'created', i.body->'dockerImageMetadata'->>'Created', 'ref', i.body->>'dockerImageReference',
                        'labels', i.body->'dockerImageMetadata'->'Config'->'Labels', 'annotations', i.body->'metadata'->'annotations')
                 FROM images i WHERE i.name = e.image) AS meta,
              (SELECT i.body->>'dockerImageReference' FROM images i WHERE i.name = c.previous_image) AS previous_ref
         FROM image_streams s
         LEFT JOIN LATERAL (SELECT ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
         LEFT JOIN LATERAL (SELECT tc.id, tc.cause, tc.previous_image, tc.image FROM tag_changes tc
                             WHERE tc.namespace = $1 AND tc.stream = $2 AND tc.tag = $3 ORDER BY tc.id DESC LIMIT 1) c ON true
        WHERE s.namespace = $1 AND s.name = $2`,
      [key.namespace, key.stream, key.tag],
      'trg-resolve-tag',
    );
    if (!row) return null;
    const local = (row.spec_tags ?? []).find((t) => t.name === key.tag)?.referencePolicy?.type === 'Local';
    const pullSpecOf = (image: string, ref: string) =>
      local && this.options.internalRegistryHostname ? `${this.options.internalRegistryHostname}/${key.namespace}/${key.stream}@${image}` : ref;
    let image = row.image;
    let ref = row.ref;
    let changeId: string | null = null;
    let cause = 'unknown';
    let previousImage: string | null = null;
    if (hypothetical) {
      previousImage = image;
      image = hypothetical.image;
      ref = hypothetical.pullSpec ?? (row.ref ? row.ref.replace(/@sha256:[0-9a-f]+$/, '') + `@${hypothetical.image}` : hypothetical.image);
      cause = 'mapping';
    } else if (image && row.change_image === image) {
      changeId = row.change_id;
      cause = row.cause ?? 'unknown';
      previousImage = row.previous_image;
    }
    if (!image || !ref) return null;
    const meta = hypothetical
      ? await this.imageMeta(q, [image, ...(previousImage ? [previousImage] : [])])
      : new Map<string, ImageMeta>([
          ...(row.meta ? [[image, row.meta] as const] : []),
          ...(previousImage ? [[previousImage, { name: previousImage, created: null, ref: row.previous_ref, labels: null, annotations: null }] as const] : []),
        ]);
    const m = meta.get(image);
    const causation = await this.causationOf(q, m);
    return {
      image,
      pullSpec: pullSpecOf(image, ref),
      changeId,
      cause,
      firstSeenChangeId: hypothetical ? null : row.first_id,
      created: m?.created ?? null,
      previousImage,
      previousPullSpec: previousImage ? (meta.get(previousImage)?.ref ?? null) : null,
      causation,
    };
  }

  private async imageMeta(q: Queryable, names: string[]): Promise<Map<string, ImageMeta>> {
    const rows = await q.query<ImageMeta>(
      `SELECT name, body->'dockerImageMetadata'->>'Created' AS created, body->>'dockerImageReference' AS ref,
              body->'dockerImageMetadata'->'Config'->'Labels' AS labels, body->'metadata'->'annotations' AS annotations
         FROM images WHERE name = ANY($1::text[])`,
      [names],
    );
    return new Map(rows.map((r) => [r.name, r]));
  }

  /**
   * Chains: an image built because of a delivery names it (causation label echoed by the build)
   * or names its base image (OCI base.digest annotation/label); the new event extends that
   * delivery's chain.
   */
  private async causationOf(q: Queryable, meta: { labels: Record<string, string> | null; annotations: Record<string, string> | null } | undefined): Promise<CausationLink[]> {
    if (!meta) return [];
    const causedBy = meta.labels?.[CAUSATION_LABEL] ?? meta.annotations?.[CAUSATION_LABEL];
    const base = meta.labels?.[OCI_BASE_DIGEST] ?? meta.annotations?.[OCI_BASE_DIGEST];
    if (!causedBy && !base) return [];
    const [row] = await q.query<{ id: string; namespace: string; owner_kind: string; owner_name: string; image: string; chain: CausationLink[] | null }>(
      causedBy
        ? `SELECT id, namespace, owner_kind, owner_name, image, event->'data'->'causation' AS chain FROM trigger_deliveries WHERE id = $1`
        : `SELECT id, namespace, owner_kind, owner_name, image, event->'data'->'causation' AS chain FROM trigger_deliveries
            WHERE image = $1 AND owner_kind = 'Trigger' ORDER BY seq DESC LIMIT 1`,
      [causedBy ?? base],
    );
    if (!row) return [];
    const link: CausationLink = { deliveryId: row.id, trigger: row.owner_name, namespace: row.namespace, image: row.image };
    if (row.owner_kind !== 'Trigger') link.kind = row.owner_kind;
    return [...(row.chain ?? []), link];
  }

  /** Pure part shared by preview and the real evaluation. */
  evaluateOne(trigger: Trigger, key: TagKey, tag: ResolvedTag | null, lastImageFirstSeen: string | null, lastImageCreated: string | null, time: string): EvaluatedTrigger {
    const status = trigger.status ?? {};
    const decision = decideFire(tag, {
      paused: trigger.spec.paused === true,
      lastImage: status.lastTriggeredImageID ?? null,
      lastImageFirstSeenChangeId: lastImageFirstSeen,
      lastImageCreated,
    });
    if (!decision.fire || !tag) return { trigger, decision };
    const m = trigger.metadata;
    const stop = this.chainStop(tag.causation, 'Trigger', m.namespace!, m.name!);
    if (stop) return { trigger, decision: { fire: false, reason: 'ChainStopped', rollback: false, message: stop } };
    const idemKey = idempotencyKey(m.uid!, tag.image, decision.rollback ? tag.changeId ?? 'preview' : null);
    const id = deliveryIdOf(idemKey);
    const event = buildEvent(id, this.options.eventSource, time, {
      namespace: key.namespace,
      stream: key.stream,
      tag: key.tag,
      old: { digest: tag.previousImage, pullSpec: tag.previousPullSpec },
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
   * Chains: a dependent that already fired earlier in this chain would fire itself again (a
   * loop), and a chain may not grow past the depth budget. Returns why it stops, or null.
   */
  chainStop(chain: CausationLink[], kind: string, namespace: string, name: string): string | null {
    if (chain.some((l) => (l.kind ?? 'Trigger') === kind && l.namespace === namespace && l.trigger === name)) {
      return `causation loop: ${kind === 'Trigger' ? '' : `${kind} `}${namespace}/${name} already fired in this chain`;
    }
    if (chain.length >= this.options.chainDepthBudget) {
      return `causation chain depth ${chain.length} reached the budget ${this.options.chainDepthBudget}`;
    }
    return null;
  }

  /** The JSON patch for a Deployment-kind target registered through the API (null otherwise). */
  async targetPatch(q: Queryable, trigger: Trigger, pullSpec: string): Promise<JsonPatchOp[] | null> {
    const target = trigger.spec.target;
    if (target.kind !== 'Deployment') return null;
    const w = workloadKinds[0];
    const [row] = await q.query<{ body: Workload }>(`SELECT body FROM ${w.table} WHERE namespace = $1 AND name = $2`, [trigger.metadata.namespace, target.name]);
    if (!row) return null;
    const paths = target.fieldPath
      ? [target.fieldPath]
      : (target.containerNames ?? []).map((n) => `${w.podSpecPath}.containers[?(@.name=="${n}")].image`);
    const ops = paths.flatMap((p) => imagePatch(row.body, w.podSpecPath, p, pullSpec) ?? []);
    return ops.length ? ops : null;
  }

  /** Per-trigger data the rules need about its last image: first sight on the tag and creation time. */
  async lastImageFacts(q: Queryable, key: TagKey, images: string[]) {
    const first = new Map<string, string>();
    const created = new Map<string, string>();
    if (!images.length) return { first, created };
    // One round trip: it runs inside the evaluation transaction, which holds the triggers' row locks.
    const rows = await q.query<{ k: 'first' | 'created'; name: string; v: string | null }>(
      `SELECT 'first' AS k, image AS name, min(id)::text AS v FROM tag_changes
        WHERE namespace = $1 AND stream = $2 AND tag = $3 AND image = ANY($4::text[]) GROUP BY image
       UNION ALL
       SELECT 'created', name, body->'dockerImageMetadata'->>'Created' FROM images WHERE name = ANY($4::text[])`,
      [key.namespace, key.stream, key.tag, images],
      'trg-last-image-facts',
    );
    for (const r of rows) if (r.v !== null) (r.k === 'first' ? first : created).set(r.name, r.v);
    return { first, created };
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

  /** Preview: what a push of `image` to the tag would do. Reads only. */
  async preview(
    key: TagKey,
    image: string,
    pullSpec?: string,
  ): Promise<{ tag: ResolvedTag | null; results: EvaluatedTrigger[]; workloads: WorkloadPreview[] }> {
    const tag = await this.resolveTag(this.db, key, { image, pullSpec });
    const results: EvaluatedTrigger[] = [];
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await this.triggersFollowing(this.db, key, after, 500, false);
      if (!rows.length) break;
      after = rows[rows.length - 1]!.uid;
      const facts = await this.lastImageFacts(this.db, key, rows.map((r) => r.body.status?.lastTriggeredImageID ?? '').filter(Boolean));
      for (const r of rows) {
        const last = r.body.status?.lastTriggeredImageID ?? '';
        const ev = this.evaluateOne(r.body, key, tag, facts.first.get(last) ?? null, facts.created.get(last) ?? null, '');
        if (ev.event && tag) ev.event.data.patch = await this.targetPatch(this.db, r.body, tag.pullSpec);
        results.push(ev);
      }
    }
    return { tag, results, workloads: tag ? await this.previewWorkloads(key, tag) : [] };
  }

  private async triggersFollowing(q: Queryable, key: TagKey, afterUid: string, limit: number, lock: boolean): Promise<TriggerRow[]> {
    const rows = await q.query<TriggerRow>(
      `SELECT t.namespace, t.name, t.uid::text AS uid, t.body, t.resource_version::text AS rv
         FROM trigger_subscriptions s JOIN triggers t ON t.uid = s.owner_uid
        WHERE s.from_namespace = $1 AND s.stream = $2 AND s.tag = $3 AND s.kind = 'Trigger' AND s.owner_uid > $4::uuid
        ORDER BY s.owner_uid LIMIT $5 ${lock ? 'FOR UPDATE OF t' : ''}`,
      [key.namespace, key.stream, key.tag, afterUid, limit],
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
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await this.db.transaction(async (tx) => {
        const rows = await this.triggersFollowing(tx, key, after, chunk, true);
        if (!rows.length) return null;
        const tag = await this.resolveTag(tx, key);
        const facts = await this.lastImageFacts(tx, key, rows.map((r) => r.body.status?.lastTriggeredImageID ?? '').filter(Boolean));
        const time = nowTimestamp();
        const results = rows.map((r) => {
          const last = r.body.status?.lastTriggeredImageID ?? '';
          return this.evaluateOne(r.body, key, tag, facts.first.get(last) ?? null, facts.created.get(last) ?? null, new Date().toISOString());
        });
        const fired = results.filter((r) => r.event);
        for (const f of fired) f.event!.data.patch = await this.targetPatch(tx, f.trigger, tag!.pullSpec);
        const inserted = fired.length
          ? await tx.query<{ id: string }>(
              `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, tag_change_id, image, url, target_key, event, next_attempt_at)
               SELECT r.id, r.key, r.namespace, 'Trigger', r.name, r.uid::uuid, r.change::bigint, r.image, r.url, r.target, r.event,
                      now() + make_interval(secs => ${Number(this.options.deliveryLeaseMs ?? 0) / 1000})
                 FROM jsonb_to_recordset($1::jsonb) AS r(id text, key text, namespace text, name text, uid text, change text, image text, url text, target text, event jsonb)
               ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
              [
                JSON.stringify(
                  fired.map((f) => {
                    const u = new URL(f.trigger.spec.delivery.url);
                    return {
                      id: f.event!.id,
                      key: f.key,
                      namespace: f.trigger.metadata.namespace,
                      name: f.trigger.metadata.name,
                      uid: f.trigger.metadata.uid,
                      change: tag!.changeId,
                      image: tag!.image,
                      url: f.trigger.spec.delivery.url,
                      target: `${u.protocol}//${u.host}`,
                      event: f.event,
                    };
                  }),
                ),
              ],
            )
          : [];
        const newIds = new Set(inserted.map((r) => r.id));
        const statusUpdates: { uid: string; status: Trigger['status'] }[] = [];
        for (const r of results) {
          const prev = r.trigger.status ?? {};
          const gen = r.trigger.metadata.generation ?? 1;
          if (r.event && newIds.has(r.event.id)) {
            statusUpdates.push({
              uid: r.trigger.metadata.uid!,
              status: {
                ...prev,
                lastTriggeredImageID: tag!.image,
                lastTriggeredImage: tag!.pullSpec,
                lastTriggeredTime: time,
                ...(tag!.changeId ? { lastTriggeredChangeID: tag!.changeId } : {}),
                observedGeneration: gen,
                conditions: firedConditions(prev.conditions, r.decision.reason, tag!.image, time),
              },
            });
          } else if (r.decision.reason === 'OlderImageIgnored' || r.decision.reason === 'ChainStopped') {
            const message = 'message' in r.decision ? r.decision.message : `not moving to ${tag?.image ?? ''}: older than ${prev.lastTriggeredImageID ?? ''} and not an explicit rollback`;
            const conditions = setCondition(prev.conditions, { type: r.decision.reason, status: 'True', reason: r.decision.reason, message }, time);
            if (JSON.stringify(conditions) !== JSON.stringify(prev.conditions)) {
              statusUpdates.push({ uid: r.trigger.metadata.uid!, status: { ...prev, observedGeneration: gen, conditions } });
            }
          }
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

  /** Workload stores by kind, for annotation triggers (set by the module that creates both). */
  private workloadStores = new Map<string, GenericStore<Workload>>();

  useWorkloadStores(stores: Map<string, GenericStore<Workload>>): void {
    this.workloadStores = stores;
  }

  /**
   * Annotated workloads following the tag (image.openshift.io/triggers), as OpenShift's trigger
   * controller does it: for each unpaused entry whose tag has an image, set the container image
   * at its fieldPath to the tag's pull spec on the stored workload itself. Level-driven and
   * idempotent: under the workload's row lock the tag is read again and the container compared
   * with it, so a repeated or stale evaluation finds nothing to do; the same firing rules as
   * Triggers apply (no image → nothing, an older image pushed again is ignored, chains stop).
   * The write goes through the workload store (new resourceVersion, generation, watch event) and,
   * in the same transaction, a Delivery record in state `applied` carries the event and patch.
   * Returns how many workloads changed.
   */
  async evaluateWorkloads(key: TagKey): Promise<number> {
    const subs = await this.db.query<{ kind: string; namespace: string; name: string }>(
      `SELECT kind, namespace, name FROM trigger_subscriptions
        WHERE from_namespace = $1 AND stream = $2 AND tag = $3 AND kind <> 'Trigger' ORDER BY namespace, name`,
      [key.namespace, key.stream, key.tag],
    );
    let changed = 0;
    // One workload that cannot be written does not hold up the others; the job fails afterwards
    // and its retry finds the rest already done (level-driven).
    let failure: Error | null = null;
    for (const sub of subs) {
      const store = this.workloadStores.get(sub.kind);
      const kind = workloadKinds.find((w) => w.kind === sub.kind);
      if (!store || !kind) continue;
      try {
        const did = await store.mutate(
          sub.namespace,
          sub.name,
          async (current, tx) => ({ next: await this.applyAnnotationTriggers(tx, key, kind, current) }),
          async (_tx, _stored, _previous, written) => written,
          { dryRun: false },
        );
        if (did) changed++;
      } catch (e) {
        // Deleted since the subscription was read: nothing to fire.
        if ((e as { reason?: string }).reason !== 'NotFound') failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
    if (failure) throw failure;
    return changed;
  }

  private async applyAnnotationTriggers(tx: Queryable, key: TagKey, kind: WorkloadKind, workload: Workload): Promise<Workload> {
    if (workload.metadata.annotations?.[TRIGGERS_ANNOTATION] === undefined) return workload;
    const tag = await this.resolveTag(tx, key);
    if (!tag) return workload;
    const { next, entries } = await this.planAnnotationTriggers(tx, key, kind, workload, tag, nowTimestamp());
    const m = workload.metadata;
    const records = entries.flatMap((e) =>
      e.event ? [{ id: e.event.id, key: e.idempotencyKey, namespace: m.namespace, kind: kind.kind, name: m.name, uid: m.uid, change: tag.changeId, image: tag.image, event: e.event }] : [],
    );
    if (records.length) {
      await tx.query(
        `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, tag_change_id, image, url, target_key, event, state, delivered_at)
         SELECT r.id, r.key, r.namespace, r.kind, r.name, r.uid::uuid, r.change::bigint, r.image, '', '', r.event, 'applied', now()
           FROM jsonb_to_recordset($1::jsonb) AS r(id text, key text, namespace text, kind text, name text, uid text, change text, image text, event jsonb)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [JSON.stringify(records)],
      );
    }
    return next;
  }

  /**
   * What the workload's annotation entries following `key` do when the tag is at `tag`: the
   * workload with every firing entry's image set, and per entry whether it fires (with the event
   * and JSON patch) or why not. Reads only; shared by the real evaluation and preview.
   */
  private async planAnnotationTriggers(
    q: Queryable,
    key: TagKey,
    kind: WorkloadKind,
    workload: Workload,
    tag: ResolvedTag,
    time: string,
  ): Promise<{ next: Workload; entries: PlannedWorkloadEntry[] }> {
    const m = workload.metadata;
    const value = m.annotations?.[TRIGGERS_ANNOTATION];
    if (value === undefined) return { next: workload, entries: [] };
    const following = parseTriggersAnnotation(value, kind.podSpecPath).triggers.filter((t) => {
      const st = parseStreamTag(t.from.name);
      return !t.from.apiVersion && st?.stream === key.stream && st.tag === key.tag && (t.from.namespace || m.namespace) === key.namespace;
    });
    let next = workload;
    const entries: PlannedWorkloadEntry[] = [];
    for (const entry of following) {
      const skip = (reason: string) => entries.push({ fieldPath: entry.fieldPath, fire: false, reason });
      if (entry.paused) {
        skip('Paused');
        continue;
      }
      const currentImage = imageAt(next, kind.podSpecPath, entry.fieldPath);
      if (currentImage === undefined) {
        skip('NoContainerAtFieldPath');
        continue;
      }
      if (currentImage === tag.pullSpec) {
        skip('UpToDate');
        continue;
      }
      // The container's digest is what this dependent last got: the rules against moving back apply to it.
      const last = /@(sha256:[0-9a-f]{64})$/.exec(currentImage ?? '')?.[1] ?? null;
      const facts = await this.lastImageFacts(q, key, last ? [last] : []);
      const decision = decideFire(tag, {
        paused: false,
        lastImage: last,
        lastImageFirstSeenChangeId: last ? (facts.first.get(last) ?? null) : null,
        lastImageCreated: last ? (facts.created.get(last) ?? null) : null,
      });
      // Same digest under another pull spec (a referencePolicy change) is still brought in line.
      if (!decision.fire && decision.reason !== 'UpToDate') {
        skip(decision.reason);
        continue;
      }
      if (this.chainStop(tag.causation, kind.kind, m.namespace!, m.name!)) {
        skip('ChainStopped');
        continue;
      }
      const ops = imagePatch(next, kind.podSpecPath, entry.fieldPath, tag.pullSpec);
      if (!ops) {
        skip('UpToDate');
        continue;
      }
      next = applyPatchDocument('json', next, ops, {}) as Workload;
      const reason = decision.fire ? decision.reason : 'PullSpecChanged';
      const idemKey = `${idempotencyKey(m.uid!, tag.image, decision.rollback ? tag.changeId : null)}/${entry.fieldPath}`;
      const event = buildEvent(
        deliveryIdOf(idemKey),
        this.options.eventSource,
        time,
        {
          namespace: key.namespace,
          stream: key.stream,
          tag: key.tag,
          old: { digest: tag.previousImage, pullSpec: tag.previousPullSpec },
          new: { digest: tag.image, pullSpec: tag.pullSpec },
          trigger: { apiVersion: `${kind.group}/v1`, kind: kind.kind, namespace: m.namespace!, name: m.name!, uid: m.uid!, generation: m.generation ?? 1 },
          target: { kind: kind.kind, name: m.name!, fieldPath: entry.fieldPath },
          patch: ops,
          reason,
          tagChangeId: tag.changeId,
          causation: tag.causation,
        },
        `apis/${kind.group}/v1/namespaces/${m.namespace}/${kind.resource}/${m.name}`,
      );
      entries.push({ fieldPath: entry.fieldPath, fire: true, reason, idempotencyKey: idemKey, event });
    }
    return { next, entries };
  }

  /** Preview for annotated workloads: what a push of `image` would set on each, read-only. */
  async previewWorkloads(key: TagKey, tag: ResolvedTag): Promise<WorkloadPreview[]> {
    const subs = await this.db.query<{ kind: string; namespace: string; name: string }>(
      `SELECT kind, namespace, name FROM trigger_subscriptions
        WHERE from_namespace = $1 AND stream = $2 AND tag = $3 AND kind <> 'Trigger' ORDER BY kind, namespace, name`,
      [key.namespace, key.stream, key.tag],
    );
    const previews: WorkloadPreview[] = [];
    for (const sub of subs) {
      const store = this.workloadStores.get(sub.kind);
      const kind = workloadKinds.find((w) => w.kind === sub.kind);
      if (!store || !kind) continue;
      const workload = await store.get(sub.namespace, sub.name).catch((e: { reason?: string }) => {
        if (e.reason === 'NotFound') return null;
        throw e;
      });
      if (!workload) continue;
      const { entries } = await this.planAnnotationTriggers(this.db, key, kind, workload, tag, '');
      for (const entry of entries) previews.push({ kind: kind.kind, namespace: sub.namespace, name: sub.name, ...entry });
    }
    return previews;
  }
}

/** One annotation entry of a workload: fires (with its event) or not, and why. */
export interface PlannedWorkloadEntry {
  fieldPath: string;
  fire: boolean;
  reason: string;
  idempotencyKey?: string;
  event?: CloudEvent;
}

export interface WorkloadPreview extends PlannedWorkloadEntry {
  kind: string;
  namespace: string;
  name: string;
}

/** After a fire: Triggered=True, and a standing ChainStopped/OlderImageIgnored no longer holds. */
function firedConditions(conditions: TriggerCondition[] | undefined, reason: string, image: string, time: string): TriggerCondition[] {
  let list = setCondition(conditions, { type: 'Triggered', status: 'True', reason, message: `fired for ${image}` }, time);
  for (const type of ['ChainStopped', 'OlderImageIgnored']) {
    if (list.some((c) => c.type === type && c.status === 'True')) {
      list = setCondition(list, { type, status: 'False', reason: 'Fired', message: `fired for ${image}` }, time);
    }
  }
  return list;
}

/** Upserts one condition; lastTransitionTime moves only when the status flips. */
export function setCondition(conditions: TriggerCondition[] | undefined, next: TriggerCondition, time: string): TriggerCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const merged = { ...next, lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime ?? time : time };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/**
 * Writes trigger statuses (set-based): each row takes a new resourceVersion and a change-log
 * entry carrying the object as written (as every change does), so watchers of triggers see
 * lastTriggeredImageID move. Run last in the transaction.
 */
export async function writeTriggerStatuses(tx: Queryable, updates: { uid: string; status: Trigger['status'] }[]): Promise<void> {
  if (!updates.length) return;
  const rvs = await allocateResourceVersions(tx, updates.length);
  const rows = updates.map((u, i) => ({ uid: u.uid, status: u.status, rv: String(rvs[i]) }));
  await tx.query(
    `WITH v AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(uid uuid, status jsonb, rv bigint)),
          upd AS (UPDATE triggers t SET resource_version = v.rv, body = jsonb_set(t.body, '{status}', v.status)
                    FROM v WHERE t.uid = v.uid RETURNING t.namespace, t.name, t.labels, t.resource_version, t.body),
          ch AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object)
                 SELECT resource_version, 'triggers', namespace, name, 'MODIFIED', labels, labels,
                        jsonb_set(body, '{metadata,resourceVersion}', to_jsonb(resource_version::text)) FROM upd RETURNING rv)
     SELECT pg_notify(${sqlLiteral(CHANGE_CHANNEL)}, (SELECT max(rv) FROM ch)::text)`,
    [JSON.stringify(rows)],
  );
}
