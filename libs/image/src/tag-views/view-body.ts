import { ApiError, checkNameAgainstUrl, type ApiObject } from '@app/api-machinery';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Shape checks for a virtual kind's write body (as the generic store's decode): a JSON object
 * of this kind and version, in the request's namespace, named as the URL says (when given, an
 * absent name included, as kube-apiserver's update and patch handlers check).
 * Returns a copy with kind/apiVersion removed and metadata.namespace set.
 */
export function decodeViewBody<T extends ApiObject>(body: unknown, kind: string, namespace: string, urlName?: string): T {
  if (!isPlainObject(body)) throw ApiError.badRequest('the request body must be a JSON object');
  const obj = structuredClone(body) as unknown as T;
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== kind) {
    throw ApiError.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== 'image.openshift.io/v1') {
    throw ApiError.badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (image.openshift.io/v1)`,
    );
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (!isPlainObject(obj.metadata)) throw ApiError.badRequest('metadata must be an object');
  // An update or patch names its object in the URL: the handler's checkName (absent names too).
  if (urlName !== undefined) checkNameAgainstUrl(obj, namespace, urlName);
  if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
    throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = namespace;
  delete obj.kind;
  delete obj.apiVersion;
  return obj;
}

/** A field that must be an object or null/absent. */
export function objectOrNull<T>(value: unknown, field: string): T | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw ApiError.badRequest(`${field} must be an object`);
  return value as T;
}
