import { ApiError } from './api-error';
import { isRegisteredKind, SCHEME_NAME } from './kind-scheme';

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

interface TypedBody {
  kind?: unknown;
  apiVersion?: unknown;
}

const versionOf = (apiVersion: string) => apiVersion.slice(apiVersion.lastIndexOf('/') + 1);

/** The group's internal package, as Go prints the type converted into: `image` for image.openshift.io, `core` for the core group. */
function internalPackageOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? 'core' : apiVersion.slice(0, slash).split('.')[0]!;
}

/**
 * A body of another kind, worded as kube-apiserver's transformDecodeError words the decoder's
 * failure. The body is read in its own apiVersion (else the resource's): a kind the scheme does not
 * hold there (`imagestream` for `ImageStream`) fails the lookup; one it holds decodes and then does
 * not convert to the resource's type.
 */
function otherKindMessage(bodyKind: unknown, bodyApiVersion: unknown, kind: string, apiVersion: string): string {
  const bodyGroupVersion = typeof bodyApiVersion === 'string' && bodyApiVersion !== '' ? bodyApiVersion : apiVersion;
  const version = versionOf(bodyGroupVersion);
  const named = shown(bodyKind);
  const why = isRegisteredKind(bodyGroupVersion, named)
    ? `converting (${version}.${named}) to (${internalPackageOf(apiVersion)}.${kind}): unknown conversion`
    : `no kind "${named}" is registered for version "${bodyGroupVersion}" in scheme "${SCHEME_NAME}"`;
  return `${named} in version "${version}" cannot be handled as a ${kind}: ${why}`;
}

/**
 * The resource's kind in another apiVersion. One the scheme holds there (an image kind in the core
 * group's v1, which openshift-apiserver's legacy scheme keeps) decodes, and the create handler then
 * refuses its version; in any other version the decoder's lookup fails first.
 */
function otherVersionMessage(bodyApiVersion: unknown, kind: string, apiVersion: string): string {
  if (typeof bodyApiVersion !== 'string' || isRegisteredKind(bodyApiVersion, kind)) {
    return `the API version in the data (${shown(bodyApiVersion)}) does not match the expected API version (${apiVersion})`;
  }
  return `${kind} in version "${versionOf(bodyApiVersion)}" cannot be handled as a ${kind}: no kind "${kind}" is registered for version "${bodyApiVersion}" in scheme "${SCHEME_NAME}"`;
}

/**
 * The decoder's check of a body's type fields, as kube-apiserver words it (400): a kind or
 * apiVersion it names (absent, null and "" name none) must be the resource's.
 */
export function checkKindAndVersion(body: TypedBody, kind: string, apiVersion: string): void {
  if (body.kind !== undefined && body.kind !== null && body.kind !== '' && body.kind !== kind) {
    throw ApiError.badRequest(otherKindMessage(body.kind, body.apiVersion, kind, apiVersion));
  }
  if (body.apiVersion !== undefined && body.apiVersion !== null && body.apiVersion !== '' && body.apiVersion !== apiVersion) {
    throw ApiError.badRequest(otherVersionMessage(body.apiVersion, kind, apiVersion));
  }
}

/**
 * rest.EnsureObjectNamespaceMatchesRequestNamespace, on a create: a namespace the body names
 * (absent, null and "" name none) must be the request's (400).
 */
export function checkNamespaceOnCreate(objectNamespace: unknown, namespace: string): void {
  if (typeof objectNamespace === 'string' && objectNamespace !== '' && objectNamespace !== namespace) {
    throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

/**
 * A write body decoded as an object of the resource's kind: a JSON object whose type fields are
 * the resource's (checkKindAndVersion), copied, with `metadata` an object (absent or null: empty).
 */
export function decodeTypedBody<T extends { metadata?: unknown }>(body: unknown, kind: string, apiVersion: string): T & { metadata: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the request body must be a JSON object');
  const obj = structuredClone(body) as T & TypedBody;
  checkKindAndVersion(obj, kind, apiVersion);
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw ApiError.badRequest('metadata must be an object');
  return obj as T & { metadata: Record<string, unknown> };
}
