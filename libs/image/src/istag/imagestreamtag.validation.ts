import { type FieldError, fieldErr } from '@app/api-machinery';
import { validateTagReference } from '../imagestream/imagestream.validation';
import type { RegistryCheck } from '../allowed-registries/allowed-registries.validation';
import { isRepositoryInsecure } from '../imagestream/insecure-repository';
import { canonicalRepository, type RegistryAllowList } from '../allowed-registries/registry-allow-list';
import { parseDockerImageReferenceOrNull } from '../reference/docker-reference';
import { normalizeUpdateMeta, sameMap, sameMeta, validateViewMeta, validateViewMetaUpdate } from '../tag-views/view-meta';
import type { ImageStreamTag } from './imagestreamtag.types';
import type { TagReference } from '../imagestream/imagestream.types';

/**
 * The allowed-registries check of a view's spec tag (ValidateImageStreamTag/ImageTag*WithWhitelister):
 * insecure by the view's own annotation; on update the old tag's DockerImage repository is exempt.
 */
export function viewRegistryCheck(
  allow: RegistryAllowList | null | undefined,
  annotations: Record<string, string> | null | undefined,
  oldTag?: TagReference | null,
): RegistryCheck | undefined {
  if (!allow) return undefined;
  const oldRef = oldTag?.from?.kind === 'DockerImage' && oldTag.from.name ? parseDockerImageReferenceOrNull(oldTag.from.name) : null;
  return { allow, insecureRepository: isRepositoryInsecure(annotations), ...(oldRef ? { exempt: new Set([canonicalRepository(oldRef)]) } : {}) };
}

function validateTag(ist: ImageStreamTag, registries?: RegistryCheck): FieldError[] {
  if (!ist.tag) return [];
  const errors = validateTagReference(ist.tag, 'tag', registries);
  if (ist.tag.annotations !== null && ist.tag.annotations !== undefined && !sameMap(ist.tag.annotations, ist.metadata.annotations)) {
    errors.push(fieldErr.invalid('tag.annotations', '<map>', 'tag annotations must not be provided or must be equal to the object meta annotations'));
  }
  return errors;
}

/** ImageStreamTag create rules (openshift validation.go ValidateImageStreamTag). */
export function validateImageStreamTag(ist: ImageStreamTag, allow?: RegistryAllowList | null): FieldError[] {
  return [...validateViewMeta(ist.metadata), ...validateTag(ist, viewRegistryCheck(allow, ist.metadata.annotations))];
}

/**
 * ImageStreamTag update rules: the tag reference is valid and only `tag` and
 * `metadata.annotations` may differ from the current view (lookupPolicy, generation, image and
 * conditions are ignored). `next.metadata` must already be normalized (normalizeUpdateMeta).
 */
export function validateImageStreamTagUpdate(next: ImageStreamTag, old: ImageStreamTag, allow?: RegistryAllowList | null): FieldError[] {
  const errors = [...validateViewMetaUpdate(next.metadata, old.metadata), ...validateTag(next, viewRegistryCheck(allow, next.metadata.annotations, old.tag))];
  if (!sameMeta(next.metadata, old.metadata, ['annotations'])) {
    errors.push(fieldErr.invalid('metadata', '', 'may not update fields other than metadata.annotations'));
  }
  return errors;
}

/**
 * The istag update path's preparation (strategy PrepareForUpdate plus the handler's label
 * defaulting): tag annotations follow metadata annotations; image and conditions are the
 * current ones; labels left out by old clients default to the stream's.
 */
export function prepareImageStreamTagUpdate(next: ImageStreamTag, old: ImageStreamTag): void {
  if ((!next.metadata.labels || !Object.keys(next.metadata.labels).length) && old.metadata.labels) {
    next.metadata.labels = { ...old.metadata.labels };
  }
  next.metadata = normalizeUpdateMeta(next.metadata, old.metadata);
  if (next.tag) next.tag.annotations = next.metadata.annotations ?? null;
  next.image = old.image;
  if (old.conditions) next.conditions = old.conditions;
  else delete next.conditions;
}
