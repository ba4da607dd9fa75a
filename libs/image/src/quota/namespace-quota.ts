import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ApiError,
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityOf,
  type ResourceRef,
} from '@app/api-machinery';
import type { GenericStore, Queryable } from '@app/persistence';
import type { QuotaNamespaces } from './quota-namespaces';
import {
  RESOURCE_IMAGE_STREAMS,
  type ResourceList,
  type ResourceQuota,
  STREAM_COUNT_RESOURCES,
} from './quota.types';

/** `a=1,b=2`, keys sorted (the resource quota admission's prettyPrint). */
function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((k) => `${k}=${list[k]}`)
    .join(',');
}

const forbiddenPrefix = / is forbidden: (exceeded quota: .*)$/s;

/**
 * A stream create refused by the quota, reworded for the request that caused it (upstream's
 * admission names the resource and object the client posted, e.g. an ImageStreamImport); other
 * errors unchanged.
 */
export function quotaRefusalFor(e: unknown, subject: QuotaSubject): unknown {
  if (!(e instanceof ApiError) || e.code !== 403 || e.details?.kind !== 'imagestreams') return e;
  const why = forbiddenPrefix.exec(e.message)?.[1];
  return why ? ApiError.forbiddenOn(subject.ref, subject.name, why) : e;
}

/** How many objects of one kind a namespace holds (in the given transaction). */
export type ObjectCount = (tx: Queryable, namespace: string) => Promise<number>;

/** The request that would create a stream, as the quota admission names it in its refusal. */
export interface QuotaSubject {
  ref: ResourceRef;
  name: string;
}

/**
 * The quota evaluator upstream's ResourceQuota admission runs for the request that creates a stream:
 *
 * - `imagestreams`: an ImageStream create (POST, server-side apply, the integrated registry's
 *   first push): openshift-apiserver's object count evaluator with its legacy alias, which matches
 *   both `openshift.io/imagestreams` and `count/imagestreams.image.openshift.io`, and no quota
 *   with scopes (generic.MatchesNoScopeFunc).
 * - `virtual`: an ImageStreamTag or ImageStreamImport (`import: true`) naming a missing stream:
 *   the imagestreamtags/imagestreamimports evaluators, which match only `openshift.io/imagestreams`
 *   and every quota whatever its scopes; the stream itself is then created without admission.
 * - `none`: an ImageTag: no evaluator charges it with a stream (kube's generic one only counts
 *   `count/imagetags.image.openshift.io`), and its stream is created without admission.
 */
export type StreamQuotaEvaluator = 'imagestreams' | 'virtual' | 'none';

const evaluatorContext = new AsyncLocalStorage<StreamQuotaEvaluator>();

/** The evaluator of the stream create under way (`imagestreams` unless a view or import set one). */
export function currentStreamQuotaEvaluator(): StreamQuotaEvaluator {
  return evaluatorContext.getStore() ?? 'imagestreams';
}

/** Runs `fn` with the stream creates it makes evaluated as `evaluator` (default `imagestreams`). */
export function withStreamQuotaEvaluator<R>(evaluator: StreamQuotaEvaluator, fn: () => Promise<R>): Promise<R> {
  return evaluatorContext.run(evaluator, fn);
}

/** A quota with scopes or a scope selector (getScopeSelectorsFromQuota non-empty). */
export function isScopedQuota(quota: ResourceQuota): boolean {
  return (quota.spec?.scopes?.length ?? 0) > 0 || (quota.spec?.scopeSelector?.matchExpressions?.length ?? 0) > 0;
}

/**
 * A namespace's ResourceQuotas, enforced as kube-apiserver's ResourceQuota admission does: image
 * streams (`openshift.io/imagestreams`, and the generic `count/imagestreams.image.openshift.io`)
 * with openshift-apiserver's image evaluators, and the object counts other modules register
 * (`count/<resource>.<group>`, e.g. Triggers) with kube's generic evaluator. A create that would
 * take a count over `hard` is refused with 403 `exceeded quota: …`, and each quota's
 * `status.hard`/`status.used` is kept current in the same transaction (kube's quota controller
 * recalculates it shortly after).
 *
 * Race-free: the namespace's quotas are locked (FOR UPDATE) before anything is counted, so
 * concurrent creates in one namespace take turns and each counts the others' commits.
 */
export class NamespaceQuota {
  /** Object counts of other kinds (`count/<resource>.<group>`), registered by the modules that store them. */
  private readonly objectCounts = new Map<string, ObjectCount>();

  constructor(
    private readonly namespaces: QuotaNamespaces,
    private readonly status: GenericStore<ResourceQuota>,
  ) {}

  /**
   * Counts `resource` (`count/<resource>.<group>`) from now on: quotas naming it limit creates
   * through admitObjectCreate and their status.used shows the count.
   */
  countObjects(resource: string, count: ObjectCount): void {
    this.objectCounts.set(resource, count);
  }

