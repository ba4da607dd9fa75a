import { inLockOrder } from './one-trip-group-commit';

const m = (namespace: string, stream: string, id: number) => ({ id, mapping: { namespace, stream } });

describe('inLockOrder', () => {
  it('sorts by namespace, then stream, keeping arrival order within a stream', () => {
    const group = [m('b', 's', 1), m('a', 'z', 2), m('a', 'y', 3), m('b', 's', 4), m('a', 'z', 5), m('a', 'y', 6)];
    expect(inLockOrder(group).map((w) => w.id)).toEqual([3, 6, 2, 5, 1, 4]);
  });

  it('compares bytes, not locale: upper case before lower, shorter prefix first', () => {
    const group = [m('ns', 'app', 1), m('ns', 'App', 2), m('ns', 'ap', 3), m('ns', 'app-1', 4)];
    expect(inLockOrder(group).map((w) => w.id)).toEqual([2, 3, 1, 4]);
  });

  it('leaves the group it was given as it was', () => {
    const group = [m('b', 's', 1), m('a', 's', 2)];
    inLockOrder(group);
    expect(group.map((w) => w.id)).toEqual([1, 2]);
  });
});
