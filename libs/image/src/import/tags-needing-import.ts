import type { ImageStream, TagReference } from '../imagestream/imagestream.types';
import { parseDockerImageReference } from '../reference/docker-reference';
import { isImportable, type TagObservation } from './import-requests.repository';

/** Digest-pinned source (`repo@sha256:…`); null when the name does not parse. */
function pinned(tag: TagReference): boolean | null {
  try {
    return parseDockerImageReference(tag.from!.name!).id !== '';
  } catch {
    return null;
  }
}

/**
 * openshift scheduled controller resetScheduledTags: on a scheduled check every scheduled tag is
 * imported again, except one whose name does not parse and a digest-pinned one already imported
 * at its generation (a digest cannot change once imported).
 */
function rescheduled(tag: TagReference, observation: TagObservation | undefined): boolean {
  if (!tag.importPolicy?.scheduled) return false;
  const isPinned = pinned(tag);
  if (isPinned === null) return false;
  return !(isPinned && tag.generation !== null && observation?.imported === tag.generation);
}

/**
 * The spec tags one background import of `stream` takes, in spec order (openshift image stream
 * controller handleImageStream): importable tags whose generation is newer than their status has
 * seen (or unset); on a scheduled check, also the scheduled tags (see rescheduled).
 */
export function tagsNeedingImport(stream: ImageStream, observations: Map<string, TagObservation>, scheduledCheck: boolean): TagReference[] {
  return (stream.spec.tags ?? []).filter((tag) => {
    if (!isImportable(tag)) return false;
    const observation = observations.get(tag.name);
    if (tag.generation === null || tag.generation > (observation?.observed ?? 0)) return true;
    return scheduledCheck && rescheduled(tag, observation);
  });
}
