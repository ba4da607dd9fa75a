import { ApiError } from './api-error';
import { MAX_JSON_PATCH_OPERATIONS } from './json-patch-apply';
import { applyPatchDocument } from './patch';

const generic = 'the server rejected our request due to an error in our request';

function failure(run: () => unknown): { code: number; reason: string; message: string } | 'applied' {
  try {
    run();
    return 'applied';
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, reason: e.reason, message: e.message };
    throw e;
  }
}

const stream = () => ({ metadata: { name: 'x', annotations: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v'.repeat(40)])) }, spec: { tags: [{ name: 'a' }] } });

describe('JSON patch: bounded work for any patch', () => {
  it(`more than ${MAX_JSON_PATCH_OPERATIONS} operations is 413, as kube-apiserver answers`, () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/metadata/name', value: 'x' }));
    expect(failure(() => applyPatchDocument('json', stream(), ops, {}))).toEqual({
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${MAX_JSON_PATCH_OPERATIONS + 1}`,
    });
    expect(failure(() => applyPatchDocument('json', stream(), ops.slice(1), {}))).toBe('applied');
  });

  it('copies that double a value are refused once they add more than the copy limit (422), instead of growing without bound', () => {
    const ops = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/spec', path: `/spec/k${i}` }));
    const result = failure(() => applyPatchDocument('json', stream(), ops, {}));
    expect(result).toMatchObject({ code: 422, reason: 'Invalid' });
    // kube-apiserver's generic 422 carries no reason; the copy limit is what stops it (without it, 40 doublings never end).
    expect((result as { message: string }).message).toBe(generic);
  });

  it('many moves and copies over a large document take time in proportion to them, not to the document each', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, (_, i) => (i % 2 ? { op: 'move', from: '/spec/n', path: '/spec/m' } : { op: 'copy', from: '/metadata/name', path: '/spec/n' }));
    const started = Date.now();
    const patched = applyPatchDocument('json', stream(), ops, {}) as { spec: Record<string, unknown> };
    expect(patched.spec).toEqual({ tags: [{ name: 'a' }], m: 'x' });
    // The library's own validation deep-copied the 250 KB document for each: about a minute here.
    expect(Date.now() - started).toBeLessThan(15000);
  });

  it('a move or copy from nowhere is still 422 (the generic message); errors found while applying too', () => {
    expect(failure(() => applyPatchDocument('json', stream(), [{ op: 'copy', from: '/spec/none', path: '/spec/x' }], {}))).toEqual({
      code: 422,
      reason: 'Invalid',
      message: generic,
    });
    expect(failure(() => applyPatchDocument('json', stream(), [{ op: 'move', from: '/spec/tags/7', path: '/spec/x' }], {}))).toMatchObject({ code: 422 });
    expect(failure(() => applyPatchDocument('json', stream(), [{ op: 'test', path: '/metadata/name', value: 'y' }], {}))).toEqual({ code: 422, reason: 'Invalid', message: generic });
    expect(failure(() => applyPatchDocument('json', stream(), [{ op: 'remove', path: '/spec/none' }], {}))).toEqual({
      code: 422,
      reason: 'Invalid',
      message: generic,
    });
    expect(failure(() => applyPatchDocument('json', stream(), [{ op: 'copy', path: '/spec/x' }], {}))).toMatchObject({ code: 422 });
  });
});
