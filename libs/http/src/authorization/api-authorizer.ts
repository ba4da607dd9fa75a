import { ApiError, type StatusDetails } from '@app/api-machinery';
import { type AccessPolicy, type ApiRole, AUTHENTICATED_SUBJECT } from '@app/config';
import { isPublicPath } from '../authentication/api-authentication';
import { defaultRoleBindingAllows, defaultRoleBindingRules } from './default-role-bindings';
import { EVERY_VERB_REFUSAL, isLayers, layersVerbRefusal, registryAccessStatus, registryActionOf } from './registry-access';
import type { RequestAttributes } from './request-attributes';

export interface AuthorizationDecision {
  allowed: boolean;
  /** Why, for a review's status (a 403 does not quote it, as kube-apiserver's RBAC gives none). */
  reason: string;
}

const READ_VERBS = ['get', 'list', 'watch'] as const;
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

/** The verbs of kube's aggregate roles; admin is edit here (see API_ROLES). */
export const ROLE_VERBS: Record<ApiRole, readonly string[]> = {
  view: READ_VERBS,
  edit: [...READ_VERBS, ...WRITE_VERBS],
  admin: [...READ_VERBS, ...WRITE_VERBS],
};

/**
 * Resources holding or listing secrets, which `view` leaves out as kube's view role leaves out
 * Secrets: core secrets and imagestreams/secrets (the pull secrets of a namespace), and
 * TriggerSecrets (reads never show their keys, but their header names and existence are the
 * trigger owner's business). `edit` and `admin` include them.
 */
const SECRET_LIKE = new Set(['secrets', 'imagestreams/secrets', 'triggersecrets']);

/**
 * Kinds a namespace's roles only read, so that only a grant on every namespace (`*`) writes them:
 * the core kinds that set a namespace's bounds (kube's edit and admin hold no write on namespaces,
 * resourcequotas or limitranges: a namespace's own grant cannot delete the namespace or lift its
 * quota), and `imagestreams/status` (OpenShift's aggregate admin and edit roles read it only; its
 * writers are the registry, pruners and controllers, and a status write could point a tag at any
 * image, past the checks of spec writes). Keyed `<group>/<resource>` without subresource for the
 * core kinds (their subresources follow them), with it for the image kind.
 */
const CLUSTER_WRITTEN = new Set(['/namespaces', '/resourcequotas', '/limitranges', 'image.openshift.io/imagestreams/status']);

function clusterWritten(group: string, resource: string, subresource: string): boolean {
  return CLUSTER_WRITTEN.has(`${group}/${resource}`) || (subresource !== '' && CLUSTER_WRITTEN.has(`${group}/${resource}/${subresource}`));
}

/** What kube gives `admin` and not `edit` among the kinds served here (namespace access reviews). */
const ADMIN_ONLY = new Set(['authorization.k8s.io/localsubjectaccessreviews']);

/** What every authenticated user may create about itself (kube's system:basic-user). */
const SELF_REVIEWS = new Set(['authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews']);

/**
 * Discovery and OpenAPI, readable by every authenticated user as kube's system:discovery role
 * has them (`/api`, `/api/*`, `/apis`, `/apis/*`, `/openapi`, `/openapi/*`, `/version`): clients
 * read them before anything else. (Health and `/version` are public: no credentials at all.)
 */
export function isDiscoveryPath(path: string): boolean {
  // `/api/../metrics` (or `/api%2F..%2Fmetrics`) is not discovery, whatever a router makes of it.
  if (path.split('/').some((s) => s === '..' || s === '.')) return false;
  return ['/api', '/apis', '/openapi'].some((p) => path === p || path.startsWith(`${p}/`)) || path === '/version' || path === '/version/';
}

const allow = (reason: string): AuthorizationDecision => ({ allowed: true, reason });

