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
 * ResourceQuota for image streams (`openshift.io/imagestreams`, and the generic
 * `count/imagestreams.image.openshift.io`), after kube-apiserver's ResourceQuota admission with
 * openshift-apiserver's image evaluators: a create that would take the count over `hard` is
 * refused with 403 `exceeded quota: …`, and each quota's `status.hard`/`status.used` is kept
 * current in the same transaction (kube's quota controller recalculates it shortly after).
 *
 * Race-free: the namespace's quotas are locked (FOR UPDATE) before the streams are counted, so
 * concurrent creates in one namespace take turns and each counts the others' commits.
 */
export class StreamQuota {
  constructor(
    private readonly namespaces: QuotaNamespaces,
    private readonly status: GenericStore<ResourceQuota>,
  ) {}

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
  async writeStatus(tx: Queryable, quota: ResourceQuota, streams?: number): Promise<void> {
    const namespace = quota.metadata.namespace!;
    const count = streams ?? (await this.countStreams(tx, namespace));
    await this.status.mutateWithin(tx, namespace, quota.metadata.name!, async (current) => {
      const hard = { ...(current.spec?.hard ?? {}) };
      const used: ResourceList = {};
      for (const r of Object.keys(hard))
        used[r] = STREAM_COUNT_RESOURCES.includes(r) && !isScopedQuota(current) ? formatQuantity(quantityOf(count)) : '0';
      current.status = Object.keys(hard).length ? { hard, used } : {};
      return { next: current };
    });
  }
}
