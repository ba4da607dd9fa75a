import { nowTimestamp } from '@app/api-machinery';
import { allocateResourceVersions, CHANGE_CHANNEL, type Database, type Queryable, sqlLiteral } from '@app/persistence';
import type { JsonPatchOp } from './annotation';
import { imagePatch } from './annotation';
import { buildEvent, type CausationLink, type CloudEvent, deliveryIdOf } from './cloudevent';
import { decideFire, type FireDecision, idempotencyKey, type TagState } from './firing';
import { workloadKinds } from './resource-infos';
import {
  CAUSATION_LABEL,
  OCI_BASE_DIGEST,
  parseStreamTag,
  type Trigger,
  type TriggerCondition,
  TRIGGER_API_VERSION,
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

  /** Current state of a tag; `hypothetical` replaces the newest event (preview). */
  async resolveTag(q: Queryable, key: TagKey, hypothetical?: { image: string; pullSpec?: string }): Promise<ResolvedTag | null> {
    const [row] = await q.query<{ uid: string; spec_tags: { name: string; referencePolicy?: { type?: string } }[] | null; image: string | null; ref: string | null }>(
      `SELECT s.uid::text AS uid, s.body->'spec'->'tags' AS spec_tags, e.image, e.docker_image_reference AS ref
         FROM image_streams s
         LEFT JOIN LATERAL (SELECT ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
                             WHERE ev.stream_uid = s.uid AND ev.tag = $3 ORDER BY ev.id DESC LIMIT 1) e ON true
        WHERE s.namespace = $1 AND s.name = $2`,
      [key.namespace, key.stream, key.tag],
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
    } else if (image) {
      const [change] = await q.query<{ id: string; cause: string; previous_image: string | null; image: string }>(
        `SELECT id::text AS id, cause, previous_image, image FROM tag_changes
          WHERE namespace = $1 AND stream = $2 AND tag = $3 ORDER BY id DESC LIMIT 1`,
        [key.namespace, key.stream, key.tag],
      );
      if (change && change.image === image) {
        changeId = change.id;
        cause = change.cause;
        previousImage = change.previous_image;
      }
    }
    if (!image || !ref) return null;
    const [first] = await q.query<{ id: string | null }>(
      `SELECT min(id)::text AS id FROM tag_changes WHERE namespace = $1 AND stream = $2 AND tag = $3 AND image = $4`,
      [key.namespace, key.stream, key.tag, image],
    );
    const meta = await this.imageMeta(q, [image, ...(previousImage ? [previousImage] : [])]);
    const m = meta.get(image);
    const causation = await this.causationOf(q, m);
    return {
      image,
      pullSpec: pullSpecOf(image, ref),
      changeId,
      cause,
      firstSeenChangeId: hypothetical ? null : (first?.id ?? null),
      created: m?.created ?? null,
      previousImage,
      previousPullSpec: previousImage ? (meta.get(previousImage)?.ref ?? null) : null,
      causation,
    };
  }

  private async imageMeta(q: Queryable, names: string[]) {
    const rows = await q.query<{ name: string; created: string | null; ref: string | null; labels: Record<string, string> | null; annotations: Record<string, string> | null }>(
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
    const [row] = await q.query<{ id: string; namespace: string; owner_name: string; image: string; chain: CausationLink[] | null }>(
      causedBy
        ? `SELECT id, namespace, owner_name, image, event->'data'->'causation' AS chain FROM trigger_deliveries WHERE id = $1`
        : `SELECT id, namespace, owner_name, image, event->'data'->'causation' AS chain FROM trigger_deliveries
            WHERE image = $1 AND owner_kind = 'Trigger' ORDER BY seq DESC LIMIT 1`,
      [causedBy ?? base],
    );
    if (!row) return [];
    return [...(row.chain ?? []), { deliveryId: row.id, trigger: row.owner_name, namespace: row.namespace, image: row.image }];
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
    const self = `${m.namespace}/${m.name}`;
    // A trigger that already fired earlier in this chain would fire itself again: a loop.
    if (tag.causation.some((l) => `${l.namespace}/${l.trigger}` === self)) {
      return { trigger, decision: { fire: false, reason: 'ChainStopped', rollback: false, message: `causation loop: ${self} already fired in this chain` } };
    }
    if (tag.causation.length >= this.options.chainDepthBudget) {
      return { trigger, decision: { fire: false, reason: 'ChainStopped', rollback: false, message: `causation chain depth ${tag.causation.length} reached the budget ${this.options.chainDepthBudget}` } };
    }
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
  private async lastImageFacts(q: Queryable, key: TagKey, images: string[]) {
    if (!images.length) return { first: new Map<string, string>(), created: new Map<string, string>() };
    const [first, created] = await Promise.all([
      q.query<{ image: string; id: string }>(
        `SELECT image, min(id)::text AS id FROM tag_changes WHERE namespace = $1 AND stream = $2 AND tag = $3 AND image = ANY($4::text[]) GROUP BY image`,
        [key.namespace, key.stream, key.tag, images],
      ),
      q.query<{ name: string; created: string | null }>(
        `SELECT name, body->'dockerImageMetadata'->>'Created' AS created FROM images WHERE name = ANY($1::text[])`,
        [images],
      ),
    ]);
    return {
      first: new Map(first.map((r) => [r.image, r.id])),
      created: new Map(created.filter((r) => r.created).map((r) => [r.name, r.created!])),
    };
  }

  /** Preview: what a push of `image` to the tag would do. Reads only. */
  async preview(key: TagKey, image: string, pullSpec?: string): Promise<{ tag: ResolvedTag | null; results: EvaluatedTrigger[] }> {
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
    return { tag, results };
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
   * Returns the ids of deliveries created (only new ones: a repeated evaluation returns none).
   */
  async evaluate(key: TagKey, chunk = 500): Promise<string[]> {
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
              `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, tag_change_id, image, url, target_key, event)
               SELECT r.id, r.key, r.namespace, 'Trigger', r.name, r.uid::uuid, r.change::bigint, r.image, r.url, r.target, r.event
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
                conditions: setCondition(prev.conditions, { type: 'Triggered', status: 'True', reason: r.decision.reason, message: `fired for ${tag!.image}` }, time),
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
      after = page.last;
      if (page.size < chunk) break;
    }
    return created;
  }
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
 * entry, so watchers of triggers see lastTriggeredImageID move. Run last in the transaction.
 */
export async function writeTriggerStatuses(tx: Queryable, updates: { uid: string; status: Trigger['status'] }[]): Promise<void> {
  if (!updates.length) return;
  const rvs = await allocateResourceVersions(tx, updates.length);
  const rows = updates.map((u, i) => ({ uid: u.uid, status: u.status, rv: String(rvs[i]) }));
  await tx.query(
    `WITH v AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(uid uuid, status jsonb, rv bigint)),
          upd AS (UPDATE triggers t SET resource_version = v.rv, body = jsonb_set(t.body, '{status}', v.status)
                    FROM v WHERE t.uid = v.uid RETURNING t.namespace, t.name, t.labels, t.resource_version),
          ch AS (INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels)
                 SELECT resource_version, 'triggers', namespace, name, 'MODIFIED', labels, labels FROM upd RETURNING rv)
     SELECT pg_notify(${sqlLiteral(CHANGE_CHANNEL)}, (SELECT max(rv) FROM ch)::text)`,
    [JSON.stringify(rows)],
  );
}
