import type { ChangeRecord, Database } from '@app/persistence';
import { QuotaNamespaces } from './quota-namespaces';

/** A database stub: one LimitRange in `limited`, a change feed when `feed` is set; counts queries. */
function fakeDb(feed: boolean) {
  const listeners: ((c: ChangeRecord) => void)[] = [];
  const db = {
    queries: 0,
    rows: [{ resource: 'limitranges', namespace: 'limited', name: 'l' }],
    query() {
      db.queries++;
      return Promise.resolve(db.rows);
    },
    subscribeToChanges(fn: (c: ChangeRecord) => void) {
      if (!feed) return undefined;
      listeners.push(fn);
      return () => undefined;
    },
    emit(c: Partial<ChangeRecord>) {
      for (const l of listeners) l(c as ChangeRecord);
    },
  };
  return db;
}

describe('QuotaNamespaces', () => {
  it('with a change feed: one load, then answers from memory and follows the feed', async () => {
    const db = fakeDb(true);
    const index = new QuotaNamespaces(db as unknown as Database);
    await index.ready();
    expect(db.queries).toBe(1);
    for (let i = 0; i < 100; i++) expect(await index.hasLimitRanges('free')).toBe(false);
    expect(await index.hasLimitRanges('limited')).toBe(true);
    expect(await index.hasResourceQuotas('limited')).toBe(false);
    expect(db.queries).toBe(1);
    db.emit({ resource: 'resourcequotas', namespace: 'free', name: 'q', type: 'ADDED' });
    expect(await index.hasResourceQuotas('free')).toBe(true);
    db.emit({ resource: 'limitranges', namespace: 'limited', name: 'l', type: 'DELETED' });
    expect(await index.hasLimitRanges('limited')).toBe(false);
    expect(db.queries).toBe(1);
  });

  it('until loaded every namespace may hold policies', async () => {
    const db = fakeDb(true);
    const index = new QuotaNamespaces(db as unknown as Database);
    expect(await index.hasLimitRanges('free')).toBe(true);
  });

  it('without a feed (the worker): reloads at most once a second, before answering', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const db = fakeDb(false);
      const index = new QuotaNamespaces(db as unknown as Database);
      expect(await index.hasLimitRanges('free')).toBe(false);
      for (let i = 0; i < 50; i++) await index.hasLimitRanges('free');
      expect(db.queries).toBe(1);
      db.rows = [...db.rows, { resource: 'limitranges', namespace: 'free', name: 'new' }];
      jest.advanceTimersByTime(1001);
      expect(await index.hasLimitRanges('free')).toBe(true);
      expect(db.queries).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
