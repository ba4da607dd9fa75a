import { type FieldError, fieldErr } from '@app/api-machinery';
import { type DockerImageReference, parseDockerImageReferenceOrNull } from '../reference/docker-reference';
import type { ImageStream, NamedTagEventList, TagReference } from '../imagestream/imagestream.types';
import { isRepositoryInsecure } from '../imagestream/insecure-repository';
import { canonicalRepository, type RegistryAllowList, registryHostPort, type RegistryTransport } from './registry-allow-list';

/**
 * The allowed-registries checks of openshift-apiserver's image validation (validation.go
 * *WithWhitelister): each refused reference is a Forbidden cause at its own field, for every user.
 */

/** What one object's references are checked against. */
export interface RegistryCheck {
  allow: RegistryAllowList;
  /** The object's openshift.io/image.insecureRepository annotation is "true". */
  insecureRepository: boolean;
  /** Canonical repositories the old object named (an update may keep naming them). */
  exempt?: ReadonlySet<string>;
}

/** upstream getWhitelistTransportForFlag(insecure, true): an insecure reference may be on port 80 or 443. */
export function transportFor(insecure: boolean): RegistryTransport {
  return insecure ? 'any' : 'secure';
}

const emptyReference: DockerImageReference = { registry: '', namespace: '', name: '', tag: '', id: '' };

/**
 * A DockerImage spec tag's `from.name` (ValidateImageStreamTagReference). One that does not parse
 * is reported as Invalid elsewhere; an empty one is checked as upstream checks it, as Docker Hub.
 */
export function tagReferenceRefusals(check: RegistryCheck, tag: TagReference, path: string): FieldError[] {
  if (tag.from?.kind !== 'DockerImage') return [];
  const ref = tag.from.name ? parseDockerImageReferenceOrNull(tag.from.name) : emptyReference;
  if (!ref) return [];
  const why = check.allow.refusal(ref, transportFor(tag.importPolicy?.insecure === true || check.insecureRepository), check.exempt);
  return why ? [fieldErr.forbidden(`${path}.from.name`, why)] : [];
}

/** spec.dockerImageRepository when it is otherwise valid (a repository without tag or ID). */
export function repositoryRefusals(check: RegistryCheck, repository: string | undefined): FieldError[] {
  if (!repository) return [];
  const ref = parseDockerImageReferenceOrNull(repository);
  if (!ref || ref.tag || ref.id) return [];
  const why = check.allow.refusal(ref, transportFor(check.insecureRepository), check.exempt);
  return why ? [fieldErr.forbidden('spec.dockerImageRepository', why)] : [];
}

/** The repositories a stream's spec names (collectImageStreamSpecImageReferences), canonical. */
export function specRepositories(stream: ImageStream): Set<string> {
  const specs = [stream.spec?.dockerImageRepository, ...(stream.spec?.tags ?? []).map((t) => (t.from?.kind === 'DockerImage' ? t.from.name : undefined))];
  const out = new Set<string>();
  for (const spec of specs) {
    const ref = spec ? parseDockerImageReferenceOrNull(spec) : null;
    if (ref) out.add(canonicalRepository(ref));
  }
  return out;
}

/**
 * Status references a write adds (ValidateImageStreamStatusUpdateWithWhitelister): a reference
 * already anywhere in the old status is kept as it is, allowed or not; a new one that is refused is
 * Forbidden at every item holding it. Insecure when the stream or that tag's import policy says so.
 */
export function statusReferenceRefusals(allow: RegistryAllowList, stream: ImageStream, next: NamedTagEventList[], old: NamedTagEventList[]): FieldError[] {
  const known = new Set(old.flatMap((t) => (t.items ?? []).map((i) => i.dockerImageReference)));
  const insecureRepository = isRepositoryInsecure(stream.metadata.annotations);
  const insecureTags = new Set((stream.spec?.tags ?? []).filter((t) => t.importPolicy?.insecure === true).map((t) => t.name));
  const added = new Map<string, { paths: string[]; insecure: boolean }>();
  for (const t of next) {
    (t.items ?? []).forEach((item, i) => {
      const spec = item.dockerImageReference;
      if (!spec || known.has(spec)) return;
      const entry = added.get(spec) ?? { paths: [], insecure: insecureRepository };
      entry.paths.push(`status.tags[${t.tag}].items[${i}].dockerImageReference`);
      entry.insecure ||= insecureTags.has(t.tag);
      added.set(spec, entry);
    });
  }
  const errors: FieldError[] = [];
  for (const [spec, { paths, insecure }] of added) {
    const ref = parseDockerImageReferenceOrNull(spec);
    if (!ref) continue;
    const why = allow.refusal(ref, transportFor(insecure));
    if (why) for (const path of paths) errors.push(fieldErr.forbidden(path, why));
  }
  return errors;
}

