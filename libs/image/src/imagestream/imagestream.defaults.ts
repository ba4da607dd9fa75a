import type { ImageStream, TagReference } from './imagestream.types';

/** Fills the defaults the wire form always carries (openshift image/v1 defaults.go). */
export function defaultTagReference(tag: TagReference, defaultImportMode = 'Legacy'): void {
  if (tag.annotations === undefined) tag.annotations = null;
  if (tag.generation === undefined) tag.generation = null;
  tag.importPolicy = { ...(tag.importPolicy ?? {}) };
  if (!tag.importPolicy.importMode) tag.importPolicy.importMode = defaultImportMode;
  tag.referencePolicy = { type: tag.referencePolicy?.type || 'Source' };
}

/** Spec defaults plus de-duplication of tags by name (last wins) and sorting by name. */
export function defaultImageStreamSpec(stream: ImageStream): void {
  const spec = (stream.spec ??= { lookupPolicy: { local: false } });
  spec.lookupPolicy = { local: spec.lookupPolicy?.local === true };
  if (spec.tags) {
    const byName = new Map<string, TagReference>();
    for (const tag of spec.tags) {
      defaultTagReference(tag);
      byName.set(tag.name, tag);
    }
    spec.tags = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (spec.tags.length === 0) delete spec.tags;
  }
  if (spec.dockerImageRepository === '') delete spec.dockerImageRepository;
}
