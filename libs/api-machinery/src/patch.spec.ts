import { ApiError } from './api-error';
import { applyPatchDocument, mergePatch, strategicMergePatch } from './patch';

const keys = { 'spec.tags': 'name' };

describe('mergePatch (RFC 7386)', () => {
  it.each([
    [{ a: 1, b: 2 }, { b: null }, { a: 1 }],
    [{ a: { x: 1 } }, { a: { y: 2 } }, { a: { x: 1, y: 2 } }],
    [{ list: [1, 2] }, { list: [3] }, { list: [3] }],
    [{ a: 1 }, { a: { b: 1 } }, { a: { b: 1 } }],
  ])('%j + %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});

describe('strategicMergePatch', () => {
  const stream = { spec: { tags: [{ name: 'a', x: 1 }, { name: 'b', x: 2 }] } };
  it('merges list items by merge key', () => {
    expect(strategicMergePatch(stream, { spec: { tags: [{ name: 'b', x: 3 }, { name: 'c', x: 4 }] } }, keys)).toEqual({
      spec: { tags: [{ name: 'a', x: 1 }, { name: 'b', x: 3 }, { name: 'c', x: 4 }] },
    });
  });
  it('deletes an item with $patch: delete', () => {
    expect(strategicMergePatch(stream, { spec: { tags: [{ name: 'a', $patch: 'delete' }] } }, keys)).toEqual({
      spec: { tags: [{ name: 'b', x: 2 }] },
    });
  });
  it('replaces lists without a merge key', () => {
    expect(strategicMergePatch({ other: [1, 2] }, { other: [3] }, keys)).toEqual({ other: [3] });
  });
  it('rejects items without the merge key', () => {
    expect(() => strategicMergePatch(stream, { spec: { tags: [{ x: 1 }] } }, keys)).toThrow(ApiError);
  });
  it('replaces the list with the other items when one carries $patch: replace, as mergeSliceWithSpecialElements', () => {
    expect(strategicMergePatch(stream, { spec: { tags: [{ name: 'c' }, { $patch: 'replace' }] } }, keys)).toEqual({ spec: { tags: [{ name: 'c' }] } });
    expect(strategicMergePatch(stream, { spec: { tags: [{ name: 'c' }, { name: 'a', $patch: 'replace' }] } }, keys)).toEqual({ spec: { tags: [{ name: 'c' }] } });
  });
  it('replaces a map with $patch: replace and drops it with $patch: delete', () => {
    expect(strategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $patch: 'replace', c: 3 } }, keys)).toEqual({ spec: { c: 3 } });
    expect(strategicMergePatch({ spec: { a: 1 }, x: 1 }, { spec: { $patch: 'delete' } }, keys)).toEqual({ x: 1 });
  });
  it('applies list deletes before merging items, as upstream takes the directive items out first', () => {
    expect(strategicMergePatch(stream, { spec: { tags: [{ name: 'a', y: 1 }, { name: 'a', $patch: 'delete' }] } }, keys)).toEqual({
      spec: { tags: [{ name: 'b', x: 2 }, { name: 'a', y: 1 }] },
    });
  });
  // apimachinery's ErrBadPatchType, "merging lists cannot yet…" and ErrNoMergeKey, Go's %v of the map (upstream answers them 500).
  it.each([
    ['a list item', { spec: { tags: [{ name: 'new', $patch: 'bogus' }] } }, 'unknown patch type: bogus in map: map[$patch:bogus name:new]'],
    ['a map', { spec: { $patch: 'bogus', n: { a: [1, 1.5, true, null] } } }, 'unknown patch type: bogus in map: map[$patch:bogus n:map[a:[1 1.5 true <nil>]]]'],
    ['the object', { $patch: 2 }, 'unknown patch type: %!s(int64=2) in map: map[$patch:2]'],
    ['merge in a list item', { spec: { tags: [{ name: 'new', $patch: 'merge' }] } }, 'merging lists cannot yet be specified in the patch'],
    ['a list delete without the merge key', { spec: { tags: [{ $patch: 'delete', x: 1 }] } }, 'map: map[$patch:delete x:1] does not contain declared merge key: name'],
    ['a directive item after an item without the merge key', { spec: { tags: [{ x: 1 }, { name: 'a', $patch: 'bogus' }] } }, 'unknown patch type: bogus in map: map[$patch:bogus name:a]'],
  ])('refuses a bad $patch in %s with 400 and upstream\'s message', (_where, patch, message) => {
    expect(() => applyPatchDocument('strategic', stream, patch, keys)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest', message }));
  });
});

describe('strategic merge of ObjectMeta lists (finalizers as a set, ownerReferences by uid)', () => {
  const live = {
    metadata: {
      finalizers: ['a.io/x', 'b.io/y'],
      ownerReferences: [{ uid: 'u1', name: 'one' }, { uid: 'u2', name: 'two' }],
    },
  };
  const smp = (patch: object) => applyPatchDocument('strategic', live, patch, keys) as typeof live;
  it('adds finalizers to the live ones instead of replacing them', () => {
    expect(smp({ metadata: { finalizers: ['c.io/z', 'a.io/x'] } }).metadata.finalizers).toEqual(['a.io/x', 'b.io/y', 'c.io/z']);
  });
  it('removes the values $deleteFromPrimitiveList names (kubectl apply of a file that dropped one)', () => {
    expect(smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'], '$setElementOrder/finalizers': ['b.io/y'] } }).metadata.finalizers).toEqual(['b.io/y']);
  });
  it('orders by $setElementOrder, server-only items merged in by their live order (apimachinery mergeSortedSlice)', () => {
    expect(smp({ metadata: { '$setElementOrder/finalizers': ['c.io/z', 'b.io/y'], finalizers: ['c.io/z'] } }).metadata.finalizers).toEqual(['c.io/z', 'a.io/x', 'b.io/y']);
  });
  it('merges ownerReferences by uid', () => {
    expect(smp({ metadata: { ownerReferences: [{ uid: 'u2', name: 'renamed' }, { uid: 'u3', name: 'three' }] } }).metadata.ownerReferences).toEqual([
      { uid: 'u1', name: 'one' },
      { uid: 'u2', name: 'renamed' },
      { uid: 'u3', name: 'three' },
    ]);
  });
  it('null still clears the list', () => {
    expect(smp({ metadata: { finalizers: null } }).metadata).not.toHaveProperty('finalizers');
  });
});

describe('applyPatchDocument', () => {
  it('applies a JSON patch', () => {
    expect(applyPatchDocument('json', { a: 1 }, [{ op: 'replace', path: '/a', value: 2 }], {})).toEqual({ a: 2 });
  });
  // kube-apiserver answers NewGenericServerResponse(422): its generic message, details {}, no json-patch wording.
  const notApplicable = { code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request', details: {} };
  it('fails a JSON patch test operation with 422', () => {
    expect(() => applyPatchDocument('json', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], {})).toThrow(expect.objectContaining(notApplicable));
  });
  it('refuses operations RFC 6902 does not define with 422, fast-json-patch\'s internal _get included', () => {
    for (const op of ['_get', 'get', 'Add']) {
      expect(() => applyPatchDocument('json', { a: 1 }, [{ op, path: '/a' }], {})).toThrow(expect.objectContaining(notApplicable));
    }
  });
  it('rejects a non-array JSON patch with 400', () => {
    expect(() => applyPatchDocument('json', { a: 1 }, { a: 2 }, {})).toThrow(expect.objectContaining({ code: 400 }));
  });
  it('merges an apply configuration into a view (no ownership of its own), list items by merge key', () => {
    const current = { metadata: { name: 'v', managedFields: [] }, spec: { tags: [{ name: 'a', x: 1 }, { name: 'b', x: 2 }] } };
    const config = { metadata: { name: 'v', managedFields: [{ manager: 'x' }] }, spec: { tags: [{ name: 'b', x: 3 }, { name: 'c' }] } };
    expect(applyPatchDocument('apply', current, config, { 'spec.tags': 'name' })).toEqual({
      metadata: { name: 'v', managedFields: [] },
      spec: { tags: [{ name: 'a', x: 1 }, { name: 'b', x: 3 }, { name: 'c' }] },
    });
  });
});
