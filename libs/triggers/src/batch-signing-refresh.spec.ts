import { BatchSigningRefresh } from './batch-signing-refresh';
import type { DeliveryRow } from './delivery-claim';

const row = (id: string, owner: string): DeliveryRow =>
  ({ id, owner_uid: owner, delivery: { url: 'http://r/x', secretRef: { name: 's' } }, secret: { key: 'old' } }) as unknown as DeliveryRow;

describe('BatchSigningRefresh', () => {
  it('reads nothing for a row sent within freshForMs of its claim', async () => {
    let t = 0;
    const query = jest.fn(async () => []);
    const refresh = new BatchSigningRefresh(query, 200, () => t);
    const a = row('a', 'o1');
    refresh.claimed([a]);
    t = 199;
    await refresh.fresh(a, () => []);
    expect(query).not.toHaveBeenCalled();
  });

  it('reads again the keys of a row that waited, with the rows still waiting, in one statement; an owner gone loses its keys', async () => {
    let t = 0;
    const query = jest.fn(async (_sql: string, params: unknown[]) => {
      expect(params).toEqual([['o1', 'o2']]);
      return [{ owner_uid: 'o1', delivery: { url: 'http://r/x', secretRef: { name: 's' } }, secret: { key: 'new', previousKey: 'old' } }];
    });
    const refresh = new BatchSigningRefresh(query, 200, () => t);
    const [a, b, c] = [row('a', 'o1'), row('b', 'o2'), row('c', 'o1')];
    refresh.claimed([a, b, c]);
    t = 500;
    await refresh.fresh(a, () => [b, c]);
    expect(query).toHaveBeenCalledTimes(1);
    expect(a.secret).toEqual({ key: 'new', previousKey: 'old' });
    expect(c.secret).toEqual({ key: 'new', previousKey: 'old' });
    expect(b.secret).toBeNull();
    expect(b.delivery).toBeNull();
    await refresh.fresh(c, () => []);
    expect(query).toHaveBeenCalledTimes(1);
  });

  it('keeps the claimed keys when the read fails', async () => {
    let t = 0;
    const refresh = new BatchSigningRefresh(async () => Promise.reject(new Error('db down')), 200, () => t);
    const a = row('a', 'o1');
    refresh.claimed([a]);
    t = 300;
    await refresh.fresh(a, () => []);
    expect(a.secret).toEqual({ key: 'old' });
  });
});
