import {
  ApiError,
  type DeleteOptions,
  type DeletionPropagation,
  type FieldError,
  fieldErr,
  type ListOptions,
  fieldLabelNotSupported,
  parseFieldSelectorSyntax,
  supportedFields,
  unknownFieldSelector,
  parseLabelSelector,
  type PatchType,
  type ResourceInfo,
  validateFieldManager,
  type WriteOptions,
} from '@app/api-machinery';
import { fieldValidationErrors } from './openapi/field-validation';
import { jsonNumberLiteral } from './openapi/json-number-literal';
import { firstValue } from './query-value';
import { checkResourceVersionParam } from './resource-version-param';

export type Query = Record<string, string | string[] | undefined>;

/** A query parameter's value (the first, when given more than once). */
export function queryValue(q: Query, name: string): string | undefined {
  return firstValue(q[name]);
}

/**
 * A boolean query parameter as apimachinery converts one: absent, `0` or `false` (any case) is
 * false, anything else (`True` from Python clients, `t`, even empty) is true.
 */
function boolValue(v: string | undefined): boolean {
  return v !== undefined && v !== '0' && v.toLowerCase() !== 'false';
}

function bool(q: Query, name: string): boolean {
  return boolValue(queryValue(q, name));
}

/**
 * An int64 query parameter (`limit`, `timeoutSeconds`) as apimachinery's query conversion reads
 * one: Go's strconv.ParseInt in base 10 (a sign allowed; present but empty does not parse), its
 * error answered as a 400 in Go's words, as kube-apiserver's list handler wraps it.
 */
