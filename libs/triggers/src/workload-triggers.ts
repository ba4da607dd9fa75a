import { versionDeliveries } from './delivery-versions';
import { applyPatchDocument, jsonEqual, nowTimestamp } from '@app/api-machinery';
import type { Database, GenericStore, Queryable } from '@app/persistence';
import { imageAt, imagePatch, type JsonPatchOp, parseAnnotationFieldPath, parseTriggersAnnotation } from './annotation';
import { buildEvent, type CloudEvent, deliveryIdOf, JSON_PATCH, type WorkloadEntryChange } from './cloudevent';
import { chainStopReason, decideFire, idempotencyKey } from './firing';
import { type WorkloadKind, workloadKinds } from './resource-infos';
import { factsOf, type ResolvedTag, type TagKey, type TagStateReader, tagKeyString } from './tag-state';
import { parseStreamTag, TRIGGERS_ANNOTATION, type Workload } from './trigger.types';

/** One annotation entry of a workload: fires or not, and why. */
export interface PlannedWorkloadEntry {
  fieldPath: string;
  from: TagKey;
  fire: boolean;
  reason: string;
  /** This entry's part of the update's JSON patch. */
  patch?: JsonPatchOp[];
}

export interface WorkloadPreview extends PlannedWorkloadEntry {
  kind: string;
  namespace: string;
  name: string;
  /** The workload's one update for this push (shared by all of its entries that fire). */
  idempotencyKey?: string;
  event?: CloudEvent;
}

/** What reconciling a workload does: the workload with every firing entry applied, and the one event recording that update. */
interface WorkloadPlan {
  next: Workload;
  entries: PlannedWorkloadEntry[];
  idempotencyKey?: string;
  event?: CloudEvent;
}

interface FiringEntry extends PlannedWorkloadEntry {
  tag: ResolvedTag;
  key: string;
  patch: JsonPatchOp[];
  /** What the container ran before this fire (its digest when the image names one). */
  previous: { digest: string | null; pullSpec: string | null };
}

type TagStates = (key: TagKey) => Promise<ResolvedTag | null>;

/**
 * The field manager of the images this controller sets: the container image becomes its field,
 * so an apply of a manifest with another image conflicts instead of flapping. On OpenShift the
 * trigger controller's writes are recorded under `openshift-controller-manager`: kube-apiserver
 * names an Update's manager after the user agent's first segment, and client-go's agent starts
 * with the binary's name (the service account comes last).
 */
export const TRIGGER_CONTROLLER_MANAGER = 'openshift-controller-manager';

/** Resolves each tag once per reconcile: entries following the same tag see the same state. */
function memoized(resolve: TagStates): TagStates {
  const seen = new Map<string, Promise<ResolvedTag | null>>();
  return (key) => {
    const k = tagKeyString(key);
    let p = seen.get(k);
    if (!p) seen.set(k, (p = resolve(key)));
    return p;
  };
}

/**
 * Annotated workloads (image.openshift.io/triggers), as OpenShift's trigger controller does it:
 * a workload is reconciled as a whole. Every unpaused entry whose tag has an image sets the
 * container image at its fieldPath to the tag's pull spec, and all of them go into one update of
 * the stored workload (one new generation, one watch event) recorded by one Delivery in state
 * `applied`. Level-driven and idempotent: under the workload's row lock every followed tag is
 * read again and compared with the containers, so a repeated or stale evaluation (or the job of
 * an alias that moved in the same push) finds nothing to do; the same firing rules as Triggers
 * apply (no image → nothing, an older image pushed again is ignored, chains stop). An applicable
 * entry whose fieldPath names no container holds back the whole update, as upstream's error does.
 */
export class WorkloadTriggers {
  private stores = new Map<string, GenericStore<Workload>>();

  constructor(
    private readonly db: Database,
    private readonly tags: TagStateReader,
    private readonly options: { eventSource: string; chainDepthBudget: number },
  ) {}

  useStores(stores: Map<string, GenericStore<Workload>>): void {
    this.stores = stores;
  }

