import { classifyEvent, EnvelopeError, parseEnvelope, rfc3339ToNanos } from './envelope';
import { capturedEnvelope, type CapturedEventName } from './testing/captured-events';

const only = (name: CapturedEventName) => {
  const events = parseEnvelope(capturedEnvelope(name));
  expect(events).toHaveLength(1);
  return events[0]!;
};

describe('rfc3339ToNanos', () => {
  it.each([
    ['2026-11-25T09:17:31.738194307Z', 1795598251738194307n],
    ['2026-11-25T09:17:31Z', 1795598251000000000n],
    ['2026-11-25T09:17:31.7Z', 1795598251700000000n],
    ['2026-11-25T10:17:31.738194307+01:00', 1795598251738194307n],
    ['2026-11-25t09:17:31.000000001z', 1795598251000000001n],
  ])('%s → %s', (input, ns) => {
    expect(rfc3339ToNanos(input)).toBe(ns);
  });

  it.each(['yesterday', '2026-11-25 09:17:31Z', '2026-02-30T00:00:00Z', '2026-11-25T25:00:00Z', '2026-11-25T09:17:31.1234567890Z', ''])(
    '%j is not an RFC 3339 time',
    (input) => {
      expect(rfc3339ToNanos(input)).toBeNull();
    },
  );

  it('keeps nanosecond order that milliseconds would lose', () => {
    expect(rfc3339ToNanos('2026-11-25T09:17:31.738194307Z')! < rfc3339ToNanos('2026-11-25T09:17:31.738194308Z')!).toBe(true);
  });
});

describe('parseEnvelope on captured registry payloads', () => {
  it('stores a tagged manifest push with the fields the worker needs', () => {
    const e = only('push-manifest');
    expect(e).toEqual({
      stored: expect.objectContaining({
        id: 'f308d38b-b684-4124-b3dc-7954e48b8784',
        kind: 'manifest-push',
        repository: 'myproject/myapp',
        tag: 'v1',
        digest: 'sha256:45e5df453658d3c06ed0fbe8a4ad882e60be37dd7cc7bbc2111822e64e1382df',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        timestamp: '2026-11-25T09:17:31.738194307Z',
        eventNs: 1795598251738194307n,
        sourceInstance: '5c96452a-8405-4c94-afb8-7084ab65e0bc',
      }),
    });
  });

  it.each<[CapturedEventName, string | undefined]>([
    ['push-manifest-docker-v2', 'v1-docker'],
    ['push-manifest-token-auth', 'v1'],
    ['push-index', 'multi'],
    ['push-manifest-list-docker', 'multi-docker'],
    ['push-index-child-manifest', undefined],
  ])('%s is a stored manifest push (tag %s)', (name, tag) => {
    const e = only(name);
    if (!('stored' in e)) throw new Error('not stored');
    expect(e.stored.kind).toBe('manifest-push');
    expect(e.stored.tag).toBe(tag);
  });

  it.each<[CapturedEventName, string, string]>([
    ['push-blob', 'push', 'blob'],
    ['pull-manifest', 'pull', 'manifest'],
    ['pull-manifest-head', 'pull', 'manifest'],
    ['pull-manifest-by-digest', 'pull', 'manifest'],
    ['pull-manifest-token-auth', 'pull', 'manifest'],
    ['pull-index', 'pull', 'manifest'],
    ['pull-blob', 'pull', 'blob'],
    ['pull-blob-head-during-push', 'pull', 'blob'],
    ['mount-blob', 'mount', 'blob'],
  ])('%s is only counted (%s %s)', (name, action, target) => {
    expect(only(name)).toEqual({ counted: { action, target } });
  });

  it('a delete with a digest is a manifest delete (a blob delete looks the same and is stored too)', () => {
    for (const name of ['delete-manifest', 'delete-manifest-token-auth', 'delete-blob'] as const) {
      const e = only(name);
      if (!('stored' in e)) throw new Error(`${name} not stored`);
      expect(e.stored).toMatchObject({ kind: 'manifest-delete', repository: expect.any(String), digest: expect.stringMatching(/^sha256:/) });
      expect(e.stored.tag).toBeUndefined();
    }
  });

  it('a delete with a tag is a tag delete', () => {
    expect(only('delete-tag')).toEqual({
      stored: expect.objectContaining({ kind: 'tag-delete', repository: 'myproject/myapp', tag: 'latest' }),
    });
  });

  const push = () => JSON.parse(capturedEnvelope('push-manifest').toString()).events[0] as Record<string, any>;

  it('parses several events in order, a repeated id too (the receiver stores it once)', () => {
    const push = JSON.parse(capturedEnvelope('push-manifest').toString()).events[0];
    const blob = JSON.parse(capturedEnvelope('push-blob').toString()).events[0];
    const out = parseEnvelope(JSON.stringify({ events: [push, blob, push] }));
    expect(out.map((e) => ('stored' in e ? e.stored.id : 'counted'))).toEqual([push.id, 'counted', push.id]);
  });

  it('NUL and lone surrogates become U+FFFD (jsonb cannot hold them; a refusal would be resent forever)', () => {
    const event = push();
    event['request'].useragent = 'skopeo\u0000\ud800';
    const [out] = parseEnvelope(JSON.stringify({ events: [event] }));
    if (!out || !('stored' in out)) throw new Error('not stored');
    expect((out.stored.raw as { request: { useragent: string } }).request.useragent).toBe('skopeo\uFFFD\uFFFD');
  });

  it('any string is an event id (distribution sends UUIDs; the job id is derived from it)', () => {
    for (const id of ['1', 'a:b/c', 'with space']) {
      const [out] = parseEnvelope(JSON.stringify({ events: [{ ...push(), id }] }));
      expect(out && 'stored' in out ? out.stored.id : null).toBe(id);
    }
  });

  it('an empty list is fine; unknown actions are counted, not refused (a 4xx would block the registry)', () => {
    expect(parseEnvelope('{"events":[]}')).toEqual([]);
    expect(classifyEvent({ id: 'x1', action: 'teleport', target: {} }, 'e')).toEqual({ counted: { action: 'other', target: 'unknown' } });
  });
});

