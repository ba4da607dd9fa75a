import {
  ApiError,
  apiVersionOf,
  checkNameAgainstUrl,
  checkNamespaceOnCreate,
  decodeTypedBody,
  type ApiObject,
  type ResourceInfo,
  type ViewApplier,
  type WriteOptions,
  isJsonObject,
} from '@app/api-machinery';

/**
 * Who applies to a tag view (server-side apply): the request's field manager, speaking the view's
 * apiVersion, with its force flag; the view's empty object is what before-first-apply compares with.
 */
export function viewApplier(info: ResourceInfo, options: WriteOptions): ViewApplier {
  return { writer: { manager: options.fieldManager ?? '', apiVersion: apiVersionOf(info) }, force: options.force === true, emptyObject: info.emptyObject };
}

/**
 * Shape checks for a virtual kind's write body (as the generic store's decode): a JSON object
 * of this kind and version, in the request's namespace, named as the URL says (when given, an
 * absent name included, as kube-apiserver's update and patch handlers check).
 * Returns a copy with kind/apiVersion removed and metadata.namespace set.
 */
export function decodeViewBody<T extends ApiObject>(body: unknown, kind: string, namespace: string, urlName?: string): T {
  const obj = decodeTypedBody<T>(body, kind, 'image.openshift.io/v1');
  // An update or patch names its object in the URL: the handler's checkName (absent names too).
  if (urlName !== undefined) checkNameAgainstUrl(obj, namespace, urlName);
  checkNamespaceOnCreate(obj.metadata.namespace, namespace);
  obj.metadata.namespace = namespace;
  delete obj.kind;
  delete obj.apiVersion;
  return obj;
}

/** A field that must be an object or null/absent. */
export function objectOrNull<T>(value: unknown, field: string): T | null {
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) throw ApiError.badRequest(`${field} must be an object`);
  return value as T;
}
