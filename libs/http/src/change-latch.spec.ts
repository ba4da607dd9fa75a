import type { ChangeRecord } from '@app/persistence';
import type { ChangeFeed } from './change-feed';
import { ChangeLatch } from './change-latch';

/** A change feed that only relays what the test hands it. */
function feedOf(): { feed: ChangeFeed; read: (c: Partial<ChangeRecord>) => void; listeners: () => number } {
  const fns = new Set<(c: ChangeRecord) => void>();
  const feed = {
    onChange(fn: (c: ChangeRecord) => void) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
  } as unknown as ChangeFeed;
  return { feed, read: (c) => fns.forEach((fn) => fn({ rv: '1', type: 'MODIFIED', name: 'x', namespace: '', resource: '', labels: null, prevLabels: null, object: {}, ...c })), listeners: () => fns.size };
}

describe('ChangeLatch', () => {
  const signal = new AbortController().signal;

  it('wakes a waiter on a change of its resources in its namespace, and not on others', async () => {
    const { feed, read } = feedOf();
    const latch = new ChangeLatch(feed, ['imagestreams'], 'a');
    let woken = false;
    const waiting = latch.next(60_000, signal).then(() => (woken = true));
    read({ resource: 'imagestreams', namespace: 'b' });
    read({ resource: 'triggers', namespace: 'a' });
    await new Promise((r) => setImmediate(r));
    expect(woken).toBe(false);
    read({ resource: 'imagestreams', namespace: 'a' });
    await waiting;
    expect(woken).toBe(true);
    latch.close();
  });

  it('remembers a change that came while nobody waited: the next wait ends at once, the one after does not', async () => {
    const { feed, read } = feedOf();
    const latch = new ChangeLatch(feed, ['imagestreams'], undefined);
    read({ resource: 'imagestreams', namespace: 'any' });
    await latch.next(60_000, signal);
    const started = Date.now();
    await latch.next(50, signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    latch.close();
  });

  it('ends a wait on abort, and close unsubscribes', async () => {
    const { feed, listeners } = feedOf();
    const latch = new ChangeLatch(feed, ['imagestreams'], undefined);
    const abort = new AbortController();
    const waiting = latch.next(60_000, abort.signal);
    abort.abort();
    await waiting;
    expect(listeners()).toBe(1);
    latch.close();
    expect(listeners()).toBe(0);
  });
});
