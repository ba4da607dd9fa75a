import type { DockerImageReference } from '../reference/docker-reference';

/**
 * allowedRegistriesForImport (openshift-apiserver validation/whitelist/whitelister.go): which
 * registries image references may name. Pure: no I/O, built once at boot.
 */

/** One configured entry (openshift/api openshiftcontrolplane/v1 RegistryLocation). */
export interface AllowedRegistry {
  /** `host` or `host:port`, each part a case-sensitive glob of `*` and `?`. */
  domainName: string;
  /** Without a port: false means port 443, true port 80. */
  insecure?: boolean;
}

/**
 * How a reference is read (upstream WhitelistTransport). The image API uses `secure`, or `any`
 * where the reference is marked insecure (importPolicy.insecure, the stream's
 * openshift.io/image.insecureRepository annotation): then a reference without a port may be on 80
 * or 443.
 */
export type RegistryTransport = 'secure' | 'insecure' | 'any';

interface HostPortGlob {
  host: string;
  port: string;
}

const dockerHub = 'docker.io';
const dockerHubV1 = 'index.docker.io';
const dockerHubV2 = 'registry-1.docker.io';
/** Registries listed in a refusal before `and N more ...`. */
const showMax = 5;

export class AllowedRegistriesError extends Error {}

/**
 * `*` any run of bytes (none too), `?` one byte; everything else literal and case-sensitive.
 * Compared as UTF-8 bytes, as upstream's IsWildcardMatch compares Go strings. Hand-written on
 * purpose: glob libraries (minimatch, picomatch) give `*` path semantics, braces and classes, so
 * the same pattern would match other hosts than OpenShift's.
 */
export function wildcardMatch(input: string, pattern: string): boolean {
  const s = Buffer.from(input, 'utf8');
  const p = Buffer.from(pattern, 'utf8');
  const star = 0x2a;
  const any = 0x3f;
  let i = 0;
  let j = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (i < s.length) {
    if (j < p.length && (p[j] === any || (p[j] !== star && p[j] === s[i]))) {
      i++;
      j++;
    } else if (j < p.length && p[j] === star) {
      starAt = j++;
      resumeAt = i;
    } else if (starAt >= 0) {
      j = starAt + 1;
      i = ++resumeAt;
    } else return false;
  }
  while (j < p.length && p[j] === star) j++;
  return j === p.length;
}

