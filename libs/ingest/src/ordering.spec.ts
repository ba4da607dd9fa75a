import {
  CONCURRENT_PUSH_WINDOW_NS,
  decidePush,
  decideTagDelete,
  nextPosition,
  precedence,
  settleMissingManifest,
  settlePushWithRegistry,
  type TagPosition,
} from './ordering';

const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);
const C = 'sha256:' + 'c'.repeat(64);
const T = 1_000_000_000_000_000_000n;
const reg1 = 'registry-1';

const position = (p: Partial<TagPosition> = {}): TagPosition => ({
  eventId: 'e-prev',
  eventNs: T,
  sourceInstance: reg1,
  digest: A,
  currentImage: A,
  ...p,
});
const event = (ns: bigint, digest = B, sourceInstance = reg1, id = 'e-next') => ({ id, eventNs: ns, sourceInstance, digest });

describe('precedence', () => {
  it.each<[string, bigint, string, TagPosition | null, ReturnType<typeof precedence>]>([
    ['first event of a tag', T, reg1, null, 'newer'],
    ['one nanosecond later, same registry', T + 1n, reg1, position(), 'newer'],
    ['one nanosecond earlier, same registry', T - 1n, reg1, position(), 'older'],
    ['same instant', T, reg1, position(), 'uncertain'],
    ['another registry process, 1 s later', T + 1_000_000_000n, 'registry-2', position(), 'uncertain'],
    ['another registry process, 40 s later (a skewed clock)', T + 40_000_000_000n, 'registry-2', position(), 'uncertain'],
    ['another registry process, long before', T - 3_600_000_000_000n, 'registry-2', position(), 'uncertain'],
    ['no instance ids', T + 5n, '', position({ sourceInstance: '' }), 'uncertain'],
  ])('%s → %s', (_name, ns, source, pos, expected) => {
    expect(precedence({ id: 'e-next', eventNs: ns, sourceInstance: source }, pos)).toBe(expected);
  });

  it('the event that set the position is recognised', () => {
    expect(precedence({ id: 'e-prev', eventNs: T, sourceInstance: reg1 }, position())).toBe('same-event');
  });
});

describe('decidePush', () => {
  it.each<[string, ReturnType<typeof event>, TagPosition | null, string | null, 'apply' | 'skip' | 'ask' | 'verify']>([
    ['first push to a new tag', event(T), null, null, 'apply'],
    ['first push, the tag already there (set through the API)', event(T), null, C, 'ask'],
    ['first push, the tag already at this image', event(T), null, B, 'apply'],
    ['a later push stamped within the concurrency window of the last one: verified with the registry', event(T + 1n), position(), A, 'verify'],
    ['a later push stamped after the concurrency window, the tag where the last event left it', event(T + CONCURRENT_PUSH_WINDOW_NS), position(), A, 'apply'],
    ['a late (older) push of another image: the registry says what the tag holds (a clock may have stepped back)', event(T - 1n), position(), A, 'ask'],
    ['a late push of the image the tag already has is still stale', event(T - 1n, A), position(), A, 'skip'],
    ['a later push, the tag moved by something else', event(T + 1n), position(), C, 'ask'],
    ['a later push, the tag already at this image (crash after the move)', event(T + 1n), position(), B, 'apply'],
    ['same instant, other digest', event(T), position(), A, 'ask'],
    ['after a tag delete that emptied the tag', event(T + 1n), position({ digest: null, currentImage: null }), null, 'apply'],
    ['after a tag delete that left an older entry', event(T + 1n), position({ digest: null, currentImage: C }), C, 'apply'],
  ])('%s → %s', (_name, ev, pos, current, action) => {
    expect(decidePush(ev, pos, current).action).toBe(action);
  });

  it('a repeat of the event that set the position re-applies only when the tag is still there', () => {
    expect(decidePush(event(T, A, reg1, 'e-prev'), position(), A).action).toBe('apply');
    expect(decidePush(event(T, A, reg1, 'e-prev'), position(), C).action).toBe('ask');
  });

  it('a verification names the previous push', () => {
    expect(decidePush(event(T + 1n), position(), A)).toEqual({ action: 'verify', previous: A });
    // after a tag delete there is no previous push to be overtaken by
    expect(decidePush(event(T + 1n), position({ digest: null, currentImage: null }), null)).toEqual({ action: 'apply' });
  });

  it('says why it skips', () => {
    expect(decidePush(event(T - 1n, A), position(), A)).toEqual({
      action: 'skip',
      reason: 'superseded: a later registry event (e-prev) already set this tag',
    });
  });
});

describe('settlePushWithRegistry', () => {
  it('applies only what the registry holds under the tag', () => {
    expect(settlePushWithRegistry(B, B)).toEqual({ action: 'apply' });
    expect(settlePushWithRegistry(B, A)).toEqual({ action: 'skip', reason: `superseded: the registry now has ${A} under this tag` });
    expect(settlePushWithRegistry(B, null)).toEqual({ action: 'skip', reason: 'superseded: the registry no longer has this tag' });
  });
});

describe('settleMissingManifest', () => {
  it('a push whose manifest is gone is superseded unless the registry still holds it under the tag', () => {
    expect(settleMissingManifest(B, B)).toEqual({ action: 'retry' });
    expect(settleMissingManifest(B, A)).toEqual({
      action: 'skip',
      reason: `superseded: the image is gone from the registry, which now has ${A} under this tag`,
    });
    expect(settleMissingManifest(B, null)).toEqual({ action: 'skip', reason: 'superseded: the image is gone from the registry, and so is the tag' });
  });
});

describe('tag deletes', () => {
  it('the registry is asked whatever the stamp (an older delete is applied only if the tag is gone)', () => {
    expect(decideTagDelete({ id: 'd', eventNs: T - 1n, sourceInstance: reg1 }, position()).action).toBe('ask');
    expect(decideTagDelete({ id: 'd', eventNs: T + 1n, sourceInstance: reg1 }, position()).action).toBe('ask');
    expect(decideTagDelete({ id: 'd', eventNs: T, sourceInstance: reg1 }, null).action).toBe('ask');
  });
});

describe('nextPosition', () => {
  it('names the applied event; an event stamped before the position keeps the newer stamp', () => {
    expect(nextPosition({ id: 'n', eventNs: T + 1n, sourceInstance: reg1 }, position(), B, B)).toEqual({
      eventId: 'n',
      eventNs: T + 1n,
      sourceInstance: reg1,
      digest: B,
      currentImage: B,
    });
    expect(nextPosition({ id: 'n', eventNs: T - 5n, sourceInstance: reg1 }, position(), B, B)).toEqual({
      eventId: 'n',
      eventNs: T,
      sourceInstance: reg1,
      digest: B,
      currentImage: B,
    });
    expect(nextPosition({ id: 'n', eventNs: T - 5n, sourceInstance: 'registry-2' }, position(), null, null)).toMatchObject({
      eventNs: T - 5n,
      sourceInstance: 'registry-2',
    });
    expect(nextPosition({ id: 'n', eventNs: T, sourceInstance: reg1 }, null, B, B).eventNs).toBe(T);
  });
});
