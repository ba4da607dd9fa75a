import type { ApiObject } from '@app/api-machinery';
import { ApiError, validateDns1123SubdomainName } from '@app/api-machinery';
import { type Database, GenericStore, type Queryable, RedactingHandler, TableStorage } from '@app/persistence';
import type { ImageStream, NamespaceQuota } from '@app/image';
import { imageAt, parseTriggersAnnotation, triggersAnnotationWarnings } from './annotation';
import { defaultWorkloadSelector, workloadCompletenessWarnings } from './workload-completeness';
import { queueDeliveryCollection } from './delivery-collector';
import { triggerSecretsInfo, triggersInfo, triggerStatusInfo, type WorkloadKind, workloadInfo } from './resource-infos';
import { secretPatchProblems } from './secret-patch-guard';
import { TriggerSecretStrategy, TriggerStatusStrategy, TriggerStrategy } from './trigger.strategy';
import { parseStreamTag, type Trigger, type TriggerSecret, TRIGGERS_ANNOTATION, type Workload } from './trigger.types';
import type { FieldError, ResourceStrategy } from '@app/api-machinery';
import { jsonEqual, refOf } from '@app/api-machinery';
import { annotationSourceRefusals, validateWorkloadShape } from './workload-validation';
import type { LocalImageNames } from './image-lookup';
import type { AddressPolicy } from './ssrf';
import { isUnpause, resumeHeldDeliveries } from './paused-owner';

interface Subscription {
  from_namespace: string;
  stream: string;
  tag: string;
}

/** Replaces an owner's rows in the fan-out index (runs inside the owner's write transaction). */
export async function writeSubscriptions(q: Queryable, kind: string, obj: ApiObject, subs: Subscription[]): Promise<void> {
  const m = obj.metadata;
  await q.query(`DELETE FROM trigger_subscriptions WHERE owner_uid = $1`, [m.uid]);
  if (!subs.length) return;
  await q.query(
    `INSERT INTO trigger_subscriptions (owner_uid, kind, namespace, name, from_namespace, stream, tag)
     SELECT $1::uuid, $2, $3, $4, r.from_namespace, r.stream, r.tag
       FROM jsonb_to_recordset($5::jsonb) AS r(from_namespace text, stream text, tag text)
     ON CONFLICT DO NOTHING`,
    [m.uid, kind, m.namespace, m.name, JSON.stringify(subs)],
  );
}

/**
 * Triggers whose spec changed (or that are new) are evaluated at once, so first sight of an
 * existing image fires: an evaluation request is written in the same transaction (outbox) and
 * the relay hands it to the evaluation queue.
 */
async function requestEvaluation(q: Queryable, key: { namespace: string; stream: string; tag: string }): Promise<void> {
  await q.query(`INSERT INTO trigger_evaluation_requests (namespace, stream, tag) VALUES ($1, $2, $3)`, [key.namespace, key.stream, key.tag]);
}

/** Every tag of `stream` that some trigger or workload follows is evaluated again (in the writing transaction). */
export async function requestEvaluationOfFollowedTags(q: Queryable, stream: ImageStream): Promise<void> {
  await q.query(
    `INSERT INTO trigger_evaluation_requests (namespace, stream, tag)
     SELECT DISTINCT from_namespace, stream, tag FROM trigger_subscriptions WHERE from_namespace = $1 AND stream = $2`,
    [stream.metadata.namespace, stream.metadata.name],
  );
}

/** The ResourceQuota resource that limits how many Triggers a namespace holds (kube's object count name). */
export const TRIGGER_COUNT_RESOURCE = `count/${triggersInfo.resource}.${triggersInfo.group}`;

/**
 * `addresses`: the SSRF policy deliveries use, checked against IP-literal delivery URLs on write.
 * `quota`: ResourceQuota `count/triggers.triggers.imagestreamd.io` is enforced on creates (every
 * Trigger fans a push out to one more receiver, so an operator can bound that per namespace).
 */
