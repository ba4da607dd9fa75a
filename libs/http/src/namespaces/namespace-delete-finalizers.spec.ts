import { namespaceFinalizersOnDelete } from './namespace-delete-finalizers';

describe('namespaceFinalizersOnDelete (kube namespace REST Delete)', () => {
  it.each([
    ['no options keep what the namespace carries', [], {}, []],
    ['no options keep a carried orphan', ['example.com/a', 'orphan'], {}, ['example.com/a', 'orphan']],
    ['Foreground adds foregroundDeletion', ['example.com/a'], { propagationPolicy: 'Foreground' as const }, ['example.com/a', 'foregroundDeletion']],
    ['Orphan adds orphan', [], { propagationPolicy: 'Orphan' as const }, ['orphan']],
    ['Background drops a carried one', ['foregroundDeletion', 'example.com/a'], { propagationPolicy: 'Background' as const }, ['example.com/a']],
    ['Orphan replaces foregroundDeletion', ['foregroundDeletion'], { propagationPolicy: 'Orphan' as const }, ['orphan']],
    ['orphanDependents=true is orphan', [], { orphanDependents: true, propagationPolicy: 'Orphan' as const }, ['orphan']],
    // The generic store reads false as Background; the namespace store as Foreground.
    ['orphanDependents=false is foregroundDeletion', ['orphan'], { orphanDependents: false, propagationPolicy: 'Background' as const }, ['foregroundDeletion']],
  ])('%s', (_case, existing, options, want) => {
    expect(namespaceFinalizersOnDelete(existing, options)).toEqual(want);
  });
});