/** A status item a write adds: `status.tags[<tag>].items[<index>]` holds `reference`. */
export interface AddedStatusItem {
  tag: string;
  index: number;
  reference: string;
}

/**
 * Status items a trusted stream write adds (an ImageStreamImport; upstream's internal stream
 * strategy runs ValidateImageStreamWithWhitelister over the whole new status, the repositories of
 * the old spec and status exempt on an update): each refused one is Forbidden at its own item,
 * insecure when the stream or that tag's own importPolicy says so. In status order: by tag, then item.
 */
export function addedStatusRefusals(check: RegistryCheck, stream: ImageStream, items: AddedStatusItem[]): FieldError[] {
  const insecureTags = new Set((stream.spec?.tags ?? []).filter((t) => t.importPolicy?.insecure === true).map((t) => t.name));
  const ordered = [...items].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.index - b.index));
  const errors: FieldError[] = [];
  for (const item of ordered) {
    const ref = parseDockerImageReferenceOrNull(item.reference);
    if (!ref) continue;
    const why = check.allow.refusal(ref, transportFor(check.insecureRepository || insecureTags.has(item.tag)), check.exempt);
    if (why) errors.push(fieldErr.forbidden(`status.tags[${item.tag}].items[${item.index}].dockerImageReference`, why));
  }
  return errors;
}

/**
 * The mapping path's first look, without the stream: true when `reference` is allowed whether or
 * not the stream marks it insecure, so the mapping needs nothing more (see mappingRefusals).
 */
export function allowedEitherWay(allow: RegistryAllowList, reference: string): boolean {
  const ref = parseDockerImageReferenceOrNull(reference);
  return !ref || (allow.refusal(ref, 'secure') === null && allow.refusal(ref, 'any') === null);
}

/**
 * ImageStreamImport's own check (imagestreamimport strategy ValidateAllowedRegistries), made
 * upstream only for a user who may create neither Images nor ImageStreamMappings: each source's
 * registry as `host:port` (port by its importPolicy.insecure), the stream's annotation not
 * consulted. `importing images from registry "host:port" is forbidden: <refusal>`.
 */
export function importRefusals(
  allow: RegistryAllowList,
  spec: { images?: { from: { kind?: string; name?: string }; importPolicy?: { insecure?: boolean } }[]; repository?: { from: { kind?: string; name?: string }; importPolicy?: { insecure?: boolean } } },
): FieldError[] {
  const errors: FieldError[] = [];
  const check = (path: string, name: string | undefined, insecure: boolean): void => {
    const ref = (name ? parseDockerImageReferenceOrNull(name) : null) ?? emptyReference;
    const { host, port } = registryHostPort(ref.registry, insecure);
    const hostname = `${host}:${port}`;
    const why = allow.hostnameRefusal(hostname, 'secure');
    if (why) errors.push(fieldErr.forbidden(`${path}.from.name`, `importing images from registry ${JSON.stringify(hostname)} is forbidden: ${why}`));
  };
  const repository = spec.repository;
  if (repository && repository.from.kind === 'DockerImage') check('spec.repository', repository.from.name, repository.importPolicy?.insecure === true);
  (spec.images ?? []).forEach((image, i) => check(`spec.images[${i}]`, image.from.name, image.importPolicy?.insecure === true));
  return errors;
}

/** Every spec reference's refusal: spec.dockerImageRepository, then each DockerImage tag. */
export function specRefusals(check: RegistryCheck, stream: ImageStream): FieldError[] {
  return [...repositoryRefusals(check, stream.spec?.dockerImageRepository), ...(stream.spec?.tags ?? []).flatMap((t) => tagReferenceRefusals(check, t, `spec.tags[${t.name}]`))];
}

/** The canonical repositories of a stream's status references (its tag history). */
export function statusRepositories(tags: NamedTagEventList[]): Set<string> {
  const out = new Set<string>();
  for (const t of tags) {
    for (const item of t.items ?? []) {
      const ref = item.dockerImageReference ? parseDockerImageReferenceOrNull(item.dockerImageReference) : null;
      if (ref) out.add(canonicalRepository(ref));
    }
  }
  return out;
}
