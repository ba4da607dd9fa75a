import type { DeletionPropagation } from '@app/api-machinery';

/** metav1.FinalizerOrphanDependents: the garbage collector orphans the dependents, then removes it. */
export const ORPHAN_FINALIZER = 'orphan';
/** metav1.FinalizerDeleteDependents: the garbage collector deletes the dependents, then removes it. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

const garbageCollectorFinalizers = new Set([ORPHAN_FINALIZER, FOREGROUND_FINALIZER]);

export function isGarbageCollectorFinalizer(finalizer: string): boolean {
  return garbageCollectorFinalizers.has(finalizer);
}

/**
 * The finalizers a delete leaves on the object, as kube-apiserver's registry store decides them
 * with garbage collection enabled (deletionFinalizersForGarbageCollection): the propagation policy
 * asked for (the legacy orphanDependents already read as one) adds `orphan` (Orphan) or
 * `foregroundDeletion` (Foreground) and removes the other; without a policy, the first of the two
 * the object carries stays. None of our kinds has a default policy that orphans; a kind whose
 * strategy says garbage collection is unsupported (Images) gets neither.
 */
export function finalizersAfterDelete(
  existing: readonly string[],
  policy: DeletionPropagation | undefined,
  garbageCollectionUnsupported = false,
): string[] {
  const carried = existing.find(isGarbageCollectorFinalizer);
  // A kind outside garbage collection sheds both (shouldOrphanDependents/shouldDeleteDependents are false).
  const orphan = !garbageCollectionUnsupported && (policy !== undefined ? policy === 'Orphan' : carried === ORPHAN_FINALIZER);
  const foreground = !garbageCollectionUnsupported && (policy !== undefined ? policy === 'Foreground' : carried === FOREGROUND_FINALIZER);
  const next = existing.filter((f) => !isGarbageCollectorFinalizer(f));
  if (orphan) next.push(ORPHAN_FINALIZER);
  if (foreground) next.push(FOREGROUND_FINALIZER);
  // The same set: the object's own order stays (upstream updates only when the set changes).
  const same = next.length === new Set(existing).size && next.every((f) => existing.includes(f));
  return same ? [...existing] : next;
}
