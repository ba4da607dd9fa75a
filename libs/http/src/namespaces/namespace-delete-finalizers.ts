import type { DeleteOptions } from '@app/api-machinery';
import { FOREGROUND_FINALIZER, isGarbageCollectorFinalizer, ORPHAN_FINALIZER } from '@app/persistence';

/**
 * The metadata.finalizers kube-apiserver's namespace REST Delete leaves on a namespace it marks
 * Terminating. Unlike the generic store it reads the legacy orphanDependents both ways (true asks
 * for `orphan`, false for `foregroundDeletion`); else the propagation policy decides (Orphan or
 * Foreground adds its finalizer, any policy drops the other); with neither, what the namespace
 * carries stays. The garbage collector removes them again (see NamespaceTerminator).
 */
export function namespaceFinalizersOnDelete(existing: readonly string[], options: Pick<DeleteOptions, 'orphanDependents' | 'propagationPolicy'>): string[] {
  const { orphanDependents: legacy, propagationPolicy: policy } = options;
  const hadOrphan = existing.includes(ORPHAN_FINALIZER);
  const hadForeground = existing.includes(FOREGROUND_FINALIZER);
  const orphan = legacy ?? (policy !== undefined ? policy === 'Orphan' : hadOrphan);
  const foreground = legacy !== undefined ? !legacy : policy !== undefined ? policy === 'Foreground' : hadForeground;
  // Unchanged set: the namespace's own order stays (upstream writes the finalizers only on a change).
  if (orphan === hadOrphan && foreground === hadForeground) return [...existing];
  const next = existing.filter((f) => !isGarbageCollectorFinalizer(f));
  if (orphan) next.push(ORPHAN_FINALIZER);
  if (foreground) next.push(FOREGROUND_FINALIZER);
  return next;
}