/** Go's %q for the strings shown here: quotes and backslashes escaped, control bytes as \xNN. */
function quote(s: string): string {
  const named: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (named[ch]) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's net.SplitHostPort for the registries a reference can name (no IPv6 literal): null without a port. */
function splitHostPort(hostport: string): HostPortGlob | null {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return null;
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** library-go DockerImageReference.RegistryHostPort: Docker Hub as registry-1.docker.io, the default port by transport. */
export function registryHostPort(registry: string, insecure: boolean): { host: string; port: string } {
  let host = registry === dockerHub || registry === dockerHubV1 ? dockerHubV2 : registry;
  if (host === '') host = dockerHub;
  if (host.includes(':')) return splitHostPort(host)!;
  return { host, port: insecure ? '80' : '443' };
}

/**
 * The repository a reference names, with Docker's defaults (library-go
 * `DockerClientDefaults().AsRepository().Exact()`): `busybox:1` is `docker.io/library/busybox`.
 * An update may keep naming a repository its stream already named, allowed or not.
 */
export function canonicalRepository(ref: DockerImageReference): string {
  const registry = ref.registry || dockerHub;
  const namespace = ref.namespace || (registry === dockerHub || registry === dockerHubV1 || registry === dockerHubV2 ? 'library' : '');
  return `${registry}/${namespace ? `${namespace}/` : ''}${ref.name}`;
}

/**
 * The configured list plus the internal registry, in upstream's order: the internal registry
 * first (openshift-apiserver adds it on first use), then the entries as given; an entry equal to
 * an earlier-listed one is kept only where it last appears. Without a port an entry means 443,
 * or 80 when insecure; more than one colon is refused at boot.
 */
function buildGlobs(entries: readonly AllowedRegistry[], internalRegistryHostname: string): HostPortGlob[] {
  let globs: HostPortGlob[] = [];
  const prepend = (domainName: string, insecure: boolean): void => {
    const parts = domainName.split(':');
    if (parts.length > 2) throw new AllowedRegistriesError(`failed to parse allowed registry ${quote(domainName)}: too many colons`);
    const glob = parts.length === 2 ? { host: parts[0]!, port: parts[1]! } : { host: parts[0]!, port: insecure ? '80' : '443' };
    if (!globs.some((g) => g.host === glob.host && g.port === glob.port)) globs = [glob, ...globs];
  };
  for (let i = entries.length - 1; i >= 0; i--) prepend(entries[i]!.domainName, entries[i]!.insecure === true);
  if (internalRegistryHostname) prepend(internalRegistryHostname, false);
  return globs;
}

/**
 * A non-empty allowedRegistriesForImport. An empty list allows every registry: callers then hold
 * no RegistryAllowList at all (see fromConfig), so that case costs nothing.
 */
export class RegistryAllowList {
  private readonly globs: HostPortGlob[];
  /** The list as refusals print it. */
  private readonly shown: string;

  private constructor(entries: readonly AllowedRegistry[], internalRegistryHostname: string) {
    this.globs = buildGlobs(entries, internalRegistryHostname);
    const quoted = this.globs.map((g) => quote(`${g.host}:${g.port}`));
    this.shown =
      quoted.length <= showMax
        ? quoted.join(', ')
        : `${quoted.slice(0, showMax - 1).join(', ')}, and ${quoted.length - showMax + 1} more ...`;
  }

  /** Null for an empty list (every registry allowed, as upstream's WhitelistAllRegistries). Throws AllowedRegistriesError. */
  static fromConfig(entries: readonly AllowedRegistry[], internalRegistryHostname: string): RegistryAllowList | null {
    return entries.length === 0 ? null : new RegistryAllowList(entries, internalRegistryHostname);
  }

  /** For tests of the refusal wording: a list without the internal registry, possibly empty. */
  static exactly(entries: readonly AllowedRegistry[]): RegistryAllowList {
    return new RegistryAllowList(entries, '');
  }

  /**
   * Why `ref` may not be used, or null when it may (upstream AdmitDockerImageReference).
   * `exempt`: canonical repositories (canonicalRepository) allowed whatever their registry.
   */
  refusal(ref: DockerImageReference, transport: RegistryTransport, exempt?: ReadonlySet<string>): string | null {
    if (exempt && exempt.size > 0 && exempt.has(canonicalRepository(ref))) return null;
    let host: string;
    let port: string;
    if (transport === 'any') {
      const split = splitHostPort(ref.registry);
      ({ host, port } = split && split.port !== '' ? split : { host: ref.registry, port: '' });
      if (host === '') host = registryHostPort(ref.registry, false).host;
    } else ({ host, port } = registryHostPort(ref.registry, transport === 'insecure'));

    // registry-1.docker.io and index.docker.io are tried as docker.io first (so `docker.io:*` covers them).
    if ((host === dockerHubV1 || host === dockerHubV2) && this.matches(dockerHub, port)) return null;
    if (this.matches(host, port)) return null;

    const hostname = ref.registry || (port ? `${host}:${port}` : host);
    if (this.globs.length === 0) return `registry ${quote(hostname)} not allowed by empty whitelist`;
    return `registry ${quote(hostname)} not allowed by whitelist: ${this.shown}`;
  }

  /** A bare `host[:port]` (upstream AdmitHostname), as ImageStreamImport checks it. */
  hostnameRefusal(hostname: string, transport: RegistryTransport): string | null {
    return this.refusal({ registry: hostname, namespace: '', name: '', tag: '', id: '' }, transport);
  }

  private matches(host: string, port: string): boolean {
    for (const g of this.globs) {
      if (!wildcardMatch(host, g.host)) continue;
      // A reference without a port (transport `any`) may use either default port.
      if (port === '') {
        if (g.port === '80' || g.port === '443' || g.port === '*') return true;
        continue;
      }
      if (wildcardMatch(port, g.port)) return true;
    }
    return false;
  }
}
