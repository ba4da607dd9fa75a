import { fieldErrorString } from './field-errors';
import { validateFinalizers, validateOwnerReferences } from './owner-validation';

const messages = (finalizers: unknown) => validateFinalizers(finalizers).map(fieldErrorString);

describe('validateFinalizers (core ValidateObjectMeta)', () => {
  it('accepts domain-qualified names and the standard finalizers', () => {
    expect(messages(['example.com/hold', 'kubernetes', 'orphan'])).toEqual([]);
    expect(messages(['foregroundDeletion', 'a.b/c'])).toEqual([]);
    expect(messages(undefined)).toEqual([]);
  });

  it('refuses a name without a domain that is not a standard finalizer, at its index', () => {
    expect(messages(['example.com/ok', 'hold'])).toEqual([
      'metadata.finalizers[1]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it('reports qualified-name problems on the list first, then the per-entry rule', () => {
    const got = messages(['bad name']);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^metadata\.finalizers: Invalid value: "bad name": name part must consist of alphanumeric characters/);
    expect(got[1]).toBe('metadata.finalizers[0]: Invalid value: "bad name": name is neither a standard finalizer name nor is it fully qualified');
  });

  it('still refuses orphan with foregroundDeletion', () => {
    expect(messages(['orphan', 'foregroundDeletion'])).toEqual([
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });
});

describe('validateOwnerReferences (apimachinery)', () => {
  const ownerMessages = (refs: unknown) => validateOwnerReferences(refs).map(fieldErrorString);

  it('a core v1 Event may own nothing (BannedOwners); an Event of another group may', () => {
    expect(ownerMessages([{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }])).toEqual([
      'metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner',
    ]);
    expect(ownerMessages([{ apiVersion: 'events.k8s.io/v1', kind: 'Event', name: 'e', uid: 'u' }])).toEqual([]);
  });
});