export function createTriggerStores(db: Database, addresses?: AddressPolicy, quota?: NamespaceQuota) {
  const table = new TableStorage<Trigger>('triggers', true);
  quota?.countObjects(TRIGGER_COUNT_RESOURCE, async (tx, namespace) => {
    const [row] = await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM triggers WHERE namespace = $1`, [namespace]);
    return Number(row?.n ?? 0);
  });
  const fromOf = (t: Trigger) => {
    const st = parseStreamTag(t.spec.from.name);
    return st ? { from_namespace: t.spec.from.namespace || t.metadata.namespace!, stream: st.stream, tag: st.tag } : null;
  };
  const store = new GenericStore<Trigger>(triggersInfo, db, table, new TriggerStrategy(addresses), {
    // ResourceQuota admission, as kube-apiserver's generic object count evaluator (POST and a server-side apply that creates).
    admit: async (tx, obj, old) => {
      if (!old && quota) await quota.admitObjectCreate(tx, obj.metadata.namespace!, TRIGGER_COUNT_RESOURCE, { ref: refOf(triggersInfo), name: obj.metadata.name! });
    },
    async afterWrite(tx, obj, old) {
      if (!old) await quota?.recountObjects(tx, obj.metadata.namespace!, TRIGGER_COUNT_RESOURCE);
      const sub = fromOf(obj);
      await writeSubscriptions(tx, 'Trigger', obj, sub ? [sub] : []);
      // Create, spec change or unpause: evaluate now (after commit) instead of waiting for the next move.
      if (sub && (!old || !jsonEqual(old.spec, obj.spec))) {
        await requestEvaluation(tx, { namespace: sub.from_namespace, stream: sub.stream, tag: sub.tag });
      }
      if (isUnpause(old, obj)) await resumeHeldDeliveries(tx, obj);
    },
    // Its deliveries go too, in the background, or stay orphaned (propagationPolicy Orphan). DELETE,
    // deletecollection and namespace deletion (always without a policy) all end here.
    beforeRemove: async (tx, old, propagation) => {
      // The row is still there: the quotas' status.used counts it out.
      await quota?.recountObjects(tx, old.metadata.namespace!, TRIGGER_COUNT_RESOURCE, -1);
      await queueDeliveryCollection(tx, 'Trigger', old, propagation);
    },
  });
  const status = new GenericStore<Trigger>(triggerStatusInfo, db, table, new TriggerStatusStrategy());
  const secrets = new RedactingHandler(
    new GenericStore<TriggerSecret>(triggerSecretsInfo, db, new TableStorage<TriggerSecret>('trigger_secrets', true), new TriggerSecretStrategy(), {
      // The change log (and so every watch event, DELETED included) never holds the keys.
      loggedObject: (secret) => redactSecret(secret),
    }),
    // Signing keys are write-only: no answer, one object's included, carries them.
    {
      one: redactSecret,
      many: redactSecret,
      checkPatch: (name, type, patch) => {
        const problems = secretPatchProblems(type, patch);
        if (problems.length) throw ApiError.invalid(triggerSecretsInfo, name, problems);
      },
    },
  );
  return { store, status, secrets, table };
}

/** Signing-secret reads and writes never return `data`: only which keys are set. */
export function redactSecret<T>(obj: T): T {
  if (typeof obj !== 'object' || obj === null) return obj;
  const o = obj as unknown as TriggerSecret & { items?: TriggerSecret[] };
  if (Array.isArray(o.items)) return { ...o, items: o.items.map((i) => redactSecret(i)) } as T;
  // A Status (the answer of a completed delete) carries no keys.
  if (!('metadata' in o) || !o.metadata || (o as { kind?: unknown }).kind === 'Status') return obj;
  const { data, ...rest } = o;
  // Change-log objects are redacted already (a list at an older resourceVersion is rebuilt from them): keep their dataKeys.
  if (data === undefined && Array.isArray(o.dataKeys)) return obj;
  return { ...rest, dataKeys: Object.keys(data ?? {}).sort() } as T;
}

/** Reads the signing keys (worker only): current first, then the previous one during a rotation. */
export async function signingKeys(q: Queryable, namespace: string, name: string): Promise<string[] | null> {
  const [row] = await q.query<{ data: { key?: string; previousKey?: string } | null }>(
    `SELECT body->'data' AS data FROM trigger_secrets WHERE namespace = $1 AND name = $2`,
    [namespace, name],
  );
  if (!row?.data?.key) return null;
  return [row.data.key, ...(row.data.previousKey ? [row.data.previousKey] : [])];
}

/**
 * apps/v1's defaulting of what kubectl's describers dereference: a Deployment's or StatefulSet's
 * `spec.replicas` is 1 when unset; and a missing selector, which typed clients need (see
 * defaultWorkloadSelector).
 */
function defaultWorkload(kind: WorkloadKind, obj: Workload): void {
  defaultWorkloadSelector(kind.kind, obj);
  if ((kind.kind === 'Deployment' || kind.kind === 'StatefulSet') && obj.spec && typeof obj.spec === 'object' && (obj.spec['replicas'] === undefined || obj.spec['replicas'] === null)) {
    obj.spec['replicas'] = 1;
  }
}

class WorkloadStrategy implements ResourceStrategy<Workload> {
  constructor(private readonly kind: WorkloadKind) {}
  prepareForCreate(obj: Workload): void {
    defaultWorkload(this.kind, obj);
    obj.metadata.generation = 1;
  }
  validate(obj: Workload): FieldError[] {
    return this.validateAgainst(obj, null);
  }
  /**
   * The triggers annotation is not validated (kube-apiserver does not either): what the controller
   * will ignore is a warning; so is what kube-apiserver would refuse of the spec.
   */
  warnings(obj: Workload): string[] {
    return [
      ...triggersAnnotationWarnings(obj.metadata.annotations?.[TRIGGERS_ANNOTATION], this.kind.podSpecPath),
      ...workloadCompletenessWarnings(this.kind.kind, obj.spec),
    ];
  }
  canonicalize(): void {}
  prepareForUpdate(obj: Workload, old: Workload): void {
    defaultWorkload(this.kind, obj);
    const gen = old.metadata.generation ?? 1;
    obj.metadata.generation = jsonEqual(obj.spec, old.spec) ? gen : gen + 1;
  }
  validateUpdate(obj: Workload, old: Workload): FieldError[] {
    return this.validateAgainst(obj, old);
  }
  private validateAgainst(obj: Workload, old: Workload | null): FieldError[] {
    return [
      ...validateDns1123SubdomainName(obj.metadata.name),
      ...validateWorkloadShape(obj.spec, this.kind.podSpecPath),
      ...annotationSourceRefusals(obj, old, this.kind.podSpecPath),
    ];
  }
}

/** Deployments, StatefulSets, DaemonSets and CronJobs stored as JSON with their trigger annotation indexed. */
export function createWorkloadStore(db: Database, kind: WorkloadKind, localNames?: LocalImageNames, subresource?: string) {
  const table = new TableStorage<Workload>(kind.table, true);
  // A store of the same table for a subresource (`scale`) records its writers with that subresource.
  const info = subresource ? { ...workloadInfo(kind), resource: `${kind.resource}/${subresource}` } : workloadInfo(kind);
  return new GenericStore<Workload>(info, db, table, new WorkloadStrategy(kind), {
    admit: localNames ? (tx, obj, old) => localNames.resolve(tx, obj, old, kind.podSpecPath) : undefined,
    async afterWrite(tx, obj, old) {
      const value = obj.metadata.annotations?.[TRIGGERS_ANNOTATION];
      const parsed = value === undefined ? { triggers: [] } : parseTriggersAnnotation(value, kind.podSpecPath);
      // One row per followed tag: entries on different containers may follow the same tag.
      const subs = [
        ...new Map(
          parsed.triggers
            .filter((t) => !t.from.apiVersion)
            .map((t) => ({ ...parseStreamTag(t.from.name)!, from_namespace: t.from.namespace || obj.metadata.namespace! }))
            .map((s) => [`${s.from_namespace}/${s.stream}:${s.tag}`, s] as const),
        ).values(),
      ];
      await writeSubscriptions(tx, kind.kind, obj, subs);
      // Each evaluation reconciles the whole workload (one update for all its entries); the
      // requests of its other tags then find it up to date. A new annotation, or a container
      // image changed by someone else (kubectl set image, an edit), is reconciled at once, as
      // OpenShift's trigger controller does on every update of the workload: the image goes back
      // to the tag's. The reconcile's own write comes back here and finds nothing to do.
      const imagesMoved = old !== null && parsed.triggers.some((t) => imageAt(obj, kind.podSpecPath, t.fieldPath) !== imageAt(old, kind.podSpecPath, t.fieldPath));
      if (!old || old.metadata.annotations?.[TRIGGERS_ANNOTATION] !== value || imagesMoved) {
        for (const s of subs) await requestEvaluation(tx, { namespace: s.from_namespace, stream: s.stream, tag: s.tag });
      }
    },
    // The deliveries recording its updates go with it (or stay orphaned), in the background, as a Trigger's do.
    beforeRemove: (tx, old, propagation) => queueDeliveryCollection(tx, kind.kind, old, propagation),
  });
}
