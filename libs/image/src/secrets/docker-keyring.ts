import type { BasicCredentials } from '@app/registry';
import { DOCKER_HUB_HOSTS } from '../import/import-target';
import type { DockerConfigEntry } from './docker-config';


/** `host[:port]` lower case, Docker Hub's names as one. */
function normalHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_HOSTS.has(lower) ? 'docker.io' : lower;
}

/**
 * The keyring key of a docker config `auths` key, as kube's BasicDockerKeyring.Add computes it:
 * the scheme dropped, a leading `/v1/` or `/v2/` of the path dropped, `host` alone when no path
 * is left, else `host/path` (a login for one namespace or repository of a registry).
 */
export function keyringKey(location: string): string {
  const schemeless = location.trim().replace(/^https?:\/\//i, '');
  const slash = schemeless.indexOf('/');
  const host = normalHost(slash < 0 ? schemeless : schemeless.slice(0, slash));
  let path = slash < 0 ? '' : schemeless.slice(slash);
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? host + path : host;
}

function splitHostPort(host: string): { labels: string[]; port: string } {
  const colon = host.lastIndexOf(':');
  const bare = colon < 0 ? host : host.slice(0, colon);
  return { labels: bare.split('.'), port: colon < 0 ? '' : host.slice(colon + 1) };
}

/**
 * Go's path.Match for one host label (`*`, `?`, `[a-z]`, `[^…]`, `\` escapes), which kube uses
 * to match glob keys such as `*.registry.example.com`. Hand-written as a RegExp translation:
 * glob libraries on npm follow shell or minimatch rules (brace expansion, `!` negation, `**`),
 * not Go's, and a label has no separators to care about. A malformed pattern matches nothing, as
 * Go's ErrBadPattern does for kube.
 */
export function labelMatches(pattern: string, label: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '\\') {
      if (++i >= pattern.length) return false;
      source += escapeRegExp(pattern.charAt(i));
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false;
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\]\\^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else source += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${source}$`, 's').test(label);
  } catch {
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * kube's URLsMatch: the same port, as many host labels, each label matching its glob, and the
 * target's path starting with the key's path (a plain prefix, as kube compares them).
 */
export function keyMatches(key: string, target: string): boolean {
  const split = (s: string) => {
    const slash = s.indexOf('/');
    return { host: slash < 0 ? s : s.slice(0, slash), path: slash < 0 ? '' : s.slice(slash) };
  };
  const k = split(key);
  const t = split(target);
  const kh = splitHostPort(k.host);
  const th = splitHostPort(t.host);
  if (kh.port !== th.port || kh.labels.length !== th.labels.length) return false;
  if (!t.path.startsWith(k.path)) return false;
  return kh.labels.every((pattern, i) => labelMatches(pattern, th.labels[i] ?? ''));
}

/**
 * The logins of a namespace's pull secrets, looked up by image as kube's BasicDockerKeyring (which
 * OpenShift's ImageStreamImport builds from the namespace's pull secrets): every secret's entries
 * go into one keyring; keys are tried in reverse lexical order, so `registry/team/app` before
 * `registry/team` before `registry` (the most specific first); for one key, the first secret (in
 * the order added) wins.
 */
export class DockerKeyring {
  private readonly byKey = new Map<string, BasicCredentials>();
  private index: string[] = [];

  add(entries: readonly DockerConfigEntry[]): void {
    for (const entry of entries) {
      const key = keyringKey(entry.registry);
      if (!this.byKey.has(key)) this.byKey.set(key, entry.credentials);
    }
    this.index = [...this.byKey.keys()].sort().reverse();
  }

  /** The login for `repository` (a path such as `team/app`) of registry `host`, if any key matches. */
  lookup(host: string, repository: string): BasicCredentials | undefined {
    const target = `${normalHost(host)}/${repository}`;
    for (const key of this.index) if (keyMatches(key, target)) return this.byKey.get(key);
    return undefined;
  }
}