describe('malformed envelopes', () => {
  const push = () => JSON.parse(capturedEnvelope('push-manifest').toString()).events[0] as Record<string, any>;
  const failure = (body: unknown) => {
    try {
      parseEnvelope(typeof body === 'string' ? body : JSON.stringify(body));
    } catch (e) {
      expect(e).toBeInstanceOf(EnvelopeError);
      return (e as EnvelopeError).message;
    }
    throw new Error('no error');
  };

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{"events":', /^body: not valid JSON/],
    ['not an object', '[1]', /^body: must be an object/],
    ['no events list', { event: [] }, /^events: must be a list/],
    ['an event that is not an object', { events: [3] }, /^events\[0\]: must be an object/],
    ['no id', { events: [{ ...push(), id: undefined }] }, /^events\[0\]\.id: required/],
    ['no action', { events: [{ ...push(), action: 1 }] }, /^events\[0\]\.action: must be a string/],
    ['no target', { events: [{ ...push(), target: null }] }, /^events\[0\]\.target: must be an object/],
    ['no repository', { events: [{ ...push(), target: { ...push().target, repository: undefined } }] }, /target\.repository: required/],
    ['a bad digest', { events: [{ ...push(), target: { ...push().target, digest: 'md5:1' } }] }, /target\.digest: must be a digest/],
    ['a bad tag', { events: [{ ...push(), target: { ...push().target, tag: '-x' } }] }, /target\.tag: must be a valid tag/],
    ['a bad timestamp', { events: [{ ...push(), timestamp: 'now' }] }, /^events\[0\]\.timestamp: must be an RFC 3339 time/],
  ])('%s', (_name, body, message) => {
    expect(failure(body)).toMatch(message);
  });

  it('names the position of the bad event', () => {
    expect(failure({ events: [push(), { ...push(), id: 'y', timestamp: 3 }] })).toMatch(/^events\[1\]\.timestamp: must be a string/);
  });
});
