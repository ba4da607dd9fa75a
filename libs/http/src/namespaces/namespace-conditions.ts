import type { NamespaceCondition } from './namespace.types';

/** The condition types kube's namespace controller reports on a terminating namespace, in its order. */
const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

/** Each type's "nothing wrong" variant (deletion's status_condition_utils). */
const OK: Record<(typeof CONDITION_TYPES)[number], { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What is left in a namespace after a deletion pass: objects per group-resource, objects per finalizer. */
export interface RemainingContent {
  resources: Map<string, number>;
  finalizers: Map<string, number>;
}

/** `name has N resource instances` / `name in N resource instances`, sorted, as the controller words them. */
function describe(counts: Map<string, number>, verb: string): string {
  return [...counts.entries()]
    .map(([name, n]) => `${name} ${verb} ${n} resource instances`)
    .sort()
    .join(', ');
}

/**
 * The namespace's conditions after a deletion pass, as kube's namespace controller updates them:
 * every type present (the ok variant unless something remains), a condition's
 * lastTransitionTime kept while its status, reason and message stay the same.
 */
export function terminationConditions(old: NamespaceCondition[] | undefined, remaining: RemainingContent, now: string): NamespaceCondition[] {
  const failing = new Map<string, { reason: string; message: string }>();
  if (remaining.resources.size) {
    failing.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${describe(remaining.resources, 'has')}` });
  }
  if (remaining.finalizers.size) {
    failing.set('NamespaceFinalizersRemaining', {
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${describe(remaining.finalizers, 'in')}`,
    });
  }
  const next = (old ?? []).map((c) => ({ ...c }));
  for (const type of CONDITION_TYPES) {
    const bad = failing.get(type);
    const wanted = { type, status: bad ? 'True' : 'False', ...(bad ?? OK[type]) };
    const existing = next.find((c) => c.type === type);
    if (!existing) next.push({ ...wanted, lastTransitionTime: now });
    else if (existing.status !== wanted.status || existing.reason !== wanted.reason || existing.message !== wanted.message) {
      Object.assign(existing, wanted, { lastTransitionTime: now });
    }
  }
  return next;
}
