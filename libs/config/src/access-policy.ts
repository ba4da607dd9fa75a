import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load as loadYaml, YAMLException } from 'js-yaml';
import { isJsonObject, type UserInfo } from '@app/api-machinery';
import { ConfigError, type Env, envString } from './env-readers';
import { hashPasswordSync, parsePasswordHash, type PasswordHash } from './password-hash';

/** The registry actions a token can grant on a repository. */
export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'] as const;
export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

/**
 * Kubernetes' aggregate roles a grant may give on the API (API_AUTHORIZATION=Policy): `view`
 * reads (get, list, watch), `edit` also writes (create, update, patch, delete, deletecollection),
 * `admin` is `edit` here (kube's admin adds RBAC and quota objects, which this server does not
 * let a namespace's grant write).
 */
export const API_ROLES = ['view', 'edit', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/**
 * A request without credentials acts as the first subject, in the group of the second (as
 * Kubernetes authenticates it: a grant to either makes a namespace public, the way `oc policy
 * add-role-to-group system:image-puller system:unauthenticated` does); every user with
 * credentials is also in the third.
 */
export const ANONYMOUS_SUBJECT = 'system:anonymous';
export const UNAUTHENTICATED_SUBJECT = 'system:unauthenticated';
export const AUTHENTICATED_SUBJECT = 'system:authenticated';

export interface AccessUser {
  name: string;
  /** scrypt hash of the password: `passwordHash` in the file, or a plain `password` hashed at load. */
  password: PasswordHash;
  /**
   * SHA-256 (hex) of each bearer token the user may present to the API (`tokens` in the file,
   * hashed at load). A fast hash suffices for tokens, as for Kubernetes' and GitHub's: they are
   * random strings no dictionary holds, unlike passwords.
   */
  tokenSha256s: string[];
}

/**
 * `actions` on the repositories `<namespace>/...` of `namespaces` (`*` = all) for `subjects`, and
 * `roles` on the API objects of those namespaces (`*`: also cluster-scoped objects and lists
 * across namespaces).
 */
export interface AccessGrant {
  subjects: string[];
  namespaces: string[];
  actions: RepositoryAction[];
  roles: ApiRole[];
}

/** Who the users are and what each may do in the registry (ACCESS_POLICY_FILE). */
export interface AccessPolicy {
  users: AccessUser[];
  grants: AccessGrant[];
  /** Subjects that may list the catalog (`registry:catalog:*`). */
  catalog: string[];
  /** Wrong credentials allowed per client address and user name before 429s (`failedLogins` in the file). */
  failedLogins: FailedLoginLimit;
}

/** `burst` failures free, then one more every `intervalSeconds`; burst 0 = no limit. */
export interface FailedLoginLimit {
  burst: number;
  intervalSeconds: number;
}

export const DEFAULT_FAILED_LOGIN_LIMIT: FailedLoginLimit = { burst: 5, intervalSeconds: 10 };


export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Registry actions that come with an API role: OpenShift's aggregate `edit` and `admin` roles hold
 * `imagestreams/layers` get and update (pull and push; openshift-apiserver bootstrappolicy), `view`
 * none. Deleting needs cluster `delete images`, which no namespace role has: only `actions` give it.
 */
const ROLE_REPOSITORY_ACTIONS: Record<ApiRole, readonly RepositoryAction[]> = { view: [], edit: ['pull', 'push'], admin: ['pull', 'push'] };

/**
 * The repository actions `policy` grants to any of `subjects` (a user and the groups it is in) on
 * the repositories of `namespace`, by its `actions` and its `roles`; `''` (a cluster-wide question)
 * matches only `*` grants.
 */
export function grantedRepositoryActions(policy: AccessPolicy, subjects: readonly string[], namespace: string): Set<RepositoryAction> {
  const allowed = new Set<RepositoryAction>();
  for (const grant of policy.grants) {
    if (!grant.subjects.some((s) => subjects.includes(s))) continue;
    if (!grant.namespaces.some((n) => n === '*' || (namespace !== '' && n === namespace))) continue;
    for (const action of grant.actions) allowed.add(action);
    for (const role of grant.roles) for (const action of ROLE_REPOSITORY_ACTIONS[role]) allowed.add(action);
  }
  return allowed;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) throw new Error(`${where} must be a list of non-empty strings`);
  return value as string[];
}

function parseUser(u: unknown, i: number): AccessUser {
  if (!isJsonObject(u) || typeof u['name'] !== 'string' || u['name'] === '') throw new Error(`users[${i}].name is required`);
  const name = u['name'];
  if (name.startsWith('system:')) throw new Error(`users[${i}].name may not start with system:`);
  const tokenSha256s = u['tokens'] === undefined ? [] : stringList(u['tokens'], `users[${i}].tokens`).map(sha256Hex);
  const hashed = u['passwordHash'];
  const plain = u['password'];
  if (hashed !== undefined && plain !== undefined) throw new Error(`users[${i}] has both password and passwordHash: keep one`);
  if (typeof hashed === 'string') {
    try {
      return { name, password: parsePasswordHash(hashed), tokenSha256s };
    } catch (e) {
      throw new Error(`users[${i}].passwordHash ${(e as Error).message}`);
    }
  }
  if (typeof plain === 'string' && plain !== '') return { name, password: hashPasswordSync(plain), tokenSha256s };
  throw new Error(`users[${i}] needs a passwordHash ($scrypt$...) or a password`);
}

