import { type FieldError, jsonEqual, type ResourceStrategy } from '@app/api-machinery';
import type { ImportMode } from '@app/registry';
import { canonicalSpecTags, defaultImageStreamSpec } from './imagestream.defaults';
import type { ImageStream, TagReference } from './imagestream.types';
import { validateImageStream } from './imagestream.validation';
import { sourceChangedTags, tagRefChanged } from './tag-changes';
import { tagSourceFailure, tagSourceFormErrors } from './tag-source-errors';
import type { RegistryCheck } from '../allowed-registries/allowed-registries.validation';
import { isRepositoryInsecure } from './insecure-repository';
import type { RegistryAllowList } from '../allowed-registries/registry-allow-list';

/**
 * ImageStream main-path rules (openshift-apiserver registry/imagestream/strategy.go): status is
 * never taken from the client (tag history lives in its own table and moves only through
 * mappings, tag resolution and the /status path); generation follows spec changes.
 */
export class ImageStreamStrategy implements ResourceStrategy<ImageStream> {
  /**
   * `defaultImportMode`: the importMode a spec tag that names none gets. `allowedRegistries`: the
   * configured allowedRegistriesForImport (null: every registry allowed, nothing checked).
   */
  constructor(
    private readonly defaultImportMode: ImportMode = 'Legacy',
    private readonly allowedRegistries: RegistryAllowList | null = null,
  ) {}

  /** A new stream's spec references must name allowed registries (an update's are checked with its old status: streamUpdateRefusals). */
  private registryCheck(obj: ImageStream): RegistryCheck | undefined {
    if (!this.allowedRegistries) return undefined;
    return { allow: this.allowedRegistries, insecureRepository: isRepositoryInsecure(obj.metadata.annotations) };
  }

  prepareForCreate(obj: ImageStream): void {
    delete obj.status;
    defaultImageStreamSpec(obj, this.defaultImportMode);
    obj.metadata.generation = 1;
    for (const tag of obj.spec.tags ?? []) tag.generation = 1;
  }

  /** Upstream's strategy puts the tag-source cause (tagSourceFailure) before field validation's. */
  private withSourceErrors(obj: ImageStream, tags: TagReference[], validation: FieldError[]): FieldError[] {
    const sources = tagSourceFormErrors(tags);
    return sources.length ? [tagSourceFailure(obj.metadata.name ?? '', sources), ...validation] : validation;
  }

  validate(obj: ImageStream): FieldError[] {
    return this.withSourceErrors(obj, obj.spec.tags ?? [], validateImageStream(obj, this.registryCheck(obj)));
  }

  canonicalize(obj: ImageStream): void {
    defaultImageStreamSpec(obj, this.defaultImportMode);
  }

  prepareForUpdate(obj: ImageStream, old: ImageStream): void {
    delete obj.status;
    defaultImageStreamSpec(obj, this.defaultImportMode);
    const oldGeneration = old.metadata.generation ?? 0;
    obj.metadata.generation = oldGeneration;
    const oldTags = new Map((old.spec.tags ?? []).map((t) => [t.name, t]));
    // Clients cannot set tag generations; 0 asks for a re-import, anything else keeps the old value.
    for (const tag of obj.spec.tags ?? []) {
      const before = oldTags.get(tag.name);
      if (before && tag.generation !== 0) tag.generation = before.generation;
    }
    // Compared with the stored spec as it would be written now, so empty fields an older row kept do not count as a change.
    if (!jsonEqual(obj.spec, canonicalSpecTags(old.spec)) || oldGeneration === 0) obj.metadata.generation = oldGeneration + 1;
    for (const tag of obj.spec.tags ?? []) {
      const before = oldTags.get(tag.name);
      if (!before || tagRefChanged(before, tag, obj.metadata.namespace ?? '') || tag.generation === null || tag.generation === 0) {
        tag.generation = obj.metadata.generation;
      }
    }
  }

  validateUpdate(obj: ImageStream, old: ImageStream): FieldError[] {
    // Only new or changed spec tags are resolved again, so only their sources are checked.
    return this.withSourceErrors(obj, sourceChangedTags(obj, old), validateImageStream(obj));
  }
}
