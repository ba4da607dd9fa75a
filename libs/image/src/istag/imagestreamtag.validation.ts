import { type FieldError, fieldErr } from '@app/api-machinery';
import { validateTagReference } from '../imagestream/imagestream.validation';
import { normalizeUpdateMeta, sameMap, sameMeta, validateViewMeta } from '../tag-views/view-meta';
import type { ImageStreamTag } from './imagestreamtag.types';

function validateTag(ist: ImageStreamTag): FieldError[] {
  if (!ist.tag) return [];
  const errors = validateTagReference(ist.tag, 'tag');
  if (ist.tag.annotations !== null && ist.tag.annotations !== undefined && !sameMap(ist.tag.annotations, ist.metadata.annotations)) {
    errors.push(fieldErr.invalid('tag.annotations', '<map>', 'tag annotations must not be provided or must be equal to the object meta annotations'));
  }
  return errors;
}

/** ImageStreamTag create rules (openshift validation.go ValidateImageStreamTag). */
export function validateImageStreamTag(ist: ImageStreamTag): FieldError[] {
  return [...validateViewMeta(ist.metadata), ...validateTag(ist)];
}

/**
 * ImageStreamTag update rules: the tag reference is valid and only `tag` and
 * `metadata.annotations` may differ from the current view (lookupPolicy, generation, image and
 * conditions are ignored). `next.metadata` must already be normalized (normalizeUpdateMeta).
 */
export function validateImageStreamTagUpdate(next: ImageStreamTag, old: ImageStreamTag): FieldError[] {
  const errors = [...validateViewMeta(next.metadata), ...validateTag(next)];
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
