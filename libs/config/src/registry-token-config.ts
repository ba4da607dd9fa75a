import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { ConfigError, type Env, envInt, envString } from './env-readers';

/** The registry actions a token can grant on a repository. */
export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'] as const;
export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

/** A request without credentials acts as this subject; every user with credentials is also in the second. */
export const ANONYMOUS_SUBJECT = 'system:anonymous';
export const AUTHENTICATED_SUBJECT = 'system:authenticated';

export interface TokenUser {
  name: string;
  /** SHA-256 (hex) of the password; a plain `password` in the file is hashed at load. */
  passwordSha256: string;
}

/** `actions` on the repositories `<namespace>/...` of `namespaces` (`*` = all) for `subjects`. */
export interface TokenGrant {
  subjects: string[];
  namespaces: string[];
  actions: RepositoryAction[];
}

export interface TokenPolicy {
  users: TokenUser[];
  grants: TokenGrant[];
  /** Subjects that may list the catalog (`registry:catalog:*`). */
  catalog: string[];
}

/** The registry token endpoint (`GET /registry/token`); absent = endpoint off. */
export interface RegistryTokenConfig {
  /** PEM private key (EC P-256 → ES256, RSA → RS256) whose certificate is the registry's rootcertbundle. */
  keyPem: string;
  /** The registry's `auth.token.issuer`. */
  issuer: string;
  /** The registry's `auth.token.service`; a request for another service is refused. */
  service: string;
  ttlSeconds: number;
  policy: TokenPolicy;
}

/**
 * The repository actions `policy` grants to any of `subjects` (a user and the groups it is in) on
 * the repositories of `namespace`; `''` (a cluster-wide question) matches only `*` grants.
 */
export function grantedRepositoryActions(policy: TokenPolicy, subjects: readonly string[], namespace: string): Set<RepositoryAction> {
  const allowed = new Set<RepositoryAction>();
  for (const grant of policy.grants) {
    if (!grant.subjects.some((s) => subjects.includes(s))) continue;
    if (!grant.namespaces.some((n) => n === '*' || (namespace !== '' && n === namespace))) continue;
    for (const action of grant.actions) allowed.add(action);
  }
  return allowed;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) throw new Error(`${where} must be a list of non-empty strings`);
  return value as string[];
}

/**
 * Reads the access policy file (YAML or JSON):
 * `users: [{name, password | passwordSha256}]`, `grants: [{subjects, namespaces, actions}]`, `catalog: [subjects]`.
 * Throws with the place of the first problem.
 */
export function parseTokenPolicy(text: string): TokenPolicy {
  const doc = loadYaml(text);
  if (!isRecord(doc)) throw new Error('the policy must be a mapping with users, grants and catalog');
  const users = (Array.isArray(doc['users']) ? doc['users'] : doc['users'] === undefined ? [] : null)?.map((u: unknown, i: number): TokenUser => {
    if (!isRecord(u) || typeof u['name'] !== 'string' || u['name'] === '') throw new Error(`users[${i}].name is required`);
    if (u['name'].startsWith('system:')) throw new Error(`users[${i}].name may not start with system:`);
    if (typeof u['passwordSha256'] === 'string' && /^[0-9a-f]{64}$/i.test(u['passwordSha256'])) return { name: u['name'], passwordSha256: u['passwordSha256'].toLowerCase() };
    if (typeof u['password'] === 'string' && u['password'] !== '') {
      return { name: u['name'], passwordSha256: createHashHex(u['password']) };
    }
    throw new Error(`users[${i}] needs a password or a passwordSha256 (64 hex digits)`);
  });
  if (!users) throw new Error('users must be a list');
  const names = new Set<string>();
  for (const u of users) {
    if (names.has(u.name)) throw new Error(`user ${u.name} is listed twice`);
    names.add(u.name);
  }
  const grantsRaw = doc['grants'] ?? [];
  if (!Array.isArray(grantsRaw)) throw new Error('grants must be a list');
  const grants = grantsRaw.map((g: unknown, i: number): TokenGrant => {
    if (!isRecord(g)) throw new Error(`grants[${i}] must be a mapping`);
    const actions = stringList(g['actions'], `grants[${i}].actions`);
    const unknown = actions.find((a) => !(REPOSITORY_ACTIONS as readonly string[]).includes(a));
    if (unknown !== undefined) throw new Error(`grants[${i}].actions: unknown action ${unknown} (use ${REPOSITORY_ACTIONS.join(', ')})`);
    return { subjects: stringList(g['subjects'], `grants[${i}].subjects`), namespaces: stringList(g['namespaces'], `grants[${i}].namespaces`), actions: actions as RepositoryAction[] };
  });
  const catalog = doc['catalog'] === undefined ? [] : stringList(doc['catalog'], 'catalog');
  return { users, grants, catalog };
}

function createHashHex(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

function readFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `cannot be read: ${(e as Error).message}`);
  }
}

/** REGISTRY_TOKEN_* variables; undefined when REGISTRY_TOKEN_KEY_FILE is not set (endpoint off). */
export function loadRegistryTokenConfig(env: Env): RegistryTokenConfig | undefined {
  const keyFile = envString(env, 'REGISTRY_TOKEN_KEY_FILE', '');
  if (keyFile === '') return undefined;
  const policyFile = envString(env, 'REGISTRY_TOKEN_POLICY_FILE', '');
  if (policyFile === '') throw new ConfigError('REGISTRY_TOKEN_POLICY_FILE', 'is required with REGISTRY_TOKEN_KEY_FILE');
  let policy: TokenPolicy;
  try {
    policy = parseTokenPolicy(readFile('REGISTRY_TOKEN_POLICY_FILE', policyFile));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('REGISTRY_TOKEN_POLICY_FILE', `is not a valid policy: ${(e as Error).message}`);
  }
  return {
    keyPem: readFile('REGISTRY_TOKEN_KEY_FILE', keyFile),
    issuer: envString(env, 'REGISTRY_TOKEN_ISSUER', 'imagestreamd'),
    service: envString(env, 'REGISTRY_TOKEN_SERVICE', 'imagestreamd-registry'),
    ttlSeconds: envInt(env, 'REGISTRY_TOKEN_TTL_SECONDS', 300, 60, 86400),
    policy,
  };
}