function int64Param(q: Query, name: string): number | undefined {
  const v = queryValue(q, name);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw ApiError.badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw ApiError.badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: value out of range`);
  return Number(n);
}

/** A string as Go's %q (strconv.Quote) shows it, for the ASCII a query value usually is. */
function goQuote(v: string): string {
  return JSON.stringify(v);
}

/** `limit`: only a positive limit pages (the storage layer pages when `limit > 0`), so zero or a negative value lists everything. */
function limitOf(q: Query): number | undefined {
  const limit = int64Param(q, 'limit');
  return limit !== undefined && limit > 0 ? limit : undefined;
}

const metaGroup = { group: 'meta.k8s.io', resource: 'listoptions' };

/**
 * The combinations kube-apiserver refuses before it lists or watches (apimachinery's
 * ValidateListOptions: 422 Invalid ListOptions), and a continue token with a resourceVersion
 * (400, the storage layer's answer).
 */
function validateListParams(q: Query): void {
  const rv = queryValue(q, 'resourceVersion') ?? '';
  // Values that do not decode (a list does not use timeoutSeconds, but it must be an integer too;
  // limit is decoded with the query, before the options are validated).
  if (rv !== '') checkResourceVersionParam(rv);
  int64Param(q, 'timeoutSeconds');
  int64Param(q, 'limit');
  const match = queryValue(q, 'resourceVersionMatch') ?? '';
  const cont = queryValue(q, 'continue') ?? '';
  const initialEvents = queryValue(q, 'sendInitialEvents');
  const errors: FieldError[] = [];
  const forbidden = (detail: string) => errors.push(fieldErr.forbidden('resourceVersionMatch', detail));
  if (isWatch(q)) {
    if (initialEvents !== undefined && match !== 'NotOlderThan') forbidden('sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (match !== '') {
      if (initialEvents === undefined) forbidden('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
      if (match !== 'NotOlderThan') errors.push(fieldErr.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont !== '') forbidden('resourceVersionMatch is forbidden when continue is provided');
    }
  } else {
    if (match !== '') {
      if (rv === '') forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (cont !== '') forbidden('resourceVersionMatch is forbidden when continue is provided');
      if (match !== 'Exact' && match !== 'NotOlderThan') errors.push(fieldErr.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (initialEvents !== undefined) errors.push(fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errors.length) throw ApiError.invalid({ ...metaGroup, kind: 'ListOptions' }, '', errors);
  if (!isWatch(q) && cont !== '' && rv !== '' && rv !== '0') throw ApiError.badRequest('specifying resource version is not allowed when using continue');
}

export function listOptionsOf(q: Query, info: ResourceInfo, namespace: string | undefined): ListOptions {
  // kube-apiserver's order: the selectors are parsed while the query decodes (400; the label
  // selector first, as its field comes first in ListOptions), then ListOptions are validated (422),
  // then the kind's field label conversion refuses unknown fields (400).
  const labelSelector = parseLabelSelector(queryValue(q, 'labelSelector'));
  const fieldTerms = parseFieldSelectorSyntax(queryValue(q, 'fieldSelector'));
  validateListParams(q);
  // apimachinery's default field label conversion accepts metadata.namespace on cluster-scoped kinds
  // too (Image: an empty value matches every object, another none); Namespace and Event have their
  // own conversions (Namespace: no metadata.namespace) and wording. LimitRange and ResourceQuota
  // have none, so they answer as the default does.
  const own = info.ownFieldLabelConversion === true;
  const metaFields = info.namespaced || !own ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  const fieldSelector = supportedFields(fieldTerms, [...metaFields, ...info.fieldSelectors], own ? (info.fieldLabelWording ?? fieldLabelNotSupported) : unknownFieldSelector);
  const continueToken = queryValue(q, 'continue') || undefined;
  const rv = queryValue(q, 'resourceVersion') ?? '';
  const match = queryValue(q, 'resourceVersionMatch') ?? '';
  const listing = !isWatch(q);
  // kube-apiserver 1.32's watch cache (shouldDelegateList, computeListLimit): resourceVersion "0"
  // is served from the cache, which ignores limit; a limit with another resourceVersion and no
  // resourceVersionMatch is the legacy exact read, delegated to etcd (the list as of that version).
  const asked = limitOf(q);
  const limit = listing && rv === '0' && continueToken === undefined ? undefined : asked;
  const exact = listing && (match === 'Exact' || (match === '' && limit !== undefined && rv !== '' && rv !== '0' && continueToken === undefined));
  return { namespace, labelSelector, fieldSelector, limit, continueToken, ...(exact ? { exactResourceVersion: BigInt(rv).toString() } : {}) };
}


export interface WatchParams {
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  /** Watch-list (`sendInitialEvents`): undefined when the client did not ask either way. */
  sendInitialEvents?: boolean;
}

export function isWatch(q: Query): boolean {
  return bool(q, 'watch');
}

export function watchParamsOf(q: Query): WatchParams {
  const rv = queryValue(q, 'resourceVersion');
  if (rv !== undefined && rv !== '') checkResourceVersionParam(rv);
  const asked = queryValue(q, 'sendInitialEvents') === undefined ? undefined : bool(q, 'sendInitialEvents');
  // kube-apiserver with WatchList on (its default in 1.32 and 1.34) makes a legacy watch (no
  // version or "0", neither sendInitialEvents nor resourceVersionMatch) a watch-list
  // (SetListOptionsDefaults): the same events, and with bookmarks allowed the initial-events-end BOOKMARK.
  const legacy = asked === undefined && !queryValue(q, 'resourceVersionMatch') && (rv === undefined || rv === '' || rv === '0');
  return {
    resourceVersion: rv || undefined,
    // 0 means "the server's default", as in kube-apiserver (not "end at once"); a negative
    // timeout ends the watch at once, as Go's timer given a negative duration fires at once.
    timeoutSeconds: int64Param(q, 'timeoutSeconds') || undefined,
    allowWatchBookmarks: bool(q, 'allowWatchBookmarks'),
    sendInitialEvents: legacy ? true : asked,
  };
}

/**
 * dryRun values (query or DeleteOptions body): only "All". kube's ValidateDryRun reports the whole
 * list as one cause (`dryRun: Unsupported value: ["All","x"]: supported values: "All"`).
 */
function dryRunErrors(values: unknown[]): FieldError[] {
  return values.every((v) => v === 'All') ? [] : [fieldErr.notSupported('dryRun', values, ['All'])];
}

function queryDryRun(q: Query): unknown[] {
  const dryRun = q['dryRun'];
  return Array.isArray(dryRun) ? dryRun : dryRun !== undefined ? [dryRun] : [];
}

/** Which options kind a write's query is (named in its validation errors). */
export type WriteVerb = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

/**
 * Create/update/patch options with field management: fieldManager (≤ 128 bytes, printable; for
 * apply patches required), force (patches only: create and update options have no such field,
 * so kube ignores it there), dryRun and fieldValidation, their causes in one 422 in the order of
 * kube's ValidateCreateOptions/ValidateUpdateOptions/ValidatePatchOptions. The manager recorded
 * when none is given is the User-Agent's product name (kube-apiserver's prefixFromUserAgent).
 */
export function managedWriteOptionsOf(q: Query, verb: WriteVerb, userAgent: string | undefined, patchType?: PatchType): WriteOptions {
  const dryRun = queryDryRun(q);
  const manager = queryValue(q, 'fieldManager');
  const force = queryValue(q, 'force');
  const errors: FieldError[] = [];
  if (verb === 'PatchOptions' && patchType !== 'apply' && force !== undefined) errors.push(fieldErr.forbidden('force', 'may not be specified for non-apply patch'));
  if (verb === 'PatchOptions' && patchType === 'apply' && !manager) errors.push(fieldErr.required('fieldManager', 'is required for apply patch'));
  errors.push(...validateFieldManager(manager, 'fieldManager'));
  errors.push(...dryRunErrors(dryRun));
  errors.push(...fieldValidationErrors(q['fieldValidation']));
  if (errors.length) throw ApiError.invalid({ ...metaGroup, resource: verb.toLowerCase(), kind: verb }, '', errors);
  const options: WriteOptions = { dryRun: dryRun.length > 0 };
  options.fieldManager = manager || (userAgent ?? '').split('/')[0]!.slice(0, 128);
  if (verb === 'PatchOptions' && boolValue(force)) options.force = true;
  return options;
}

const propagationPolicies = ['Foreground', 'Background', 'Orphan'];

/**
 * DeleteOptions rules kube-apiserver checks before deleting (ValidateDeleteOptions, 422 Invalid
 * DeleteOptions), in its order, the dryRun values last; its list of supported policies ends with
 * "nil" (an unset one). DeleteOptions carry no fieldValidation: kube ignores one.
 */
function validateDeleteOptions(q: Query, body: Record<string, unknown>, dryRun: unknown[]): void {
  const errors: FieldError[] = [];
  const policy = body['propagationPolicy'] ?? queryValue(q, 'propagationPolicy');
  const orphan = body['orphanDependents'] ?? queryValue(q, 'orphanDependents');
  if (orphan !== undefined && orphan !== null && policy !== undefined && policy !== null) {
    errors.push(fieldErr.invalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (policy !== undefined && policy !== null && !propagationPolicies.includes(policy as string)) {
    errors.push(fieldErr.notSupported('propagationPolicy', policy, [...propagationPolicies, 'nil']));
  }
  // A query value decodes as apimachinery's Convert_Slice_string_To_Pointer_int64 reads it (Go's
  // ParseInt and its error, 400 from the delete handler); a body's was type-checked already.
  if (body['gracePeriodSeconds'] === undefined || body['gracePeriodSeconds'] === null) int64Param(q, 'gracePeriodSeconds');
  errors.push(...dryRunErrors(dryRun));
  if (errors.length) throw ApiError.invalid({ ...metaGroup, resource: 'deleteoptions', kind: 'DeleteOptions' }, '', errors);
}

/**
 * DeleteOptions as kube-apiserver's delete and deletecollection handlers read them: from the body
 * when the request has one (any bytes, `{}` or `null` included; the query's options are then not
 * read at all), else from the query. `body` is undefined when the request had none.
 */
export function deleteOptionsOf(query: Query, sent: Record<string, unknown> | undefined): DeleteOptions {
  const q = sent === undefined ? query : {};
  const body = sent ?? {};
  checkDeleteOptionsKind(body);
  checkDeleteOptionTypes(body);
  const dryRun = sent === undefined ? queryDryRun(q) : ((body['dryRun'] ?? []) as unknown[]);
  validateDeleteOptions(q, body, dryRun);
  const options: DeleteOptions = { dryRun: dryRun.length > 0 };
  const pre = body['preconditions'] as { uid?: string | null; resourceVersion?: string | null } | null | undefined;
  if (pre) options.preconditions = { uid: pre.uid ?? undefined, resourceVersion: pre.resourceVersion ?? undefined };
  const orphanDependents = orphanDependentsOf(q, body);
  if (orphanDependents !== undefined) options.orphanDependents = orphanDependents;
  const propagation = propagationOf(q, body, orphanDependents);
  if (propagation) options.propagationPolicy = propagation;
  return options;
}

/** The legacy `orphanDependents` as given (body first, then query), if given. */
function orphanDependentsOf(q: Query, body: Record<string, unknown>): boolean | undefined {
  const orphan = body['orphanDependents'] ?? queryValue(q, 'orphanDependents');
  if (orphan === undefined || orphan === null) return undefined;
  return orphan === true || (typeof orphan === 'string' && boolValue(orphan));
}

/**
 * The propagation policy asked for, as kube-apiserver reads it (validated already): the legacy
 * `orphanDependents` true is Orphan and false is Background (its shouldOrphanDependents and
 * shouldDeleteDependents); absent, the kind's default applies.
 */
function propagationOf(q: Query, body: Record<string, unknown>, orphanDependents: boolean | undefined): DeletionPropagation | undefined {
  const policy = body['propagationPolicy'] ?? queryValue(q, 'propagationPolicy');
  if (typeof policy === 'string') return policy as DeletionPropagation;
  if (orphanDependents === undefined) return undefined;
  return orphanDependents ? 'Orphan' : 'Background';
}

/** The scheme kube-apiserver decodes a DELETE body with (metainternalversionscheme), as its errors name it. */
const META_SCHEME = 'k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme/register.go:27';
/** Kinds that scheme decodes in any version (unversioned), and those it holds in meta.k8s.io's versions. */
const META_UNVERSIONED_KINDS = new Set(['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'Status']);
const META_KINDS = new Set(['ListOptions', 'GetOptions', 'PatchOptions', 'Table', 'TableOptions', 'PartialObjectMetadata', 'PartialObjectMetadataList', 'WatchEvent']);

/**
 * A DELETE body naming another kind deletes nothing (kube-apiserver's delete handler): a kind the
 * meta scheme decodes is not DeleteOptions; any other kind is not in that scheme at all. Answered
 * 400, as kube-apiserver 1.35 answers a body it cannot decode (earlier versions, 500).
 */
function checkDeleteOptionsKind(body: Record<string, unknown>): void {
  const kind = body['kind'];
  if (typeof kind !== 'string' || kind === '' || kind === 'DeleteOptions') return;
  const apiVersion = typeof body['apiVersion'] === 'string' && body['apiVersion'] !== '' ? body['apiVersion'] : 'meta.k8s.io/v1';
  const decodes = META_UNVERSIONED_KINDS.has(kind) || (apiVersion.startsWith('meta.k8s.io/') && META_KINDS.has(kind));
  throw ApiError.badRequest(decodes ? 'decoded object cannot be converted to DeleteOptions' : `no kind "${kind}" is registered for version "${apiVersion}" in scheme "${META_SCHEME}"`);
}

/**
 * The DeleteOptions body decoded as Go decodes it: a field of the wrong JSON type is a 400 (null
 * is the zero value). A body that did not decode must not delete anything.
 */
function checkDeleteOptionTypes(body: Record<string, unknown>): void {
  // encoding/json names the struct that holds the field (Preconditions for its fields) and the Go type.
  const fail = (field: string, got: unknown, want: string, struct = 'DeleteOptions'): never => {
    const type = Array.isArray(got) ? 'array' : typeof got === 'object' ? 'object' : typeof got === 'boolean' ? 'bool' : typeof got;
    throw ApiError.badRequest(`json: cannot unmarshal ${type} into Go struct field ${struct}.${field} of type ${want}`);
  };
  const dryRun = body['dryRun'];
  if (dryRun !== undefined && dryRun !== null) {
    if (!Array.isArray(dryRun)) fail('dryRun', dryRun, '[]string');
    for (const v of dryRun as unknown[]) if (typeof v !== 'string') fail('dryRun', v, 'string');
  }
  const pre = body['preconditions'];
  if (pre !== undefined && pre !== null) {
    if (typeof pre !== 'object' || Array.isArray(pre)) fail('preconditions', pre, 'v1.Preconditions');
    for (const [key, want] of [['uid', 'types.UID'], ['resourceVersion', 'string']] as const) {
      const v = (pre as Record<string, unknown>)[key];
      if (v !== undefined && v !== null && typeof v !== 'string') fail(`preconditions.${key}`, v, want, 'Preconditions');
    }
  }
  for (const [key, want] of [['orphanDependents', 'boolean'], ['propagationPolicy', 'string']] as const) {
    const v = body[key];
    if (v !== undefined && v !== null && typeof v !== want) fail(key, v, want === 'boolean' ? 'bool' : 'v1.DeletionPropagation');
  }
  const grace = body['gracePeriodSeconds'];
  if (grace !== undefined && grace !== null && typeof grace !== 'number') fail('gracePeriodSeconds', grace, 'int64');
  // encoding/json quotes a number an int64 cannot hold (a fraction) as `number <literal>`.
  if (typeof grace === 'number' && !Number.isSafeInteger(grace)) {
    throw ApiError.badRequest(`json: cannot unmarshal number ${jsonNumberLiteral(grace)} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`);
  }
}
