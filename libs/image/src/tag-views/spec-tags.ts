import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import { defaultTagReference, omitEmptyTagFields } from '../imagestream/imagestream.defaults';

/** The stream with `tag` as its spec tag of that name (added or replaced). */
export function withSpecTag(stream: ImageStream, tag: TagReference): ImageStream {
  const tags = (stream.spec.tags ?? []).filter((t) => t.name !== tag.name);
  return { ...stream, spec: { ...stream.spec, tags: [...tags, tag] } };
}

/** The stream without a spec tag of that name. */
export function withoutSpecTag(stream: ImageStream, name: string): ImageStream {
  return { ...stream, spec: { ...stream.spec, tags: (stream.spec.tags ?? []).filter((t) => t.name !== name) } };
}

/**
 * A requested spec tag with the wire defaults (referencePolicy Source, importMode the server's
 * default); an empty name becomes `name` unless `fillName` is false (ImageTag updates: upstream
 * fills it on create only, so an update must name the tag itself).
 */
export function defaultedSpecTag(tag: TagReference, name: string, defaultImportMode: string, fillName = true): TagReference {
  const out = structuredClone(tag);
  if (!out.name && fillName) out.name = name;
  defaultTagReference(out, defaultImportMode);
  return out;
}

/** A new stream holding just this spec tag (or none). */
export function newStreamWith(namespace: string, name: string, tag: TagReference | null): ImageStream {
  return { metadata: { name, namespace }, spec: { lookupPolicy: { local: false }, ...(tag ? { tags: [tag] } : {}) } };
}

/** A copy of a stored spec tag as views serve it (empty fields older rows kept are dropped). */
export function specTagForView(tag: TagReference): TagReference {
  const out = structuredClone(tag);
  omitEmptyTagFields(out);
  return out;
}
