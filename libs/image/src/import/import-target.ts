import { exactReference, parseDockerImageReference } from '../reference/docker-reference';

/** Docker Hub's names: one registry to importers and credential stores. */
export const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Where one `from.name` is read: registry host, v2 repository path, tag or digest, and its pull spec. */
export interface ImportTarget {
  /** `host[:port]` to contact (Docker Hub names go to registry-1.docker.io). */
  host: string;
  /** v2 repository path (`library/` added for single-name Docker Hub images). */
  repository: string;
  /** Tag (`latest` when none) or digest. */
  reference: string;
  /** The name as written without tag/digest: dockerImageReference becomes `<pullSpec>@<digest>`. */
  pullSpec: string;
}

/** Throws the parser's ReferenceError for names validation let through only as `*`. */
export function importTargetOf(name: string, tagOverride?: string): ImportTarget {
  const ref = parseDockerImageReference(name);
  const registry = ref.registry || 'docker.io';
  const hub = DOCKER_HUB_HOSTS.has(registry);
  const path = ref.namespace ? `${ref.namespace}/${ref.name}` : hub ? `library/${ref.name}` : ref.name;
  return {
    host: hub ? 'registry-1.docker.io' : registry,
    repository: path,
    reference: tagOverride || ref.id || ref.tag || 'latest',
    pullSpec: exactReference({ ...ref, tag: '', id: '' }),
  };
}

/**
 * A name as upstream's importer prints it in per-image errors (distribution ParseNormalizedNamed):
 * Docker Hub names get `docker.io/` and, for a single path component, `library/`
 * (`busybox:1` → `docker.io/library/busybox:1`); other names stay as written. Unparsable names stay too.
 */
export function normalizedReference(name: string): string {
  let ref;
  try {
    ref = parseDockerImageReference(name);
  } catch {
    return name;
  }
  const registry = !ref.registry || ref.registry === 'index.docker.io' ? 'docker.io' : ref.registry;
  if (registry !== 'docker.io') return name;
  const namespace = ref.namespace || 'library';
  return exactReference({ ...ref, registry, namespace });
}
