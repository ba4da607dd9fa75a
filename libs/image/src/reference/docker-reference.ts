/**
 * Docker pull-spec grammar (distribution/reference, as narrowed by openshift/library-go).
 * Hand-written: the grammar is a handful of regular expressions and no maintained npm package
 * implements OpenShift's registry/namespace/name split.
 */
export interface DockerImageReference {
  registry: string;
  namespace: string;
  name: string;
  tag: string;
  id: string;
}

const nameComponent = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${hostComponent}(?:\\.${hostComponent})*(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const referenceRegex = new RegExp(
  `^((?:${domain}/)?${nameComponent}(?:/${nameComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const anchoredTag = new RegExp(`^${tagPattern}$`);
const digestLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export class ReferenceError extends Error {}

export function validateDigest(digest: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]+)$/.exec(digest);
  if (!m) return 'invalid checksum digest format';
  const want = digestLengths[m[1]!];
  if (want === undefined) return 'unsupported digest algorithm';
  if (m[2]!.length !== want) return 'invalid checksum digest length';
  return null;
}

export function isValidDigest(digest: string): boolean {
  return validateDigest(digest) === null;
}

export function isValidTag(tag: string): boolean {
  return anchoredTag.test(tag);
}

/** Parses `[registry/][namespace/]name[:tag][@digest]`; throws ReferenceError with upstream wording. */
export function parseDockerImageReference(spec: string): DockerImageReference {
  if (spec === '') throw new ReferenceError('repository name must have at least one component');
  const m = referenceRegex.exec(spec);
  if (!m) {
    if (referenceRegex.test(spec.toLowerCase())) throw new ReferenceError('repository name must be lowercase');
    throw new ReferenceError('invalid reference format');
  }
  const repo = m[1]!;
  // The limit counts the whole name, registry domain included (distribution/reference NameTotalLengthMax).
  if (repo.length > 255) throw new ReferenceError('repository name must not be more than 255 characters');
  const tag = m[2] ?? '';
  const id = m[3] ?? '';
  if (id) {
    const why = validateDigest(id);
    if (why) throw new ReferenceError(why);
  }
  // One segment that looks like a host (a `.`, or a `localhost` prefix) is a registry alone, its
  // `:x` a port rather than a tag (library-go reference.Parse isRegistryOnly): `localhost:5000`,
  // `quay.io`, `127.0.0.1:5000`. The registry keeps the rest as written; only a digest is an ID.
  if (!repo.includes('/') && (repo.includes('.') || repo.startsWith('localhost'))) {
    return { registry: `${repo}${tag ? `:${tag}` : ''}${id ? `@${id}` : ''}`, namespace: '', name: '', tag: '', id };
  }
  let segments = repo.split('/');
  let registry = '';
  const first = segments[0]!;
  if (segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    segments = segments.slice(1);
  }
  if (segments.length === 1) return { registry, namespace: '', name: segments[0]!, tag, id };
  return { registry, namespace: segments[0]!, name: segments.slice(1).join('/'), tag, id };
}

/** The parsed reference, or null where it does not parse (callers that then keep the spec as written). */
export function parseDockerImageReferenceOrNull(spec: string): DockerImageReference | null {
  try {
    return parseDockerImageReference(spec);
  } catch (e) {
    if (e instanceof ReferenceError) return null;
    throw e;
  }
}

/**
 * Prints only what is set: [registry/][namespace/]name[:tag|@id]. An id wins over the tag; one
 * that is not a digest (an image named otherwise) is printed as a tag, `name:<id>`, as
 * library-go's NameString does for v1 registry ids. Without a name (a registry-only reference)
 * it is empty, as library-go's Exact.
 */
export function exactReference(ref: DockerImageReference): string {
  if (!ref.name) return '';
  let out = '';
  if (ref.registry) out += `${ref.registry}/`;
  if (ref.namespace) out += `${ref.namespace}/`;
  out += ref.name;
  if (ref.id) out += isValidDigest(ref.id) ? `@${ref.id}` : `:${ref.id}`;
  else if (ref.tag) out += `:${ref.tag}`;
  return out;
}

/** `repo` without tag or digest. */
export function repositoryOf(spec: string): string {
  const ref = parseDockerImageReference(spec);
  return exactReference({ ...ref, tag: '', id: '' });
}

/** Image-name/ID prefix matching used by ImageStreamImage lookups (no minimum length upstream). */
export function digestOrImageMatch(imageName: string, id: string): boolean {
  if (imageName.startsWith(id)) return true;
  const colon = imageName.indexOf(':');
  return colon >= 0 && isValidDigest(imageName) && imageName.slice(colon + 1).startsWith(id);
}
