import { apiVersionOf, checkNamespaceOnCreate, decodeTypedBody, fieldErr, type FieldError, isJsonObject, type ResourceInfo, VerbatimValue } from '@app/api-machinery';

/** What a review's create works on: the metadata as kube-apiserver's create handler leaves it, and the spec. */
export interface ReviewBody<S> {
  metadata: Record<string, unknown>;
  spec: S;
}

/** ObjectMeta's fields in Go's declaration order (encoding/json writes them so). */
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** rest.WipeObjectMetaSystemFields: what the create handler clears before any check. */
const SYSTEM_FIELDS = ['creationTimestamp', 'uid', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];

/**
 * A review's body as kube-apiserver's create handler hands it to the review's storage: decoded as
 * the resource's kind and version (400 otherwise, as for every kind: decodeTypedBody), the system
 * fields wiped (rest.WipeObjectMetaSystemFields), and the namespace the request's
 * (rest.EnsureObjectNamespaceMatchesRequestNamespace: 400 when the body names another, cleared for
 * the cluster-scoped reviews).
 */
export function decodeReview<S>(info: ResourceInfo, namespace: string, body: unknown): ReviewBody<S> {
  const obj = decodeTypedBody<{ metadata?: unknown; spec?: unknown }>(body, info.kind, apiVersionOf(info));
  const metadata = obj.metadata;
  if (info.namespaced) checkNamespaceOnCreate(metadata['namespace'], namespace);
  for (const field of SYSTEM_FIELDS) delete metadata[field];
  if (info.namespaced) metadata['namespace'] = namespace;
  else delete metadata['namespace'];
  const spec = (obj.spec && typeof obj.spec === 'object' && !Array.isArray(obj.spec) ? obj.spec : {}) as S;
  return { metadata, spec };
}

/** Go's zero value of a decoded JSON field, which apimachinery's semantic equality (nil == empty) counts as unset. */
function isZero(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** encoding/json's text of a decoded JSON value: map keys sorted, `<`, `>`, `&` and U+2028/9 escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, x]) => [k, sorted(x)]));
  };
  return JSON.stringify(sorted(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** An OwnerReference as json.Marshal writes the struct: apiVersion, kind, name and uid always, then the set pointers. */
function goOwnerReference(ref: unknown): string {
  const r = (ref && typeof ref === 'object' ? ref : {}) as Record<string, unknown>;
  const parts = ['apiVersion', 'kind', 'name', 'uid'].map((f) => `"${f}":${goJson(typeof r[f] === 'string' ? r[f] : '')}`);
  for (const f of ['controller', 'blockOwnerDeletion']) if (typeof r[f] === 'boolean') parts.push(`"${f}":${String(r[f])}`);
  return `{${parts.join(',')}}`;
}

/**
 * The ObjectMeta as field.Invalid prints it (json.Marshal of the Go struct): the fields in
 * declaration order, empty ones left out (omitempty) except creationTimestamp, a struct that
 * omitempty never leaves out and that a wiped one prints as null. managedFields are left out: kube
 * leaves them out of the comparison, and what its field manager would have written is not known here.
 */
function goObjectMeta(metadata: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const field of OBJECT_META_FIELDS) {
    if (field === 'creationTimestamp') parts.push('"creationTimestamp":null');
    else if (field === 'ownerReferences' && Array.isArray(metadata[field]) && !isZero(metadata[field])) parts.push(`"ownerReferences":[${metadata[field].map(goOwnerReference).join(',')}]`);
    else if (field !== 'managedFields' && !isZero(metadata[field])) parts.push(`${JSON.stringify(field)}:${goJson(metadata[field])}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * kube's ValidateSubjectAccessReview, ValidateSelfSubjectAccessReview and
 * ValidateLocalSubjectAccessReview on metadata: it must be empty (managedFields aside), a
 * LocalSubjectAccessReview's but for its namespace; the error quotes the whole ObjectMeta.
 */
export function reviewMetadataProblems(info: ResourceInfo, metadata: Record<string, unknown>): FieldError[] {
  const set = OBJECT_META_FIELDS.some((field) => field !== 'managedFields' && !(info.namespaced && field === 'namespace') && !isZero(metadata[field]));
  if (!set) return [];
  return [fieldErr.invalid('metadata', new VerbatimValue(goObjectMeta(metadata)), info.namespaced ? 'must be empty except for namespace' : 'must be empty')];
}

/**
 * kube's validateResourceAttributes (pkg/apis/authorization/validation): a fieldSelector or
 * labelSelector given in resourceAttributes must hold exactly one of rawSelector and requirements.
 */
export function resourceAttributesSelectorProblems(resourceAttributes: unknown): FieldError[] {
  if (!isJsonObject(resourceAttributes)) return [];
  const errors: FieldError[] = [];
  for (const name of ['fieldSelector', 'labelSelector']) {
    const selector = resourceAttributes[name];
    if (!isJsonObject(selector)) continue;
    const at = `spec.resourceAttributes.${name}`;
    const raw = selector['rawSelector'];
    const rawSelector = typeof raw === 'string' ? raw : '';
    const requirements = selector['requirements'];
    const hasRequirements = Array.isArray(requirements) && requirements.length > 0;
    if (rawSelector !== '' && hasRequirements) errors.push(fieldErr.invalid(`${at}.rawSelector`, rawSelector, 'may not specified at the same time as requirements'));
    if (rawSelector === '' && !hasRequirements) errors.push(fieldErr.required(`${at}.requirements`, `when ${at} is specified, requirements or rawSelector is required`));
  }
  return errors;
}
