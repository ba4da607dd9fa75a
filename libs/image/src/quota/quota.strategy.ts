import { type FieldError, type ResourceStrategy } from '@app/api-machinery';
import {
  type LimitRange,
  type LimitRangeItem,
  limitRangesInfo,
  type ResourceList,
  type ResourceQuota,
  resourceQuotasInfo,
} from './quota.types';
import {
  canonicalizeQuantities,
  validateLimitRange,
  validateResourceQuota,
  validateResourceQuotaStatus,
  validateResourceQuotaUpdate,
} from './quota.validation';

const limitLists = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

function canonicalizeLimitRange(lr: LimitRange): void {
  canonicalizeQuantities(
    limitRangesInfo,
    (lr.spec?.limits ?? []).flatMap((l) => limitLists.map((list) => l?.[list])),
  );
  for (const item of lr.spec?.limits ?? []) {
    if (!item) continue;
    // A null list decodes as a nil map, which v1 omits (omitempty).
    for (const list of limitLists) if (item[list] === null) delete item[list];
    if (item.type === 'Container') defaultContainerLimits(item);
  }
}

/**
 * core/v1 SetDefaults_LimitRangeItem (applied on decode, so on every write) for `Container` items:
 * a resource with a max and no default limit defaults to the max; a default limit with no default
 * request gives that request; a min with still no default request gives it. Other types are kept.
 */
function defaultContainerLimits(item: LimitRangeItem): void {
  const def: ResourceList = { ...(item.default ?? {}) };
  const request: ResourceList = { ...(item.defaultRequest ?? {}) };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in request)) request[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in request)) request[k] = v;
  // Empty lists are omitted (omitempty), as kube-apiserver answers.
  if (Object.keys(def).length) item.default = def;
  if (Object.keys(request).length) item.defaultRequest = request;
}

/** kube-apiserver's limitrange strategy: no status, no generation; quantities stored canonically. */
export class LimitRangeStrategy implements ResourceStrategy<LimitRange> {
  prepareForCreate(lr: LimitRange): void {
    delete lr.metadata.generation;
    canonicalizeLimitRange(lr);
  }
  validate(lr: LimitRange): FieldError[] {
    return validateLimitRange(lr);
  }
  canonicalize(): void {}
  prepareForUpdate(lr: LimitRange): void {
    delete lr.metadata.generation;
    canonicalizeLimitRange(lr);
  }
  validateUpdate(lr: LimitRange): FieldError[] {
    return validateLimitRange(lr);
  }
}

function canonicalizeQuota(rq: ResourceQuota): void {
  canonicalizeQuantities(resourceQuotasInfo, [rq.spec?.hard, rq.status?.hard, rq.status?.used]);
  // v1 omits an empty or null hard, scopes and scopeSelector (omitempty; null decodes to nil).
  const spec = rq.spec as Record<string, unknown> | undefined;
  if (spec && typeof spec === 'object') {
    for (const k of ['hard', 'scopes', 'scopeSelector']) {
      const v = spec[k];
      if (v === null || (Array.isArray(v) && v.length === 0) || (k === 'hard' && v && typeof v === 'object' && Object.keys(v).length === 0)) delete spec[k];
    }
  }
}

/**
 * kube-apiserver's resourcequota strategy: the status is the quota system's (cleared on create,
 * kept on update). The status is filled in by the image quota
 * admission in the same transaction (see ImageQuota), as kube's quota controller would shortly after.
 */
export class ResourceQuotaStrategy implements ResourceStrategy<ResourceQuota> {
  prepareForCreate(rq: ResourceQuota): void {
    canonicalizeQuota(rq);
    rq.status = {};
    delete rq.metadata.generation;
  }
  validate(rq: ResourceQuota): FieldError[] {
    return validateResourceQuota(rq);
  }
  canonicalize(): void {}
  prepareForUpdate(rq: ResourceQuota, old: ResourceQuota): void {
    canonicalizeQuota(rq);
    rq.status = old.status;
    delete rq.metadata.generation;
  }
  validateUpdate(rq: ResourceQuota, old: ResourceQuota): FieldError[] {
    return validateResourceQuotaUpdate(rq, old);
  }
}

/** `resourcequotas/{name}/status`: only the status changes. */
export class ResourceQuotaStatusStrategy implements ResourceStrategy<ResourceQuota> {
  prepareForCreate(): void {}
  validate(): FieldError[] {
    return [];
  }
  canonicalize(): void {}
  prepareForUpdate(rq: ResourceQuota, old: ResourceQuota): void {
    canonicalizeQuota(rq);
    rq.spec = old.spec;
    delete rq.metadata.generation;
  }
  validateUpdate(rq: ResourceQuota): FieldError[] {
    return validateResourceQuotaStatus(rq);
  }
}
