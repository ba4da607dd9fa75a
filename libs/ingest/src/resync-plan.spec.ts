import { planRepositoryResync, RESYNC_SOURCE_INSTANCE, type RepositoryReading, resyncEvent } from './resync-plan';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function reading(over: Partial<RepositoryReading>): RepositoryReading {
  return {
    repository: 'ns/app',
    registryTags: new Map(),
    complete: true,
    applied: new Map(),
    pendingTags: new Set(),
    manifestDeletePending: false,
    ...over,
  };
}

describe('planRepositoryResync', () => {
  it('a tag ingestion never heard of, or heard of with another digest, is a lost push', () => {
    const actions = planRepositoryResync(
      reading({
        registryTags: new Map([
          ['new', A],
          ['moved', B],
          ['same', A],
        ]),
        applied: new Map([
          ['moved', { eventId: 'e1', digest: A }],
          ['same', { eventId: 'e2', digest: A }],
        ]),
      }),
    );
    expect(actions).toEqual([
      { kind: 'manifest-push', tag: 'new', digest: A, after: '' },
      { kind: 'manifest-push', tag: 'moved', digest: B, after: 'e1' },
    ]);
  });

  it('a tag pushed again after ingestion applied its delete is a lost push', () => {
    const actions = planRepositoryResync(reading({ registryTags: new Map([['v1', A]]), applied: new Map([['v1', { eventId: 'd1', digest: null }]]) }));
    expect(actions).toEqual([{ kind: 'manifest-push', tag: 'v1', digest: A, after: 'd1' }]);
  });

  it('a tag gone from a complete listing whose last applied event left an image is a lost tag delete', () => {
    const actions = planRepositoryResync(
      reading({
        registryTags: new Map([['kept', A]]),
        applied: new Map([
          ['kept', { eventId: 'e1', digest: A }],
          ['gone', { eventId: 'e2', digest: B }],
          ['deleted', { eventId: 'e3', digest: null }],
        ]),
      }),
    );
    expect(actions).toEqual([{ kind: 'tag-delete', tag: 'gone', after: 'e2' }]);
  });

  it('no deletes from a listing cut at the budget, or while a manifest delete is waiting', () => {
    const applied = new Map([['gone', { eventId: 'e2', digest: B }]]);
    expect(planRepositoryResync(reading({ applied, complete: false }))).toEqual([]);
    expect(planRepositoryResync(reading({ applied, manifestDeletePending: true }))).toEqual([]);
  });

  it('tags with an event still pending in the inbox are left to it', () => {
    const actions = planRepositoryResync(
      reading({
        registryTags: new Map([['pushed', A]]),
        applied: new Map([['gone', { eventId: 'e2', digest: B }]]),
        pendingTags: new Set(['pushed', 'gone']),
      }),
    );
    expect(actions).toEqual([]);
  });
});

describe('resyncEvent', () => {
  const now = new Date('2026-12-02T10:00:00.123Z');

  it('is a stored push with the resync source, so ingestion asks the registry', () => {
    const e = resyncEvent('ns/app', { kind: 'manifest-push', tag: 'v1', digest: A, after: '' }, now);
    expect(e).toMatchObject({ kind: 'manifest-push', repository: 'ns/app', tag: 'v1', digest: A, sourceInstance: RESYNC_SOURCE_INSTANCE, timestamp: now.toISOString() });
    expect(e.eventNs).toBe(BigInt(now.getTime()) * 1_000_000n);
    expect(e.id).toMatch(/^resync-[0-9a-f]{32}$/);
  });

  it('a tag delete carries no digest', () => {
    const e = resyncEvent('ns/app', { kind: 'tag-delete', tag: 'v1', after: 'e1' }, now);
    expect(e).toMatchObject({ kind: 'tag-delete', repository: 'ns/app', tag: 'v1' });
    expect(e.digest).toBeUndefined();
  });

  it('the same gap gets the same id at any time; a gap after another applied event a new one', () => {
    const push = { kind: 'manifest-push' as const, tag: 'v1', digest: A, after: 'e1' };
    const first = resyncEvent('ns/app', push, now).id;
    expect(resyncEvent('ns/app', push, new Date(now.getTime() + 60_000)).id).toBe(first);
    expect(resyncEvent('ns/app', { ...push, after: 'e2' }, now).id).not.toBe(first);
    expect(resyncEvent('ns/app', { ...push, digest: B }, now).id).not.toBe(first);
    expect(resyncEvent('ns/other', push, now).id).not.toBe(first);
  });
});
