import {
  ApiError,
  compareQuantities,
  type FieldError,
  fieldErr,
  formatQuantity,
  isWholeQuantity,
  parseQuantity,
  QuantityError,
  type ResourceInfo,
  validateDns1123SubdomainName,
  validateQualifiedName,
  VerbatimValue,
} from '@app/api-machinery';
import type { LimitRange, ResourceList, ResourceQuota } from './quota.types';

/**
 * Validation of core/v1 LimitRange and ResourceQuota after kubernetes pkg/apis/core/validation
 * (ValidateLimitRange, ValidateResourceQuota*) and pkg/apis/core/helper (the standard names).
 */

const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const standardQuotaResources = new Set([...standardResources].filter((r) => r !== 'storage'));
const integerResources = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardLimitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);
const standardScopes = new Set([
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'VolumeAttributesClass',
  'CrossNamespacePodAffinity',
]);

const isHugePages = (name: string) =>
  name.startsWith('hugepages-') ||
  name.startsWith('requests.hugepages-') ||
  name.startsWith('limits.hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
/** helper.IsExtendedResourceName: a domain-qualified name outside kubernetes.io (e.g. `openshift.io/imagestreams`). */
function isExtended(name: string): boolean {
  if (isNative(name) || name.startsWith('requests.')) return false;
  return validateQualifiedName(`requests.${name}`, '').length === 0;
}

function validateResourceName(name: string, field: string): FieldError[] {
  const errors = validateQualifiedName(name, field);
  if (errors.length) return errors;
  if (!name.includes('/') && !standardResources.has(name) && !isHugePages(name)) {
    return [fieldErr.invalid(field, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

function validateQuotaResourceName(name: string, field: string): FieldError[] {
  const errors = validateResourceName(name, field);
  if (!name.includes('/') && !standardQuotaResources.has(name) && !isHugePages(name)) {
    errors.push(fieldErr.invalid(field, name, 'must be a standard resource for quota'));
  }
  return errors;
}

function validateContainerResourceName(name: string, field: string): FieldError[] {
  const errors = validateResourceName(name, field);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !name.startsWith('hugepages-'))
      errors.push(fieldErr.invalid(field, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    errors.push(fieldErr.invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errors;
}

/** ValidateResourceQuantityValue: not negative; whole for integer resources (counts, extended resources). */
function validateQuantityValue(name: string, value: string, field: string): FieldError[] {
  const q = parseQuantity(value);
  const errors: FieldError[] = [];
  if (q.digits < 0n)
    errors.push(fieldErr.invalid(field, formatQuantity(q), 'must be greater than or equal to 0'));
  if ((integerResources.has(name) || isExtended(name)) && !isWholeQuantity(q))
    errors.push(fieldErr.invalid(field, formatQuantity(q), 'must be an integer'));
  return errors;
}

function validateQuotaList(list: ResourceList | undefined, field: string): FieldError[] {
  return Object.entries(list ?? {}).flatMap(([k, v]) => [
    ...validateQuotaResourceName(k, `${field}[${k}]`),
    ...validateQuantityValue(k, v, `${field}[${k}]`),
  ]);
}

/** helper.IsResourceQuotaScopeValidForResource: the standard resources each pod/PVC scope can limit. */
const podQuotaResources = new Set(['pods', 'cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
function scopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return podQuotaResources.has(resource);
    case 'BestEffort':
      return resource === 'pods';
    case 'VolumeAttributesClass':
      return resource === 'persistentvolumeclaims' || resource === 'requests.storage';
    default:
      return true;
  }
}
const conflictingScopes = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];
const existsOnlyScopes = new Set(['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity']);

/** Go's %#v of a string list of type `type` (how kube prints a scope list in a field error). */
const goStrings = (type: string, values: string[] | undefined): VerbatimValue =>
  new VerbatimValue(values ? `${type}{${values.map((v) => JSON.stringify(v)).join(', ')}}` : `${type}(nil)`);
const goScopes = (scopes: string[] | undefined) => goStrings('[]core.ResourceQuotaScope', scopes);
/** %#v of a ScopeSelector. */
function goScopeSelector(selector: NonNullable<NonNullable<ResourceQuota['spec']>['scopeSelector']>): VerbatimValue {
  const reqs = (selector.matchExpressions ?? []).map(
    (r) =>
      `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(r.scopeName ?? '')}, Operator:${JSON.stringify(r.operator ?? '')}, Values:${goStrings('[]string', r.values).text}}`,
  );
  const list = selector.matchExpressions ? `[]core.ScopedResourceSelectorRequirement{${reqs.join(', ')}}` : '[]core.ScopedResourceSelectorRequirement(nil)';
  return new VerbatimValue(`core.ScopeSelector{MatchExpressions:${list}}`);
}

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const errors = [
    ...validateDns1123SubdomainName(rq.metadata.name),
    ...validateQuotaList(rq.spec?.hard, 'spec.hard'),
  ];
  // Only standard quota resources are checked against the scopes (helper.IsStandardQuotaResourceName),
  // so `openshift.io/imagestreams` may carry any scope (and is then not charged by a stream create).
  const standardHard = Object.keys(rq.spec?.hard ?? {})
    .filter((k) => standardQuotaResources.has(k))
    .sort();
  const scopes = rq.spec?.scopes ?? [];
  for (const scope of scopes) {
    if (!standardScopes.has(scope)) errors.push(fieldErr.invalid('spec.scopes', goScopes(scopes), 'unsupported scope'));
    for (const k of standardHard)
      if (!scopeValidForResource(scope, k))
        errors.push(fieldErr.invalid('spec.scopes', goScopes(scopes), 'unsupported scope applied to resource'));
  }
  for (const pair of conflictingScopes)
    if (pair.every((p) => scopes.includes(p))) errors.push(fieldErr.invalid('spec.scopes', goScopes(scopes), 'conflicting scopes'));
  const selector = rq.spec?.scopeSelector;
  const selected: string[] = [];
  for (const req of selector?.matchExpressions ?? []) {
    const path = `spec.scopeSelector.matchExpressions`;
    if (!standardScopes.has(req.scopeName ?? ''))
      errors.push(fieldErr.invalid(`${path}.scopeName`, req.scopeName ?? '', 'unsupported scope'));
    for (const k of standardHard)
      if (!scopeValidForResource(req.scopeName ?? '', k))
        errors.push(fieldErr.invalid(path, goScopeSelector(selector!), 'unsupported scope applied to resource'));
    if (existsOnlyScopes.has(req.scopeName ?? '') && req.operator !== 'Exists')
      errors.push(
        fieldErr.invalid(
          `${path}.operator`,
          req.operator ?? '',
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    const values = req.values ?? [];
    switch (req.operator ?? '') {
      case 'In':
      case 'NotIn':
        if (!values.length)
          errors.push(
            fieldErr.required(
              `${path}.values`,
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length)
          errors.push(
            fieldErr.invalid(
              `${path}.values`,
              goStrings('[]string', values),
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
          );
        break;
      default:
        errors.push(
          fieldErr.invalid(`${path}.operator`, req.operator ?? '', 'not a valid selector operator'),
        );
    }
    selected.push(req.scopeName ?? '');
  }
  for (const pair of conflictingScopes)
    if (pair.every((p) => selected.includes(p)))
      errors.push(fieldErr.invalid('spec.scopeSelector.matchExpressions', goScopes(rq.spec?.scopes), 'conflicting scopes'));
  return errors;
}

export function validateResourceQuotaStatus(rq: ResourceQuota): FieldError[] {
  return [
    ...validateQuotaList(rq.status?.hard, 'status.hard'),
    ...validateQuotaList(rq.status?.used, 'status.used'),
  ];
}

export function validateResourceQuotaUpdate(rq: ResourceQuota, old: ResourceQuota): FieldError[] {
  const errors = validateResourceQuota(rq);
  const scopes = new Set(rq.spec?.scopes ?? []);
  const oldScopes = new Set(old.spec?.scopes ?? []);
  if (scopes.size !== oldScopes.size || [...scopes].some((s) => !oldScopes.has(s))) {
    errors.push(fieldErr.invalid('spec.scopes', goScopes(rq.spec?.scopes), 'field is immutable'));
  }
  return errors;
}

const limitLists = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errors = validateDns1123SubdomainName(lr.metadata.name);
  const seen = new Set<string>();
  for (const [i, limit] of (lr.spec?.limits ?? []).entries()) {
    const at = `spec.limits[${i}]`;
    const type = limit.type ?? '';
    const typeErrors = validateQualifiedName(type, `${at}.type`);
    if (!typeErrors.length && !type.includes('/') && !standardLimitTypes.has(type)) {
      typeErrors.push(
        fieldErr.invalid(`${at}.type`, type, 'must be a standard limit type or fully qualified'),
      );
    }
    errors.push(...typeErrors);
    if (seen.has(type)) errors.push({ type: 'FieldValueDuplicate', field: `${at}.type`, value: type });
    seen.add(type);
    const nameCheck =
      type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
    for (const list of limitLists) {
      if (type === 'Pod' && (list === 'default' || list === 'defaultRequest')) {
        if (Object.keys(limit[list] ?? {}).length)
          errors.push(fieldErr.forbidden(`${at}.${list}`, "may not be specified when `type` is 'Pod'"));
        continue;
      }
      for (const k of Object.keys(limit[list] ?? {})) errors.push(...nameCheck(k, `${at}.${list}[${k}]`));
    }
    if (
      type === 'PersistentVolumeClaim' &&
      limit.min?.['storage'] === undefined &&
      limit.max?.['storage'] === undefined
    ) {
      errors.push(
        fieldErr.required(
          `${at}.limits`,
          'either minimum or maximum storage value is required, but neither was provided',
        ),
      );
    }
    const keys = new Set(limitLists.flatMap((l) => Object.keys(limit[l] ?? {})));
    for (const k of keys) {
      const q = (list: (typeof limitLists)[number]) => {
        const v = limit[list]?.[k];
        return v === undefined ? undefined : parseQuantity(v);
      };
      const [min, max, def, defReq, ratio] = [
        q('min'),
        q('max'),
        q('default'),
        q('defaultRequest'),
        q('maxLimitRequestRatio'),
      ];
      const s = (v: ReturnType<typeof q>) => formatQuantity(v!);
      // kube's ValidateLimitRange order checks: [lower, higher, field reported, value reported, message].
      const orderChecks: [ReturnType<typeof q>, ReturnType<typeof q>, string, ReturnType<typeof q>, () => string][] = [
        [min, max, 'min', min, () => `min value ${s(min)} is greater than max value ${s(max)}`],
        [min, defReq, 'defaultRequest', defReq, () => `min value ${s(min)} is greater than default request value ${s(defReq)}`],
        [defReq, max, 'defaultRequest', defReq, () => `default request value ${s(defReq)} is greater than max value ${s(max)}`],
        [defReq, def, 'defaultRequest', defReq, () => `default request value ${s(defReq)} is greater than default limit value ${s(def)}`],
        [min, def, 'default', min, () => `min value ${s(min)} is greater than default value ${s(def)}`],
        [def, max, 'default', max, () => `default value ${s(def)} is greater than max value ${s(max)}`],
      ];
      for (const [lower, higher, field, value, message] of orderChecks) {
        if (lower && higher && compareQuantities(lower, higher) > 0) errors.push(fieldErr.invalid(`${at}.${field}[${k}]`, s(value), message()));
      }
      if (ratio && compareQuantities(ratio, parseQuantity('1')) < 0)
        errors.push(
          fieldErr.invalid(`${at}.maxLimitRequestRatio[${k}]`, s(ratio), `ratio ${s(ratio)} is less than 1`),
        );
    }
  }
  return errors;
}

/**
 * Decodes every quantity of `lists` into its canonical text, as kube-apiserver stores them (a JSON
 * number is a quantity too; null decodes as zero). A value that is not a quantity cannot be
 * decoded: 400 with the decoder's wording.
 */
export function canonicalizeQuantities(info: ResourceInfo, lists: (ResourceList | undefined)[]): void {
  for (const list of lists) {
    if (list === undefined || list === null) continue;
    if (typeof list !== 'object' || Array.isArray(list))
      throw decodeError(
        info,
        `json: cannot unmarshal ${Array.isArray(list) ? 'array' : typeof list} into Go value of type v1.ResourceList`,
      );
    for (const [k, v] of Object.entries(list)) {
      try {
        list[k] = v === null ? '0' : formatQuantity(parseQuantity(v));
      } catch (e) {
        if (e instanceof QuantityError) throw decodeError(info, e.message);
        throw e;
      }
    }
  }
}

function decodeError(info: ResourceInfo, message: string): ApiError {
  return ApiError.badRequest(
    `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${message}`,
  );
}