function failedLoginLimit(value: unknown): FailedLoginLimit {
  if (value === undefined) return DEFAULT_FAILED_LOGIN_LIMIT;
  if (!isJsonObject(value)) throw new Error('failedLogins must be a mapping of burst and intervalSeconds');
  const burst = value['burst'] ?? DEFAULT_FAILED_LOGIN_LIMIT.burst;
  const intervalSeconds = value['intervalSeconds'] ?? DEFAULT_FAILED_LOGIN_LIMIT.intervalSeconds;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0 || burst > 1000000) throw new Error('failedLogins.burst must be an integer from 0 to 1000000');
  if (typeof intervalSeconds !== 'number' || !Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > 3600) throw new Error('failedLogins.intervalSeconds must be an integer from 1 to 3600');
  return { burst, intervalSeconds };
}

/**
 * The policy file's YAML. js-yaml's message quotes the lines around a syntax error, and those
 * lines hold plain `password`s and API `tokens`: the error names only the reason and the place,
 * since it is printed at boot (logs).
 */
function loadPolicyYaml(text: string): unknown {
  try {
    return loadYaml(text);
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    const place = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
    throw new Error(`not valid YAML: ${e.reason}${place}`);
  }
}

/**
 * Reads the access policy (YAML or JSON): `users: [{name, passwordHash | password, tokens?}]`,
 * `grants: [{subjects, namespaces, actions?, roles?}]`, `catalog: [subjects]`, `failedLogins: {burst, intervalSeconds}`. Throws with the place of the
 * first problem.
 */
export function parseAccessPolicy(text: string): AccessPolicy {
  const doc = loadPolicyYaml(text);
  if (!isJsonObject(doc)) throw new Error('the policy must be a mapping with users, grants and catalog');
  const usersRaw = doc['users'] ?? [];
  if (!Array.isArray(usersRaw)) throw new Error('users must be a list');
  const users = usersRaw.map(parseUser);
  const names = new Set<string>();
  for (const u of users) {
    if (names.has(u.name)) throw new Error(`user ${u.name} is listed twice`);
    names.add(u.name);
  }
  const grantsRaw = doc['grants'] ?? [];
  if (!Array.isArray(grantsRaw)) throw new Error('grants must be a list');
  const grants = grantsRaw.map((g: unknown, i: number): AccessGrant => {
    if (!isJsonObject(g)) throw new Error(`grants[${i}] must be a mapping`);
    if (g['actions'] === undefined && g['roles'] === undefined) throw new Error(`grants[${i}] needs actions (registry) or roles (API), or both`);
    const actions = g['actions'] === undefined ? [] : stringList(g['actions'], `grants[${i}].actions`);
    const unknown = actions.find((a) => !(REPOSITORY_ACTIONS as readonly string[]).includes(a));
    if (unknown !== undefined) throw new Error(`grants[${i}].actions: unknown action ${unknown} (use ${REPOSITORY_ACTIONS.join(', ')})`);
    const roles = g['roles'] === undefined ? [] : stringList(g['roles'], `grants[${i}].roles`);
    const unknownRole = roles.find((r) => !(API_ROLES as readonly string[]).includes(r));
    if (unknownRole !== undefined) throw new Error(`grants[${i}].roles: unknown role ${unknownRole} (use ${API_ROLES.join(', ')})`);
    return {
      subjects: stringList(g['subjects'], `grants[${i}].subjects`),
      namespaces: stringList(g['namespaces'], `grants[${i}].namespaces`),
      actions: actions as RepositoryAction[],
      roles: roles as ApiRole[],
    };
  });
  const catalog = doc['catalog'] === undefined ? [] : stringList(doc['catalog'], 'catalog');
  return { users, grants, catalog, failedLogins: failedLoginLimit(doc['failedLogins']) };
}

/** Reads a file named by an environment variable at boot; a ConfigError naming it when it cannot. */
export function readConfigFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `cannot be read: ${(e as Error).message}`);
  }
}

/** ACCESS_POLICY_FILE; undefined when unset. */
export function loadAccessPolicy(env: Env): AccessPolicy | undefined {
  const file = envString(env, 'ACCESS_POLICY_FILE', '');
  if (file === '') return undefined;
  const text = readConfigFile('ACCESS_POLICY_FILE', file);
  try {
    return parseAccessPolicy(text);
  } catch (e) {
    throw new ConfigError('ACCESS_POLICY_FILE', `is not a valid policy: ${(e as Error).message}`);
  }
}

/**
 * The groups an authenticated user is in: a service account's own two (kube's
 * serviceaccount.MakeGroupNames; such users come only from impersonation, policy users may not be
 * named `system:…`) and `system:authenticated`, in the order kube-apiserver lists them.
 */
export function groupsOfUser(user: string): string[] {
  const serviceAccount = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  const own = serviceAccount ? ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1]}`] : [];
  return [...own, AUTHENTICATED_SUBJECT];
}

/** The subjects an authenticated user's request is authorized as: the user and its groups. */
export function subjectsOfUser(user: string): string[] {
  return [user, ...groupsOfUser(user)];
}

/** A user who authenticated with the policy's credentials (or is impersonated without groups). */
export function userInfoOf(user: string): UserInfo {
  return { username: user, groups: groupsOfUser(user) };
}

/** The subjects a request acting as `info` is authorized as. */
export function subjectsOf(info: UserInfo): string[] {
  return [info.username, ...info.groups];
}
