import type { ChangeRecord } from '@app/persistence';
import { PresentedChanges } from './presented-changes';

const change = (rv: string): ChangeRecord =>
  ({ rv, resource: 'imagestreams', namespace: 'ns', name: `s${rv}`, type: 'MODIFIED', labels: {}, prevLabels: {}, object: { metadata: { name: `s${rv}` } } });

describe('PresentedChanges', () => {
  it('presents each change once across callers, in one call per batch, even while a read is in flight', async () => {
    const cache = new PresentedChanges();
    const calls: string[][] = [];
    const present = async (cs: ChangeRecord[]) => {
      calls.push(cs.map((c) => c.rv));
      await new Promise((r) => setTimeout(r, 10));
      return cs.map((c) => ({ presented: c.rv }));
    };
    const [a, b] = await Promise.all([cache.get([change('1'), change('2')], present), cache.get([change('2'), change('3')], present)]);
    expect(a).toEqual([{ presented: '1' }, { presented: '2' }]);
    expect(b).toEqual([{ presented: '2' }, { presented: '3' }]);
    expect(calls).toEqual([['1', '2'], ['3']]);
    // The same object is handed to every caller.
    expect((await cache.get([change('2')], present))[0]).toBe(a[1]);
    expect(calls).toHaveLength(2);
  });

  it('forgets a failed read, so the next caller reads again', async () => {
    const cache = new PresentedChanges();
    await expect(cache.get([change('7')], () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get([change('7')], async (cs) => cs.map(() => ({ ok: true })))).toEqual([{ ok: true }]);
  });

  it('keeps at most its capacity, dropping the oldest first', async () => {
    const cache = new PresentedChanges(3);
    const present = async (cs: ChangeRecord[]) => cs.map((c) => ({ rv: c.rv }));
    const got = await cache.get(['1', '2', '3', '4', '5'].map(change), present);
    expect(got.map((o) => (o as { rv: string }).rv)).toEqual(['1', '2', '3', '4', '5']);
    expect(cache.size).toBe(3);
    let reads = 0;
    await cache.get([change('1'), change('5')], async (cs) => {
      reads += cs.length;
      return cs.map((c) => ({ rv: c.rv }));
    });
    expect(reads).toBe(1);
  });
});