/** The first grant giving `subjects` a role on every namespace (`*`): what covers paths outside the API and impersonation. */
export function everywhereRoleGrant(policy: AccessPolicy, subjects: readonly string[]): number {
  return policy.grants.findIndex((g) => g.roles.length > 0 && g.namespaces.includes('*') && g.subjects.some((s) => subjects.includes(s)));
}
const deny = (reason: string): AuthorizationDecision => ({ allowed: false, reason });

/**
 * `impersonate` as kube's RBAC bootstrap roles grant it: users, groups, uids and extra fields only
 * to cluster-admin (here `admin` on every namespace); a namespace's service accounts also to its
 * `edit` and `admin` roles (kube's edit role holds `impersonate serviceaccounts`); never to `view`.
 */
function impersonationDecision(policy: AccessPolicy, subjects: readonly string[], a: RequestAttributes): AuthorizationDecision {
  const serviceAccount = a.group === '' && a.resource === 'serviceaccounts' && a.namespace !== '';
  for (const [i, g] of policy.grants.entries()) {
    if (!g.subjects.some((s) => subjects.includes(s))) continue;
    const everywhere = g.namespaces.includes('*');
    if (everywhere && g.roles.includes('admin')) return allow(`access policy grants[${i}] gives admin on every namespace, which impersonates anyone (cluster-admin)`);
    if (serviceAccount && (everywhere || g.namespaces.includes(a.namespace)) && g.roles.some((r) => r === 'edit' || r === 'admin')) {
      return allow(`access policy grants[${i}] gives ${g.roles.includes('admin') ? 'admin' : 'edit'} ${everywhere ? 'on every namespace' : `in namespace ${a.namespace}`}, which impersonates its service accounts`);
    }
  }
  return deny(serviceAccount ? `only edit or admin in namespace ${a.namespace} impersonates its service accounts` : 'only admin on every namespace (cluster-admin) impersonates users, groups, uids and extra fields');
}

/**
 * Does the access policy let `subjects` (a user and its groups, e.g. `system:authenticated`) do
 * what `a` describes? One answer for API requests (the 403 of requireApiAuthorization) and for
 * access reviews (`kubectl auth can-i`):
 * - non-resource paths: discovery and OpenAPI for every authenticated user; any other path
 *   (`/`, `/metrics`, `/admission/*`; none of them changes anything) for a role on `*`;
 * - the self reviews (`kubectl auth can-i`, `whoami`) for every authenticated user;
 * - image stream layers (`get` = pull, `update` = push, as OpenShift's registry asks): the
 *   registry `actions`, exactly as before and as the token endpoint grants them, never `roles`;
 *   any other verb on them is refused to everyone (OpenShift's roles grant layers no other verb);
 * - everything else: a grant to one of the subjects whose `namespaces` hold the request's
 *   namespace (or `*`, which alone covers cluster-scoped objects and lists across namespaces)
 *   with a role whose verbs hold the verb; `view` not on secret-like resources, writes to
 *   namespaces, resourcequotas, limitranges and imagestreams/status only from a grant on `*`, and
 *   LocalSubjectAccessReviews only from `admin`;
 * - then what OpenShift's default role bindings give (defaultRoleBindingAllows).
 */
