import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import { defaultTagReference } from '../imagestream/imagestream.defaults';

/** The stream with `tag` as its spec tag of that name (added or replaced). */
export function withSpecTag(stream: ImageStream, tag: TagReference): ImageStream {
  const tags = (stream.spec.tags ?? []).filter((t) => t.name !== tag.name);
  return { ...stream, spec: { ...stream.spec, tags: [...tags, tag] } };
}

/** The stream without a spec tag of that name. */
export function withoutSpecTag(stream: ImageStream, name: string): ImageStream {
  return { ...stream, spec: { ...stream.spec, tags: (stream.spec.tags ?? []).filter((t) => t.name !== name) } };
}

/** A requested spec tag with the wire defaults (referencePolicy Source, importMode Legacy) and its name. */
export function defaultedSpecTag(tag: TagReference, name: string): TagReference {
  const out = structuredClone(tag);
  if (!out.name) out.name = name;
  defaultTagReference(out);
  return out;
}

/** A new stream holding just this spec tag (or none). */
export function newStreamWith(namespace: string, name: string, tag: TagReference | null): ImageStream {
  return { metadata: { name, namespace }, spec: { lookupPolicy: { local: false }, ...(tag ? { tags: [tag] } : {}) } };
}
