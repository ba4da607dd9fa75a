import { parseFieldSelectorSyntax } from '@app/api-machinery';

/**
 * What an authorizer decides on, as kube-apiserver's RequestInfo gives it (k8s.io/apiserver
 * endpoints/request/requestinfo.go): for a resource request the verb, API group, resource,
 * subresource, namespace and name; for any other path the path and the lowercase HTTP method.
 */
export interface RequestAttributes {
  resourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection ('' for another method); a non-resource request's lowercase method. */
  verb: string;
  /** The URL path (decoded), what a non-resource request is decided on. */
  path: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped objects and for lists and watches across all namespaces. */
  namespace: string;
  name: string;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Subresources of a namespace itself (`/api/v1/namespaces/{ns}/status`), not resources in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** apimachinery's bool query conversion: present and not `0`/`false` (any case) is true. */
const queryBool = (value: string | undefined): boolean => value !== undefined && value !== '0' && value.toLowerCase() !== 'false';

/** A `metadata.name=<name>` term of a list's field selector names the object, when it could be a path segment. */
function nameFromFieldSelector(selector: string | undefined): string {
  if (!selector) return '';
  let terms;
  try {
    terms = parseFieldSelectorSyntax(selector);
  } catch {
    return '';
  }
  const term = terms.find((t) => t.field === 'metadata.name' && t.op === '=');
  if (!term || term.value === '.' || term.value === '..' || term.value.includes('/') || term.value.includes('%')) return '';
  return term.value;
}

/**
 * The attributes of a request, read from its method and URL as kube-apiserver's RequestInfoFactory
 * reads them (but each path segment decoded after splitting, as this server's router does): `/api/{version}/…` (group "") and `/apis/{group}/{version}/…` with at least one
 * part after the version are resource requests; `/watch/` after the version makes the verb watch;
 * `namespaces/{ns}/` sets the namespace; then resource, name, subresource. A GET without a name
 * is a list, or a watch with `watch=true`, and a `metadata.name=` field selector names its object;
 * a DELETE without a name is a deletecollection. Anything else (`/api`, `/apis/{group}`, `/openapi/v2`,
 * `/metrics`) is a non-resource request for its path.
 */
export function requestAttributesOf(method: string, url: string): RequestAttributes {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  // The first value of a parameter, as Go's url.Values.Get reads it (`+` a space, bad escapes kept).
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  // Split before decoding, as the router matches: an escaped slash (%2F) stays inside its segment,
  // so the namespace and name decided on are the ones the route serves.
  const path = rawPath.split('/').map(decodedSegment).join('/');
  const attributes: RequestAttributes = { resourceRequest: false, verb: method.toLowerCase(), path, group: '', version: '', resource: '', subresource: '', namespace: '', name: '' };
  const trimmed = rawPath.replace(/^\/+|\/+$/g, '');
  let parts = trimmed === '' ? [] : trimmed.split('/').map(decodedSegment);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return attributes;
  const grouped = parts[0] === 'apis';
  parts = parts.slice(1);
  if (grouped) {
    if (parts.length < 3) return attributes;
    attributes.group = parts[0]!;
    parts = parts.slice(1);
  }
  attributes.resourceRequest = true;
  attributes.version = parts[0]!;
  parts = parts.slice(1);
  if (parts[0] === 'watch') {
    // kube-apiserver fails such a request (`unable to determine kind and namespace`); nothing to authorize it as.
    if (parts.length < 2) return { ...attributes, resourceRequest: false };
    attributes.verb = 'watch';
    parts = parts.slice(1);
  } else {
    attributes.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      attributes.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  attributes.resource = parts[0] ?? '';
  attributes.name = parts[1] ?? '';
  attributes.subresource = parts[2] ?? '';
  if (attributes.name === '' && attributes.verb === 'get') {
    attributes.verb = queryBool(query.get('watch') ?? undefined) ? 'watch' : 'list';
    attributes.name = nameFromFieldSelector(query.get('fieldSelector') ?? undefined);
  }
  if (attributes.name === '' && attributes.verb === 'delete') attributes.verb = 'deletecollection';
  return attributes;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The attributes an access review asks about (its spec's resourceAttributes or
 * nonResourceAttributes), for the same decision as a request. A resource given whole
 * (`imagestreams/status`, as some clients send it) is split into resource and subresource.
 */
/** Whether a served kind (group, resource) is cluster-scoped: its requests name no namespace. */
export type ClusterScoped = (group: string, resource: string) => boolean;

/**
 * The attributes an access review asks about, as the request itself would carry them: a
 * namespace named for a cluster-scoped kind (`get images` in `myproject`) is not one its requests
 * have, so it is not read (a namespace's grant would otherwise answer yes to what the API refuses).
 */
export function reviewAttributesOf(
  spec: { resourceAttributes?: Record<string, unknown>; nonResourceAttributes?: Record<string, unknown> },
  clusterScoped: ClusterScoped = () => false,
): RequestAttributes {
  const none: RequestAttributes = { resourceRequest: false, verb: '', path: '', group: '', version: '', resource: '', subresource: '', namespace: '', name: '' };
  const r = spec.resourceAttributes;
  if (!r) return { ...none, verb: str(spec.nonResourceAttributes?.['verb']), path: str(spec.nonResourceAttributes?.['path']) };
  let resource = str(r['resource']);
  let subresource = str(r['subresource']);
  const slash = resource.indexOf('/');
  if (subresource === '' && slash > 0) [resource, subresource] = [resource.slice(0, slash), resource.slice(slash + 1)];
  const group = str(r['group']);
  const namespace = clusterScoped(group, resource) ? '' : str(r['namespace']);
  return { ...none, resourceRequest: true, verb: str(r['verb']), group, version: str(r['version']), resource, subresource, namespace, name: str(r['name']) };
}