export function authorize(policy: AccessPolicy, subjects: readonly string[], a: RequestAttributes): AuthorizationDecision {
  const authenticated = subjects.includes(AUTHENTICATED_SUBJECT);
  if (!a.resourceRequest) {
    // Health and version are served to anyone without credentials (kube's system:public-info-viewer
    // and system:discovery hold /healthz, /livez, /readyz, /version for every user): a
    // SelfSubjectAccessReview says so, as a SubjectAccessReview about the same path does.
    if (isPublicPath(a.path)) return allow('a public path: served without credentials');
    if (authenticated && a.verb === 'get' && isDiscoveryPath(a.path)) return allow('discovery and OpenAPI are readable by every authenticated user');
    const i = everywhereRoleGrant(policy, subjects);
    if (i >= 0) return allow(`access policy grants[${i}] gives ${policy.grants[i]!.roles[0]} on every namespace, which covers the paths outside the API`);
    return deny('only a role on every namespace (*) covers this path');
  }
  if (authenticated && a.verb === 'create' && a.subresource === '' && SELF_REVIEWS.has(`${a.group}/${a.resource}`)) {
    return allow('every authenticated user may ask about itself');
  }
  // A review may ask about `*` (every group, resource or verb): in RBAC only a rule listing `*`
  // itself matches that, which kube's aggregate roles never do (only cluster-admin's).
  if ([a.group, a.resource, a.subresource, a.verb].includes('*')) return deny(EVERY_VERB_REFUSAL);
  if (a.verb === 'impersonate') return impersonationDecision(policy, subjects, a);
  const layers = { group: a.group, resource: a.resource, subresource: a.subresource, verb: a.verb };
  if (isLayers(layers)) {
    const action = registryActionOf(layers);
    return action ? registryAccessStatus(policy, [...subjects], action, { namespace: a.namespace }) : layersVerbRefusal(a.verb);
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const secretLike = SECRET_LIKE.has(resource) || SECRET_LIKE.has(a.resource);
  const boundsWrite = clusterWritten(a.group, a.resource, a.subresource) && !(READ_VERBS as readonly string[]).includes(a.verb);
  const adminOnly = ADMIN_ONLY.has(`${a.group}/${a.resource}`);
  const place = a.namespace === '' ? 'at the cluster scope' : `in namespace ${a.namespace}`;
  for (const [i, g] of policy.grants.entries()) {
    if (!g.subjects.some((s) => subjects.includes(s))) continue;
    const everywhere = g.namespaces.includes('*');
    if (!everywhere && (a.namespace === '' || !g.namespaces.includes(a.namespace))) continue;
    if (boundsWrite && !everywhere) continue;
    for (const role of g.roles) {
      if (!ROLE_VERBS[role].includes(a.verb)) continue;
      if (role === 'view' && secretLike) continue;
      if (adminOnly && role !== 'admin') continue;
      return allow(`access policy grants[${i}] gives ${role} ${everywhere ? 'on every namespace' : place}`);
    }
  }
  const byDefault = defaultRoleBindingAllows(subjects, a);
  if (byDefault) return allow(byDefault);
  if (boundsWrite) return deny(`only a role on every namespace (*) writes ${resource}`);
  // A review may name no resource (a verb alone): no double space where it would be.
  return deny(`access policy gives no role that allows ${[a.verb, resource, place].filter((part) => part !== '').join(' ')}`);
}

/** Go's %q for the strings a forbidden message quotes (JSON's escaping for the printable ones). */
const q = (s: string): string => JSON.stringify(s);

/**
 * kube-apiserver's 403 for a request its authorizer refused (responsewriters.Forbidden: the
 * message of forbiddenMessage, wrapped by apimachinery's NewForbidden with the group and resource
 * (without subresource) and name; details leave empty fields out, as Go's omitempty does).
 */
export function forbiddenError(user: string, a: RequestAttributes): ApiError {
  let why: string;
  if (!a.resourceRequest) {
    why = `User ${q(user)} cannot ${a.verb} path ${q(a.path)}`;
  } else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace ${q(a.namespace)}` : 'at the cluster scope';
    why = `User ${q(user)} cannot ${a.verb} resource ${q(resource)} in API group ${q(a.group)} ${scope}`;
  }
  const group = a.resourceRequest ? a.group : '';
  const kind = a.resourceRequest ? a.resource : '';
  const name = a.resourceRequest ? a.name : '';
  const details: StatusDetails = {};
  if (name) details.name = name;
  if (group) details.group = group;
  if (kind) details.kind = kind;
  const qualified = group ? `${kind}.${group}` : kind;
  const message = qualified === '' ? `forbidden: ${why}` : name === '' ? `${qualified} is forbidden: ${why}` : `${qualified} ${q(name)} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, details);
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/** A served kind, as the rules name it: `resource` may be `kind/subresource`. */
export interface ServedKind {
  group: string;
  resource: string;
  namespaced: boolean;
  /** The verbs it serves (discovery's); a rule lists no verb the kind does not serve. Absent: all. */
  verbs?: readonly string[];
}

/** kube's system:discovery URLs (which hold system:public-info-viewer's health and version ones too). */
const DISCOVERY_URLS = ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'];

/**
 * What `authorize` allows `subjects` in `namespace`, as the rules of a SelfSubjectRulesReview
 * (`kubectl auth can-i --list`): the self reviews and discovery for an authenticated caller, the
 * registry's layers as its actions give them, and per role of each grant covering the namespace
 * the served kinds with the role's verbs (namespaced kinds only, plus the namespace itself, unless
 * the grant is on `*`; view without the secret-like kinds; the namespace's bounds and stream
 * status read-only unless on `*`; only the verbs each kind serves), then what OpenShift's default
 * role bindings give there (defaultRoleBindingRules). RBAC rules cannot subtract,
 * so kinds are listed by name rather than as `*`.
 */
export function rulesFor(policy: AccessPolicy, subjects: readonly string[], namespace: string, kinds: readonly ServedKind[]): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[] } {
  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  if (subjects.includes(AUTHENTICATED_SUBJECT)) {
    resourceRules.push({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    resourceRules.push({ verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] });
    nonResourceRules.push({ verbs: ['get'], nonResourceURLs: DISCOVERY_URLS });
  }
  for (const [action, verb] of [['pull', 'get'], ['push', 'update']] as const) {
    if (registryAccessStatus(policy, [...subjects], action, { namespace }).allowed) {
      resourceRules.push({ verbs: [verb], apiGroups: ['image.openshift.io', ''], resources: ['imagestreams/layers'] });
    }
  }
  const seen = new Set<string>();
  const add = (rule: ResourceRule) => {
    const key = JSON.stringify(rule);
    if (!seen.has(key)) resourceRules.push(rule);
    seen.add(key);
  };
  for (const g of policy.grants) {
    if (!g.subjects.some((s) => subjects.includes(s))) continue;
    const everywhere = g.namespaces.includes('*');
    if (!everywhere && (namespace === '' || !g.namespaces.includes(namespace))) continue;
    if (everywhere && g.roles.length > 0 && !nonResourceRules.some((r) => r.nonResourceURLs.includes('*'))) nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
    for (const role of g.roles) {
      const byVerbs = new Map<string, ResourceRule>();
      for (const kind of kinds) {
        if (!everywhere && !kind.namespaced) continue;
        if (kind.resource === 'imagestreams/layers') continue;
        if (role === 'view' && (SECRET_LIKE.has(kind.resource) || SECRET_LIKE.has(kind.resource.split('/')[0]!))) continue;
        if (role !== 'admin' && ADMIN_ONLY.has(`${kind.group}/${kind.resource}`)) continue;
        const [base, subresource = ''] = kind.resource.split('/');
        const bounded = !everywhere && clusterWritten(kind.group, base!, subresource);
        const verbs = (bounded ? [...READ_VERBS] : [...ROLE_VERBS[role]]).filter((v) => kind.verbs?.includes(v) ?? true);
        if (verbs.length === 0) continue;
        const key = `${kind.group}|${verbs.join(',')}`;
        const rule = byVerbs.get(key) ?? { verbs, apiGroups: [kind.group], resources: [] };
        rule.resources.push(kind.resource);
        byVerbs.set(key, rule);
      }
      for (const rule of byVerbs.values()) add({ ...rule, resources: rule.resources.sort() });
      if (!everywhere) add({ verbs: [...READ_VERBS], apiGroups: [''], resources: ['namespaces'], resourceNames: [namespace] });
    }
  }
  for (const rule of defaultRoleBindingRules(subjects, namespace, kinds)) add(rule);
  return { resourceRules, nonResourceRules };
}
