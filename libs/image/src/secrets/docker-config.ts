import type { BasicCredentials } from '@app/registry';

/** One `auths` entry of a docker config: the registry key as written and its login. */
export interface DockerConfigEntry {
  registry: string;
  credentials: BasicCredentials;
}

/**
 * The base64 `auth` (`user:password`) docker login writes, which wins over `username`/`password`
 * when both are there (kube's DockerConfigEntry.UnmarshalJSON decodes it over them).
 */
function loginOf(entry: unknown): BasicCredentials | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const e = entry as { username?: unknown; password?: unknown; auth?: unknown };
  if (typeof e.auth === 'string' && e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : null;
  }
  if (typeof e.username === 'string' && e.username && typeof e.password === 'string') return { username: e.username, password: e.password };
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
