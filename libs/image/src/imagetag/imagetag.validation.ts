import { type FieldError, fieldErr, goSemanticEqual } from '@app/api-machinery';
import { validateTagReference } from '../imagestream/imagestream.validation';
import type { RegistryCheck } from '../allowed-registries/allowed-registries.validation';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';
import { viewRegistryCheck } from '../istag/imagestreamtag.validation';
import { tagForCreate } from '../tag-views/stream-tag-names';
import { normalizeUpdateMeta, sameMeta, validateViewMeta, validateViewMetaUpdate } from '../tag-views/view-meta';
import type { ImageTag } from './imagetag.types';

function validateSpec(itag: ImageTag, registries?: RegistryCheck): FieldError[] {
  if (!itag.spec) return [];
  const errors: FieldError[] = [];
  // library-go SplitImageStreamTag: ok with a `:`, the tag being what follows the first one (`latest` when empty).
  const name = itag.metadata.name ?? '';
  if (!name.includes(':') || itag.spec.name !== tagForCreate(name)) errors.push(fieldErr.invalid('spec.name', itag.spec.name ?? '', 'must match image tag name'));
  errors.push(...validateTagReference(itag.spec, 'spec', registries));
  return errors;
}

/** ImageTag create rules: `spec` is required and names the tag of the object's name. */
export function validateImageTag(itag: ImageTag, allow?: RegistryAllowList | null): FieldError[] {
  const errors = validateViewMeta(itag.metadata);
  if (!itag.spec) errors.push(fieldErr.required('spec', 'spec is a required field during creation'));
  return [...errors, ...validateSpec(itag, viewRegistryCheck(allow, itag.metadata.annotations))];
}

/** ImageTag update rules: only `spec` may change (metadata and status must be the current ones). */
export function validateImageTagUpdate(next: ImageTag, old: ImageTag, allow?: RegistryAllowList | null): FieldError[] {
  const errors = [...validateViewMetaUpdate(next.metadata, old.metadata), ...validateSpec(next, viewRegistryCheck(allow, next.metadata.annotations, old.spec))];
  if (!sameMeta(normalizeUpdateMeta(next.metadata, old.metadata), old.metadata)) {
    errors.push(fieldErr.invalid('metadata', '', 'may not update fields other than spec'));
  }
  // Compared as upstream's Semantic.DeepEqual compares the decoded objects: a status read back
  // (`items: null` dropped by decoding, `[]` for null, a time with milliseconds) is the same status.
  if (!goSemanticEqual(next.status ?? null, old.status ?? null)) {
    errors.push(fieldErr.invalid('status', '', 'may not update fields other than spec'));
  }
  return errors;
}
