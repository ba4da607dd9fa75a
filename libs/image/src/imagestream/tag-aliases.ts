import type { ImageStream } from './imagestream.types';

/**
 * Spec tags that track `tag` in the same stream (`from: {kind: ImageStreamTag, name: tag|stream:tag}`),
 * which follow it on every move (`oc tag --alias`). One level deep, as upstream.
 */
export function aliasesOf(stream: ImageStream, tag: string): string[] {
  const ns = stream.metadata.namespace;
  const self = stream.metadata.name;
  return (stream.spec.tags ?? [])
    .filter((t) => {
      const from = t.from;
      if (!from || from.kind !== 'ImageStreamTag' || t.name === tag) return false;
      if (from.namespace && from.namespace !== ns) return false;
      // `<tag>` names this stream's tag; `<stream>:<tag>` splits at the first `:`, an empty tag
      // meaning `latest` (upstream SplitImageStreamTag).
      const name = from.name ?? '';
      const colon = name.indexOf(':');
      if (colon < 0) return name === tag;
      return name.slice(0, colon) === self && (name.slice(colon + 1) || 'latest') === tag;
    })
    .map((t) => t.name);
}