  /**
   * kube-apiserver's generic object count evaluator for a create of `resource` in `namespace`
   * (inside the creating transaction): a quota naming `resource` without scopes (the evaluator
   * matches no scope) refuses the create with 403 `exceeded quota: …` once its count would pass
   * `hard`. The quotas are locked first, so parallel creates at the limit let exactly one through.
   */
  async admitObjectCreate(tx: Queryable, namespace: string, resource: string, subject: QuotaSubject): Promise<void> {
    const count = this.objectCounts.get(resource);
    if (!count) throw new Error(`no object count registered for ${resource}`);
    const quotas = (await this.lockQuotas(tx, namespace)).filter((q) => !isScopedQuota(q) && q.spec?.hard?.[resource] !== undefined);
    if (!quotas.length) return;
    const used = await count(tx, namespace);
    for (const quota of quotas) {
      const hard = quota.spec!.hard![resource]!;
      if (compareQuantities(quantityOf(used + 1), parseQuantity(hard)) > 0) {
        const usedText = formatQuantity(quantityOf(used));
        throw ApiError.forbiddenOn(
          subject.ref,
          subject.name,
          `exceeded quota: ${quota.metadata.name}, requested: ${resource}=1, used: ${resource}=${usedText}, limited: ${resource}=${hard}`,
        );
      }
    }
  }

  /**
   * After the namespace's count of `resource` changed (inside that transaction): the status of
   * every quota naming it follows. `adjust`: what the count will differ by once the statement
   * under way is done (-1 before a row is removed).
   */
  async recountObjects(tx: Queryable, namespace: string, resource: string, adjust = 0): Promise<void> {
    const quotas = (await this.lockQuotas(tx, namespace)).filter((q) => q.spec?.hard?.[resource] !== undefined);
    for (const quota of quotas) await this.writeStatus(tx, quota, undefined, { [resource]: adjust });
  }

  /** The namespace's quotas, locked, in name order; [] without any (no query when the index says so). */
  private async lockQuotas(tx: Queryable, namespace: string): Promise<ResourceQuota[]> {
    if (!(await this.namespaces.hasResourceQuotas(namespace))) return [];
    const rows = await tx.query<{ body: ResourceQuota }>(
      `SELECT body FROM resource_quotas WHERE namespace = $1 ORDER BY name FOR UPDATE`,
      [namespace],
    );
    return rows.map((r) => r.body);
  }

  private async countStreams(tx: Queryable, namespace: string): Promise<number> {
    const [row] = await tx.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM image_streams WHERE namespace = $1`,
      [namespace],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Before a stream is created in `namespace` (inside the creating transaction): 403 when a quota
   * would be exceeded. Returns the stream count before the create, or undefined when no quota
   * limits streams.
   */
  async admitCreate(tx: Queryable, namespace: string, subject: QuotaSubject): Promise<number | undefined> {
    const evaluator = currentStreamQuotaEvaluator();
    if (evaluator === 'none') return undefined;
    const matching = (q: ResourceQuota): string[] => {
      if (evaluator === 'imagestreams') return isScopedQuota(q) ? [] : STREAM_COUNT_RESOURCES;
      return [RESOURCE_IMAGE_STREAMS];
    };
    const quotas = (await this.lockQuotas(tx, namespace)).filter((q) =>
      matching(q).some((r) => q.spec?.hard?.[r] !== undefined),
    );
    if (!quotas.length) return undefined;
    const count = await this.countStreams(tx, namespace);
    for (const quota of quotas) {
      // status.used as kept below: a scoped quota counts no stream.
      const used = isScopedQuota(quota) ? 0 : count;
      const requested: ResourceList = {};
      const usedList: ResourceList = {};
      const limited: ResourceList = {};
      for (const r of matching(quota)) {
        const hard = quota.spec?.hard?.[r];
        if (hard === undefined) continue;
        if (compareQuantities(quantityOf(used + 1), parseQuantity(hard)) > 0) {
          requested[r] = '1';
          usedList[r] = formatQuantity(quantityOf(used));
          limited[r] = hard;
        }
      }
      if (Object.keys(limited).length) {
        throw ApiError.forbiddenOn(
          subject.ref,
          subject.name,
          `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(requested)}, used: ${prettyPrint(usedList)}, limited: ${prettyPrint(limited)}`,
        );
      }
    }
    return count;
  }

  /** After the namespace's stream count changed (inside that transaction): every quota's status follows. */
  async recount(tx: Queryable, namespace: string, adjust = 0): Promise<void> {
    const quotas = await this.lockQuotas(tx, namespace);
    if (!quotas.length) return;
    const streams = (await this.countStreams(tx, namespace)) + adjust;
    for (const quota of quotas) await this.writeStatus(tx, quota, streams);
  }

  /**
   * A quota's status from its spec: hard as asked, used as counted (0 for what nothing here
   * consumes, and for streams in a scoped quota: the quota controller's object count evaluator
   * matches no stream to a scope).
   */
  async writeStatus(tx: Queryable, quota: ResourceQuota, streams?: number, adjust: Record<string, number> = {}): Promise<void> {
    const namespace = quota.metadata.namespace!;
    const count = streams ?? (await this.countStreams(tx, namespace));
    await this.status.mutateWithin(tx, namespace, quota.metadata.name!, async (current) => {
      const hard = { ...(current.spec?.hard ?? {}) };
      const used: ResourceList = {};
      // Object count evaluators match no scope: a scoped quota counts none of them.
      const scoped = isScopedQuota(current);
      for (const r of Object.keys(hard)) {
        const counted = this.objectCounts.get(r);
        let n = 0;
        if (STREAM_COUNT_RESOURCES.includes(r) && !scoped) n = count;
        else if (counted && !scoped) n = (await counted(tx, namespace)) + (adjust[r] ?? 0);
        used[r] = formatQuantity(quantityOf(n));
      }
      current.status = Object.keys(hard).length ? { hard, used } : {};
      return { next: current };
    });
  }
}
