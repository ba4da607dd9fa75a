import { terminationConditions } from './namespace-conditions';

describe('terminationConditions', () => {
  const none = { resources: new Map<string, number>(), finalizers: new Map<string, number>() };
  const held = {
    resources: new Map([
      ['triggers.triggers.imagestreamd.io', 2],
      ['imagestreams.image.openshift.io', 1],
    ]),
    finalizers: new Map([
      ['example.com/b', 1],
      ['example.com/a', 2],
    ]),
  };

  it('reports every type, the remaining ones True with sorted, counted messages', () => {
    const conditions = terminationConditions(undefined, held, 't1');
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain'],
    ]);
    expect(conditions[3]!.message).toBe(
      'Some resources are remaining: imagestreams.image.openshift.io has 1 resource instances, triggers.triggers.imagestreamd.io has 2 resource instances',
    );
    expect(conditions[4]!.message).toBe('Some content in the namespace has finalizers remaining: example.com/a in 2 resource instances, example.com/b in 1 resource instances');
    expect(conditions.every((c) => c.lastTransitionTime === 't1')).toBe(true);
  });

  it('keeps a condition\'s lastTransitionTime while it is unchanged, and moves it when it changes', () => {
    const first = terminationConditions(undefined, held, 't1');
    const again = terminationConditions(first, held, 't2');
    expect(again).toEqual(first);
    const cleared = terminationConditions(again, none, 't3');
    expect(cleared.map((c) => c.lastTransitionTime)).toEqual(['t1', 't1', 't1', 't3', 't3']);
    expect(cleared[3]).toEqual({ type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed', lastTransitionTime: 't3' });
  });
});
