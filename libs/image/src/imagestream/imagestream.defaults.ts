import type { ImageStream, ImageStreamSpec, ObjectReference, TagEventCondition, TagReference } from './imagestream.types';

const objectReferenceFields = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'] as const;

/**
 * Drops the spec-tag fields the Go types omit when empty (`reference`, `importPolicy.insecure`
 * and `.scheduled`, every ObjectReference field), so a `false` or `""` sent is not echoed back.
 */
export function omitEmptyTagFields(tag: TagReference): void {
  if (tag.reference === false) delete tag.reference;
  const policy = tag.importPolicy;
  if (policy) {
    if (policy.insecure === false) delete policy.insecure;
    if (policy.scheduled === false) delete policy.scheduled;
  }
  const from = tag.from as (ObjectReference & Record<string, unknown>) | undefined;
  if (from && typeof from === 'object') {
    for (const field of objectReferenceFields) if (from[field] === '') delete from[field];
  }
}

/** A stored spec as it is written today (rows written before may still carry empty fields). */
export function canonicalSpecTags(spec: ImageStreamSpec): ImageStreamSpec {
  const out = structuredClone(spec);
  for (const tag of out.tags ?? []) omitEmptyTagFields(tag);
  return out;
}

/** TagEventCondition omits an empty reason and message. */
export function omitEmptyConditionFields(condition: TagEventCondition): TagEventCondition {
  const out = { ...condition };
  if (!out.reason) delete out.reason;
  if (!out.message) delete out.message;
  return out;
}

/** Fills the defaults the wire form always carries (openshift image/v1 defaults.go). */
export function defaultTagReference(tag: TagReference, defaultImportMode = 'Legacy'): void {
  // Stored as protobuf upstream, an empty map reads back as nil: `annotations` (no omitempty) is null.
  if (tag.annotations === undefined || (tag.annotations !== null && Object.keys(tag.annotations).length === 0)) tag.annotations = null;
  if (tag.generation === undefined) tag.generation = null;
  tag.importPolicy = { ...(tag.importPolicy ?? {}) };
  if (!tag.importPolicy.importMode) tag.importPolicy.importMode = defaultImportMode;
  tag.referencePolicy = { type: tag.referencePolicy?.type || 'Source' };
  omitEmptyTagFields(tag);
}

/** Spec defaults plus de-duplication of tags by name (last wins) and sorting by name. */
export function defaultImageStreamSpec(stream: ImageStream, defaultImportMode = 'Legacy'): void {
  const spec = (stream.spec ??= { lookupPolicy: { local: false } });
  spec.lookupPolicy = { local: spec.lookupPolicy?.local === true };
  if (spec.tags) {
    const byName = new Map<string, TagReference>();
    for (const tag of spec.tags) {
      defaultTagReference(tag, defaultImportMode);
      byName.set(tag.name, tag);
    }
    spec.tags = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (spec.tags.length === 0) delete spec.tags;
  }
  if (spec.dockerImageRepository === '') delete spec.dockerImageRepository;
}
