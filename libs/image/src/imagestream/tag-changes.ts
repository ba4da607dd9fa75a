import type { ImageStream, TagReference } from './imagestream.types';

/**
 * Whether a spec tag changed in a way that needs resolution (openshift strategy.go tagRefChanged):
 * the new tag has a `from` and its namespace, name, reference flag or import mode differ, or the
 * client asked for a re-import with generation 0.
 */
export function tagRefChanged(old: TagReference, next: TagReference, streamNamespace: string): boolean {
  if (!next.from?.name) return false;
  const oldFrom = old.from;
  const ns = (n: string | undefined) => n || streamNamespace;
  if (!oldFrom) return true;
  if (ns(oldFrom.namespace) !== ns(next.from.namespace)) return true;
  if (oldFrom.name !== next.from.name) return true;
  if (Boolean(old.reference) !== Boolean(next.reference)) return true;
  if ((old.importPolicy?.importMode ?? '') !== (next.importPolicy?.importMode ?? '')) return true;
  return old.generation !== null && next.generation !== null && old.generation !== next.generation && next.generation === 0;
}

/**
 * Spec tags of a prepared `next` that are new or changed compared with `old` (all on create).
 * After generation bookkeeping a tag needs resolution exactly when it is new or its generation
 * moved (a changed `from` or a requested re-import both take the new stream generation).
 */
export function changedTags(next: ImageStream, old: ImageStream | null): TagReference[] {
  const oldTags = new Map((old?.spec.tags ?? []).map((t) => [t.name, t]));
  return (next.spec.tags ?? []).filter((tag) => {
    const before = oldTags.get(tag.name);
    return !before || before.generation !== tag.generation;
  });
}

/**
 * Spec tags of a prepared `next` whose source is resolved again (upstream tagsChanged): new tags
 * and tags whose `from`, reference flag or import mode changed. A `generation: 0` alone does not
 * count: by then it has become the stream's generation, so it re-imports a DockerImage tag
 * (changedTags) but does not copy an ImageStreamTag/ImageStreamImage source again.
 */
export function sourceChangedTags(next: ImageStream, old: ImageStream | null): TagReference[] {
  const oldTags = new Map((old?.spec.tags ?? []).map((t) => [t.name, t]));
  const namespace = next.metadata.namespace ?? '';
  return (next.spec.tags ?? []).filter((tag) => {
    const before = oldTags.get(tag.name);
    return !before || tagRefChanged(before, tag, namespace);
  });
}
