import type { BasicCredentials } from '@app/registry';

/** One `auths` entry of a docker config: the registry key as written and its login. */
export interface DockerConfigEntry {
  registry: string;
  credentials: BasicCredentials;
}

/** `username`/`password`, or the base64 `auth` (`user:password`) docker login writes instead. */
function loginOf(entry: unknown): BasicCredentials | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const e = entry as { username?: unknown; password?: unknown; auth?: unknown };
  if (typeof e.username === 'string' && e.username && typeof e.password === 'string') return { username: e.username, password: e.password };
  if (typeof e.auth === 'string' && e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return null;
}

/**
 * The logins of a `.dockerconfigjson` (`{"auths": {...}}`) or legacy `.dockercfg` (the `auths`
 * map itself) value, in the order written (kube's credentialprovider reads both forms so).
 * Unusable entries are skipped; nothing here is ever logged.
 */
export function dockerConfigEntries(bytes: Buffer, json: boolean): DockerConfigEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const auths = json ? (parsed as { auths?: unknown } | null)?.auths : parsed;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) return [];
  const out: DockerConfigEntry[] = [];
  for (const [registry, entry] of Object.entries(auths)) {
    const credentials = loginOf(entry);
    if (credentials) out.push({ registry, credentials });
  }
  return out;
}

/** Docker Hub's names, which credentials stores treat as one registry. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The host[:port] a docker config key or an image's registry names: scheme and path stripped
 * (`https://index.docker.io/v1/` → `index.docker.io`), lower case, Docker Hub's names as one.
 */
export function registryKey(value: string): string {
  let host = value.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}
