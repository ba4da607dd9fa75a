import type { TagEvent } from '../imagestream/imagestream.types';

/** What adding a tag event does to a tag's history (openshift AddTagEventToImageStream). */
export type TagEventDecision =
  | { kind: 'none' }
  | { kind: 'prepend' }
  | { kind: 'update'; dockerImageReference: string; image: string; generation: number };

/**
 * Compares the candidate with the current top entry: identical → nothing; same reference or
 * same image → the top entry is updated in place (its `created` is kept); otherwise the
 * candidate is prepended. History is never deduplicated beyond the top entry.
 */
export function decideTagEvent(current: TagEvent | undefined, next: TagEvent): TagEventDecision {
  if (!current) return { kind: 'prepend' };
  const sameRef = current.dockerImageReference === next.dockerImageReference;
  const sameImage = current.image === next.image;
  if (sameRef && sameImage && current.generation === next.generation) return { kind: 'none' };
  if (sameRef || sameImage) {
    return {
      kind: 'update',
      dockerImageReference: next.dockerImageReference,
      image: next.image,
      generation: next.generation,
    };
  }
  return { kind: 'prepend' };
}