  /** Reconciles every workload following `key`; returns how many changed. */
  async evaluate(key: TagKey): Promise<number> {
    const subs = await this.following(this.db, [key]);
    let changed = 0;
    // One workload that cannot be written does not hold up the others; the job fails afterwards
    // and its retry finds the rest already done (level-driven).
    let failure: Error | null = null;
    for (const sub of subs) {
      const store = this.stores.get(sub.kind);
      const kind = workloadKinds.find((w) => w.kind === sub.kind);
      if (!store || !kind) continue;
      try {
        const did = await store.mutate(
          sub.namespace,
          sub.name,
          async (current, tx) => ({ next: await this.reconcile(tx, kind, current) }),
          async (_tx, _stored, _previous, written) => written,
          { dryRun: false },
          TRIGGER_CONTROLLER_MANAGER,
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

  /**
   * Preview: what a push that moves `moved` (a tag and its aliases, in their would-be states)
   * does to each workload following one of them. Lists the entries following a moved tag; the
   * event is the workload's whole update, as the real push records it. Reads only.
   */
  async preview(moved: { key: TagKey; tag: ResolvedTag }[]): Promise<WorkloadPreview[]> {
    const byKey = new Map(moved.map((m) => [tagKeyString(m.key), m.tag]));
    const previews: WorkloadPreview[] = [];
    for (const sub of await this.following(this.db, moved.map((m) => m.key))) {
      const store = this.stores.get(sub.kind);
      const kind = workloadKinds.find((w) => w.kind === sub.kind);
      if (!store || !kind) continue;
      const workload = await store.get(sub.namespace, sub.name).catch((e: { reason?: string }) => {
        if (e.reason === 'NotFound') return null;
        throw e;
      });
      if (!workload) continue;
      const current = memoized((k) => this.tags.resolve(this.db, k));
      const plan = await this.plan(this.db, kind, workload, (k) => Promise.resolve(byKey.get(tagKeyString(k)) ?? current(k)), '');
      for (const entry of plan.entries) {
        if (!byKey.has(tagKeyString(entry.from))) continue;
        previews.push({
          kind: kind.kind,
          namespace: sub.namespace,
          name: sub.name,
          ...entry,
          ...(entry.fire && plan.event ? { idempotencyKey: plan.idempotencyKey, event: plan.event } : {}),
        });
      }
    }
    return previews;
  }

  /** Workloads (not Triggers) following any of the tags, each once. */
  private async following(q: Queryable, keys: TagKey[]): Promise<{ kind: string; namespace: string; name: string }[]> {
    return q.query(
      `SELECT DISTINCT s.kind, s.namespace, s.name
         FROM jsonb_to_recordset($1::jsonb) AS k(namespace text, stream text, tag text)
         JOIN trigger_subscriptions s ON s.from_namespace = k.namespace AND s.stream = k.stream AND s.tag = k.tag
        WHERE s.kind <> 'Trigger' ORDER BY s.kind, s.namespace, s.name`,
      [JSON.stringify(keys)],
      // Run after every evaluation (most often finding no workload): planned once per connection.
      'trg-workloads-following',
    );
  }

  /** Under the workload's row lock: the reconciled workload, with its update recorded in the same transaction. */
  private async reconcile(tx: Queryable, kind: WorkloadKind, workload: Workload): Promise<Workload> {
    const value = workload.metadata.annotations?.[TRIGGERS_ANNOTATION];
    if (value === undefined) return workload;
    await this.settleFollowedStreams(tx, kind, workload, value);
    const plan = await this.plan(tx, kind, workload, memoized((k) => this.tags.resolve(tx, k)), nowTimestamp());
    const event = plan.event;
    if (!event) return workload;
    const m = workload.metadata;
    const recorded = await tx.query<{ id: string }>(
      `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, tag_change_id, image, url, target_key, event, state, delivered_at)
       VALUES ($1, $2, $3, $4, $5, $6::uuid, $7::bigint, $8, '', '', $9, 'applied', now())
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, plan.idempotencyKey, m.namespace, kind.kind, m.name, m.uid, event.data.tagChangeId, event.data.new.digest, JSON.stringify(event)],
    );
    await versionDeliveries(tx, recorded.map((r) => ({ id: r.id, namespace: m.namespace!, owner: m.name!, state: 'applied', prevState: null })));
    return plan.next;
  }

  /**
   * Waits for any tag move in flight on the streams the workload follows, and holds further ones
   * back until this reconcile commits. The entries' tags are read one statement at a time (READ
   * COMMITTED: one snapshot each), so without this a push that moves a tag and its alias in one
   * transaction could commit between the two reads: the reconcile sets only the container of the
   * tag read after the commit, and the alias's own job then updates the workload a second time.
   * Every transaction that moves a tag writes its stream's row (the general path locks it first,
   * the one-statement mapping updates its resourceVersion), so a share lock on each followed
   * stream row, taken in one order, makes all the reads see the same set of committed moves.
   * Tag moves do not lock workloads, so the workload-then-streams order here cannot deadlock.
   */
  private async settleFollowedStreams(tx: Queryable, kind: WorkloadKind, workload: Workload, annotation: string): Promise<void> {
    const streams = new Map<string, { namespace: string; name: string }>();
    for (const entry of parseTriggersAnnotation(annotation, kind.podSpecPath).triggers) {
      const st = parseStreamTag(entry.from.name);
      if (entry.from.apiVersion || !st || entry.paused) continue;
      const namespace = entry.from.namespace || workload.metadata.namespace!;
      streams.set(`${namespace}/${st.stream}`, { namespace, name: st.stream });
    }
    if (!streams.size) return;
    await tx.query(
      `SELECT 1 FROM image_streams s JOIN jsonb_to_recordset($1::jsonb) AS k(namespace text, name text) ON s.namespace = k.namespace AND s.name = k.name
        ORDER BY s.namespace, s.name FOR SHARE OF s`,
      [JSON.stringify([...streams.values()])],
    );
  }

  /**
   * Every annotation entry of the workload against its tag's state: the workload with every
   * firing entry's image set, per entry whether it fires or why not, and the one event (with the
   * combined JSON patch) recording the update. Reads only; shared by reconcile and preview.
   */
  private async plan(q: Queryable, kind: WorkloadKind, workload: Workload, stateOf: TagStates, time: string): Promise<WorkloadPlan> {
    const m = workload.metadata;
    const value = m.annotations?.[TRIGGERS_ANNOTATION];
    if (value === undefined) return { next: workload, entries: [] };
    let next = workload;
    const entries: (PlannedWorkloadEntry | FiringEntry)[] = [];
    // An applicable entry (unpaused, its tag has an image) whose fieldPath names no container
    // fails the whole reconcile upstream (UpdateObjectFromImages returns an error): nothing is applied.
    let failed = false;
    for (const entry of parseTriggersAnnotation(value, kind.podSpecPath).triggers) {
      const st = parseStreamTag(entry.from.name);
      if (entry.from.apiVersion || !st) continue;
      const from = { namespace: entry.from.namespace || m.namespace!, stream: st.stream, tag: st.tag };
      const skip = (reason: string) => entries.push({ fieldPath: entry.fieldPath, from, fire: false, reason });
      if (entry.paused) {
        skip('Paused');
        continue;
      }
      // A reference tag (an entry with a pull spec but no image) resolves to that pull spec, as upstream's controller does.
      const tag = (await stateOf(from)) ?? (await this.tags.imagelessReference(q, from));
      if (!tag) {
        skip('TagHasNoImage');
        continue;
      }
      const currentImage = imageAt(next, kind.podSpecPath, entry.fieldPath);
      if (currentImage === undefined) {
        failed = true;
        skip(parseAnnotationFieldPath(entry.fieldPath, kind.podSpecPath) ? 'NoContainerAtFieldPath' : 'InvalidFieldPath');
        continue;
      }
      if (currentImage === tag.pullSpec) {
        skip('UpToDate');
        continue;
      }
      if (!tag.image) {
        // No digest to order by: the older-image rule has nothing to judge; the pull spec is brought in line.
        const ops = imagePatch(next, kind.podSpecPath, entry.fieldPath, tag.pullSpec);
        if (!ops) {
          skip('UpToDate');
          continue;
        }
        next = applyPatchDocument('json', next, ops, {}) as Workload;
        const key = `${idempotencyKey(m.uid!, tag.pullSpec)}/${entry.fieldPath}/gen-${m.generation ?? 1}`;
        entries.push({ fieldPath: entry.fieldPath, from, fire: true, reason: 'ImageChanged', patch: ops, tag, key, previous: { digest: null, pullSpec: currentImage ?? null } });
        continue;
      }
      // The container's digest is what this dependent last got: the rules against moving back apply to it.
      const last = /@(sha256:[0-9a-f]{64})$/.exec(currentImage ?? '')?.[1] ?? null;
      const facts = factsOf(await this.tags.lastImageFacts(q, from, last ? [last] : []), last);
      // The older-image rule guards what this tag handed out. An image the container got elsewhere
      // (created with it, a hand edit, an annotation that followed another tag) is replaced
      // whatever its creation time, as upstream replaces any image that differs.
      const fromThisTag = facts.firstSeenHistoryId !== null || facts.firstSeenChangeId !== null;
      const decision = decideFire(tag, {
        paused: false,
        lastImage: last,
        lastImageFirstSeenChangeId: facts.firstSeenChangeId,
        lastImageFirstSeenHistoryId: facts.firstSeenHistoryId,
        lastImageCreated: fromThisTag ? facts.created : null,
      });
      // Same digest under another pull spec (a referencePolicy change) is still brought in line.
      if (!decision.fire && decision.reason !== 'UpToDate') {
        skip(decision.reason);
        continue;
      }
      if (chainStopReason(tag.causation, this.options.chainDepthBudget, kind.kind, m.namespace!, m.name!)) {
        skip('ChainStopped');
        continue;
      }
      const ops = imagePatch(next, kind.podSpecPath, entry.fieldPath, tag.pullSpec);
      if (!ops) {
        skip('UpToDate');
        continue;
      }
      next = applyPatchDocument('json', next, ops, {}) as Workload;
      // The workload's generation is part of the key: every update of it is its own record (moving
      // back to an image after a rollback, setting back a hand edit), and preview knows it too.
      const key = `${idempotencyKey(m.uid!, tag.image, decision.rollback ? tag.changeId : null)}/${entry.fieldPath}/gen-${m.generation ?? 1}`;
      const previous = { digest: last, pullSpec: currentImage ?? null };
      entries.push({ fieldPath: entry.fieldPath, from, fire: true, reason: decision.fire ? decision.reason : 'PullSpecChanged', patch: ops, tag, key, previous });
    }
    if (failed) {
      const held = entries.map(({ fieldPath, from, fire, reason }) => ({ fieldPath, from, fire: false, reason: fire ? 'OtherEntryFailed' : reason }));
      return { next: workload, entries: held };
    }
    const firing = entries.filter((e): e is FiringEntry => e.fire);
    // Entries that set one container to the images of two tags (the last wins, as upstream applies
    // them in order) leave it as it was once it holds the last one: no update, nothing to record
    // (upstream's Update of an unchanged object changes nothing either).
    if (firing.length && jsonEqual(next, workload)) {
      return { next: workload, entries: entries.map(({ fieldPath, from, fire, reason }) => ({ fieldPath, from, fire: false, reason: fire ? 'UpToDate' : reason })) };
    }
    const plain = entries.map(({ fieldPath, from, fire, reason, patch }) => ({ fieldPath, from, fire, reason, ...(patch ? { patch } : {}) }));
    if (!firing.length) return { next, entries: plain };
    // One key per update: a single entry keeps the per-entry key (and delivery id) it always had.
    const updateKey = firing.map((e) => e.key).join(' + ');
    return { next, entries: plain, idempotencyKey: updateKey, event: this.updateEvent(kind, workload, firing, updateKey, time) };
  }

  /** The event of one workload update: the first firing entry's move, the combined patch, and every entry in `changes`. */
  private updateEvent(kind: WorkloadKind, workload: Workload, firing: FiringEntry[], key: string, time: string): CloudEvent {
    const m = workload.metadata;
    const change = (e: FiringEntry): WorkloadEntryChange => ({
      fieldPath: e.fieldPath,
      ...e.from,
      // What the container ran: a paused entry or a hand edit may have left it off the tag's previous image.
      old: e.previous.digest || e.previous.pullSpec?.trim() ? e.previous : { digest: e.tag.previousImage, pullSpec: e.tag.previousPullSpec },
      new: { digest: e.tag.image, pullSpec: e.tag.pullSpec },
      reason: e.reason,
    });
    const first = firing[0]!;
    const { fieldPath: _f, reason, ...move } = change(first);
    return buildEvent(
      deliveryIdOf(key),
      this.options.eventSource,
      time,
      {
        ...move,
        trigger: { apiVersion: `${kind.group}/v1`, kind: kind.kind, namespace: m.namespace!, name: m.name!, uid: m.uid!, generation: m.generation ?? 1 },
        target: { kind: kind.kind, name: m.name!, ...(firing.length === 1 ? { fieldPath: first.fieldPath } : {}) },
        patch: firing.flatMap((e) => e.patch),
        patchType: JSON_PATCH,
        reason,
        tagChangeId: first.tag.changeId,
        causation: first.tag.causation,
        changes: firing.map(change),
      },
      `apis/${kind.group}/v1/namespaces/${m.namespace}/${kind.resource}/${m.name}`,
    );
  }
}
