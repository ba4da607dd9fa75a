import { createHmac } from 'node:crypto';
import { imagePatch, parseTriggersAnnotation, triggersAnnotationWarnings } from './annotation';
import { decideFire, type DependentState, idempotencyKey, type TagState } from './firing';
import { signature, signedHeaders, verify } from './signing';
import { AddressPolicy, SsrfError } from './ssrf';
import { backoffMs, TargetLimiter, targetPauseMs } from './target-limiter';
import { validateTrigger } from './trigger.strategy';
import type { Trigger } from './trigger.types';

const tag = (o: Partial<TagState> = {}): TagState => ({ image: 'sha256:b', pullSpec: 'q/a@sha256:b', changeId: '10', cause: 'mapping', ...o });
const dep = (o: Partial<DependentState> = {}): DependentState => ({ paused: false, ...o });

describe('firing rules', () => {
  it.each([
    ['no image on the tag', null, dep(), false, 'TagHasNoImage'],
    ['first sight of an existing image', tag(), dep(), true, 'ImageChanged'],
    ['paused', tag(), dep({ paused: true }), false, 'Paused'],
    ['already at the image', tag(), dep({ lastImage: 'sha256:b' }), false, 'UpToDate'],
    ['newer image', tag({ firstSeenChangeId: '10' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5' }), true, 'ImageChanged'],
    ['re-push of an older image', tag({ firstSeenChangeId: '3' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5' }), false, 'OlderImageIgnored'],
    ['alias move to an older image', tag({ cause: 'alias', firstSeenChangeId: '3' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5' }), false, 'OlderImageIgnored'],
    ['explicit rollback (spec write)', tag({ cause: 'spec', firstSeenChangeId: '3' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5' }), true, 'ExplicitRollback'],
    // The feed expired the first sight of both images; the re-push's own row looks newest, the history knows better.
    ['re-push of an older image after the feed expired', tag({ firstSeenChangeId: '50', firstSeenHistoryId: '1' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: null, lastImageFirstSeenHistoryId: '3' }), false, 'OlderImageIgnored'],
    ['history outranks a partly expired feed', tag({ firstSeenChangeId: '50', firstSeenHistoryId: '1' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '10', lastImageFirstSeenHistoryId: '3' }), false, 'OlderImageIgnored'],
    ['newer image by history', tag({ firstSeenChangeId: null, firstSeenHistoryId: '9' }), dep({ lastImage: 'sha256:a', lastImageFirstSeenHistoryId: '3' }), true, 'ImageChanged'],
    // The image's older history entries were pruned (or a registry manifest delete removed them) and it came back: its new entry looks newest.
    ['re-push of an image pruned from the history, the feed still whole', tag({ firstSeenChangeId: '3', firstSeenHistoryId: '9', feedComplete: true }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5', lastImageFirstSeenHistoryId: '4' }), false, 'OlderImageIgnored'],
    // The feed lost the last image's first arrival (retention): its first row left is a later return to it, the history decides.
    ['the history decides against a feed that lost early moves', tag({ firstSeenChangeId: '3', firstSeenHistoryId: '9', feedComplete: false }), dep({ lastImage: 'sha256:a', lastImageFirstSeenChangeId: '5', lastImageFirstSeenHistoryId: '4' }), true, 'ImageChanged'],
    ['out-of-order push of an older build', tag({ created: '2024-01-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z' }), false, 'OlderImageIgnored'],
    ['newer build', tag({ created: '2024-03-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z' }), true, 'ImageChanged'],
    // ko, Jib and Bazel stamp the epoch; Go's zero time: no build order to compare.
    ['reproducible build (epoch stamp) after a dated one', tag({ created: '1970-01-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z' }), true, 'ImageChanged'],
    ['reproducible build (epoch + 1 s) after a dated one', tag({ created: '1970-01-01T00:00:01Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z' }), true, 'ImageChanged'],
    ['Go zero time after a dated one', tag({ created: '0001-01-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z' }), true, 'ImageChanged'],
    ['dated build after a reproducible one', tag({ created: '2024-01-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '1970-01-01T00:00:00Z' }), true, 'ImageChanged'],
    ['re-push of an older reproducible build is still older by history', tag({ created: '1970-01-01T00:00:00Z', firstSeenHistoryId: '1' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2024-02-01T00:00:00Z', lastImageFirstSeenHistoryId: '3' }), false, 'OlderImageIgnored'],
    // A build host's clock ran fast: its stamp, still ahead of now, orders nothing either way.
    ['dated build after one stamped in the future', tag({ created: '2025-06-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2099-01-01T00:00:00Z' }), true, 'ImageChanged'],
    ['build stamped in the future after a dated one', tag({ created: '2099-01-01T00:00:00Z' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2025-06-01T00:00:00Z' }), true, 'ImageChanged'],
    ['re-push of an older build stamped in the future is still older by history', tag({ created: '2099-01-01T00:00:00Z', firstSeenHistoryId: '1' }), dep({ lastImage: 'sha256:a', lastImageCreated: '2025-06-01T00:00:00Z', lastImageFirstSeenHistoryId: '3' }), false, 'OlderImageIgnored'],
  ])('%s', (_name, t, d, fire, reason) => {
    expect(decideFire(t, d)).toMatchObject({ fire, reason });
  });

  it('keys fires by dependent and digest; a rollback is a new effect', () => {
    expect(idempotencyKey('u', 'sha256:a')).toBe('u/sha256:a');
    expect(idempotencyKey('u', 'sha256:a', '42')).toBe('u/sha256:a/rollback-42');
  });
});

describe('Standard Webhooks signing', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  it('matches the reference construction (HMAC-SHA256 over id.timestamp.body, base64 key)', () => {
    const want = createHmac('sha256', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')).update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(signature(secret, 'msg_1', 1700000000, '{"a":1}')).toBe(`v1,${want}`);
  });
  it.each([
    ['current secret', [secret, 'whsec_b2xkb2xkb2xkb2xkb2xkb2xk'], secret, true],
    ['previous secret during rotation', [secret, 'whsec_b2xkb2xkb2xkb2xkb2xkb2xk'], 'whsec_b2xkb2xkb2xkb2xkb2xkb2xk', true],
    ['unknown secret', [secret], 'whsec_b2xkb2xkb2xkb2xkb2xkb2xk', false],
  ])('%s', (_n, signing, checking, ok) => {
    const now = 1700000000;
    const h = signedHeaders(signing, 'msg_1', now, 'body');
    expect(verify(checking, { id: h['webhook-id']!, timestamp: h['webhook-timestamp']!, signature: h['webhook-signature']! }, 'body', now)).toBe(ok);
  });
  it('rejects a tampered body and a stale timestamp', () => {
    const h = signedHeaders([secret], 'msg_1', 1700000000, 'body');
    const parts = { id: 'msg_1', timestamp: h['webhook-timestamp']!, signature: h['webhook-signature']! };
    expect(verify(secret, parts, 'body2', 1700000000)).toBe(false);
    expect(verify(secret, parts, 'body', 1700000000 + 3600)).toBe(false);
  });
});

describe('SSRF address policy', () => {
  const policy = new AddressPolicy(['127.0.0.1', '10.1.0.0/16']);
  it.each([
    ['8.8.8.8', true],
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['10.1.2.3', true],
    ['10.2.0.1', false],
    ['192.168.1.1', false],
    ['172.20.0.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:127.0.0.1', true],
    ['::127.0.0.2', false],
    ['::7f00:2', false],
    ['fec0::1', false],
    ['2001:db8::1', false],
    ['100::1', false],
    // IANA special-purpose ranges: documentation, benchmarking, ORCHID, 6to4 relay, local-use NAT64.
    ['192.0.2.1', false],
    ['198.51.100.1', false],
    ['203.0.113.1', false],
    ['192.88.99.1', false],
    ['64:ff9b:1:a00:0:100::', false],
    ['64:ff9b:1::1', false],
    ['2001:2::1', false],
    ['2001:10::1', false],
    ['2001:20::1', false],
    ['3fff::1', false],
    ['192.0.3.1', true],
    ['203.0.114.1', true],
    ['::ffff:0:10.0.0.1', false],
    ['::ffff:0:a00:1', false],
    ['2002:a00:1::1', false],
    ['2002:808:808::1', false],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', false],
    ['2001:4860:4860::8888', true],
    ['2606:4700::1111', true],
  ])('%s allowed=%s', (addr, allowed) => {
    expect(policy.refusal(addr) === null).toBe(allowed);
  });
  it.each([
    ['10.1.0.1', 'address 10.1.0.1 is private, in 10.0.0.0/8'],
    ['127.0.0.2', 'address 127.0.0.2 is loopback, in 127.0.0.0/8'],
    ['169.254.169.254', 'address 169.254.169.254 is link-local, in 169.254.0.0/16'],
    ['::1', 'address ::1 is loopback, in ::1/128'],
    ['fe80::1', 'address fe80::1 is link-local, in fe80::/10'],
    ['fd12::1', 'address fd12::1 is private (unique local), in fc00::/7'],
    ['::ffff:192.168.0.1', 'address ::ffff:192.168.0.1 is private, in 192.168.0.0/16'],
  ])('a refusal of %s says which kind of address it is, in which range', (addr, says) => {
    const strict = new AddressPolicy([]);
    expect(strict.refusal(addr)).toBe(
      `${says}: not allowed unless allow-listed (TRIGGER_ALLOWED_CIDRS); deliveries to private, loopback, link-local and reserved addresses are refused`,
    );
  });
  it('a refusal of a host name names the host and the address it resolved to', async () => {
    await expect(new AddressPolicy([]).check('http://build.internal:8080/hook', async () => ['10.0.0.7'])).rejects.toThrow(
      'host build.internal resolves to 10.0.0.7, which is private, in 10.0.0.0/8: not allowed unless allow-listed (TRIGGER_ALLOWED_CIDRS or TRIGGER_ALLOWED_HOSTS); deliveries to private, loopback, link-local and reserved addresses are refused',
    );
  });
  it('resolves host names before deciding', async () => {
    await expect(policy.check('http://metadata.internal/x', async () => ['169.254.169.254'])).rejects.toThrow(/link-local|private/);
    await expect(policy.check('http://example.test/x', async () => ['93.184.216.34'])).resolves.toEqual(['93.184.216.34']);
    await expect(policy.check('http://mixed.test/x', async () => ['93.184.216.34', '10.0.0.1'])).rejects.toThrow();
  });
});

describe('SSRF at connect time', () => {
  // The lookup undici's connector uses: the address actually dialled is judged again, so a host
  // whose DNS answer changes after the URL was checked (rebinding) still cannot reach loopback.
  const lookupOf = (policy: AddressPolicy, host: string) =>
    new Promise<{ err: Error | null; answers: unknown }>((resolve) => policy.connectLookup()(host, { all: true }, (err, answers) => resolve({ err, answers })));

  it('refuses a host name that resolves to loopback', async () => {
    const { err } = await lookupOf(new AddressPolicy([]), 'localhost');
    expect(err).toBeInstanceOf(SsrfError);
    expect(err?.message).toMatch(/^host localhost resolves to .* loopback/);
  });

  it('dials what the allow-list admits', async () => {
    const { err, answers } = await lookupOf(new AddressPolicy(['127.0.0.0/8', '::1/128']), 'localhost');
    expect(err).toBeNull();
    expect(answers).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })]));
  });
});

describe('per-target limiter and backoff', () => {
  it('caps in-flight per target without affecting other targets', () => {
    const l = new TargetLimiter(2, 0);
    const a1 = l.tryAcquire('a');
    l.tryAcquire('a');
    expect('retryInMs' in l.tryAcquire('a')).toBe(true);
    expect('release' in l.tryAcquire('b')).toBe(true);
    if ('release' in a1) a1.release();
    expect('release' in l.tryAcquire('a')).toBe(true);
  });
  it('rate-limits per target', () => {
    let now = 0;
    const l = new TargetLimiter(100, 2, () => now);
    const take = () => {
      const s = l.tryAcquire('a');
      if ('release' in s) s.release();
      return 'release' in s;
    };
    expect([take(), take(), take()]).toEqual([true, true, false]);
    now = 600;
    expect(take()).toBe(true);
  });
  it('a paused target waits out its pause, in tryAcquire and wouldWait; other targets do not', () => {
    let now = 1000;
    const l = new TargetLimiter(10, 0, () => now);
    l.pause('a', 2000);
    expect(l.wouldWait('a')).toBe(2000);
    expect(l.tryAcquire('a')).toEqual({ retryInMs: 2000 });
    expect(l.pausedMs('a')).toBe(2000);
    expect(l.wouldWait('b')).toBe(0);
    expect('release' in l.tryAcquire('b')).toBe(true);
    // A shorter pause asked for meanwhile does not end the longer one early.
    now = 1500;
    l.pause('a', 100);
    expect(l.wouldWait('a')).toBe(1500);
    now = 3000;
    expect(l.wouldWait('a')).toBe(0);
    expect(l.pausedMs('a')).toBe(0);
    expect('release' in l.tryAcquire('a')).toBe(true);
  });
  it.each([
    ['429 with Retry-After', 429, 2000, 2000],
    ['503 with Retry-After', 503, 5000, 5000],
    ['Retry-After above the longest backoff', 503, 999_000, 60_000],
    ['429 without Retry-After: the base backoff', 429, null, 100],
    ['503 without Retry-After', 503, null, 0],
    ['500 with Retry-After', 500, 2000, 0],
    ['no answer', null, null, 0],
  ])('target pause for %s', (_name, status, retryAfter, pause) => {
    expect(targetPauseMs(status, retryAfter, 100, 60_000)).toBe(pause);
  });
  it.each([
    [1, 100, 50],
    [2, 200, 100],
    [5, 1000, 500],
    [20, 1000, 500],
  ])('attempt %i waits at most %i and at least %i ms', (attempt, max, min) => {
    expect(backoffMs(attempt, 100, 1000, () => 1)).toBe(max);
    expect(backoffMs(attempt, 100, 1000, () => 0)).toBe(min);
  });
});

describe('trigger validation', () => {
  const good: Trigger = {
    metadata: { name: 't' },
    spec: { from: { kind: 'ImageStreamTag', name: 'a:b' }, target: { kind: 'Webhook', name: 'x' }, delivery: { url: 'https://h/x', secretRef: { name: 'k' } } },
  };
  it.each([
    ['valid', good, []],
    ['bad from name', { ...good, spec: { ...good.spec, from: { kind: 'ImageStreamTag', name: 'a' } } }, ['spec.from.name']],
    ['bad target kind', { ...good, spec: { ...good.spec, target: { kind: 'Pod', name: 'x' } } }, ['spec.target.kind']],
    ['credentials in url', { ...good, spec: { ...good.spec, delivery: { ...good.spec.delivery, url: 'https://u:p@h/' } } }, ['spec.delivery.url']],
    ['reserved header', { ...good, spec: { ...good.spec, delivery: { ...good.spec.delivery, headers: { 'webhook-id': 'x' } } } }, ['spec.delivery.headers[webhook-id]']],
    ['paused not boolean', { ...good, spec: { ...good.spec, paused: 'false' } }, ['spec.paused']],
  ])('%s', (_n, t, fields) => {
    expect(validateTrigger(t as Trigger).map((e) => e.field)).toEqual(fields);
  });
});

describe('image.openshift.io/triggers annotation and patch', () => {
  const dep = {
    spec: { template: { spec: { containers: [{ name: 'web', image: 'old' }, { name: 'side', image: 'x' }] } } },
  };
  it.each([
    ['by name', 'spec.template.spec.containers[?(@.name=="web")].image', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'new' }]],
    ['by index', 'spec.template.spec.containers[1].image', [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'new' }]],
    ['single quotes do not parse', "spec.template.spec.containers[?(@.name=='web')].image", null],
    ['missing container', 'spec.template.spec.containers[?(@.name=="nope")].image', null],
    // As library-go reads it: the "." before image is optional, an index may have a sign, a name is found in either list.
    ['no dot before image', 'spec.template.spec.containers[1]image', [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'new' }]],
    ['signed index', 'spec.template.spec.containers[+0].image', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'new' }]],
    ['negative index', 'spec.template.spec.containers[-1].image', null],
    ['name in the other list', 'spec.template.spec.initContainers[?(@.name=="side")].image', [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'new' }]],
    ['another field', 'spec.template.spec.containers[0].name', null],
  ])('%s', (_n, fieldPath, want) => {
    expect(imagePatch(dep, 'spec.template.spec', fieldPath, 'new')).toEqual(want);
  });
  it('reads the annotation as the trigger controller decodes it (reference §8.1)', () => {
    const pod = 'spec.template.spec';
    const fp = `${pod}.containers[0].image`;
    const entry = { from: { kind: 'ImageStreamTag', name: 'a:b' }, fieldPath: fp };
    const read = (v: unknown) => parseTriggersAnnotation(typeof v === 'string' ? v : JSON.stringify(v), pod);
    expect(read([entry])).toEqual({ triggers: [{ ...entry, paused: false }], unusable: null, skipped: [], malformed: [] });
    // What does not decode, or repeats a fieldPath, makes the whole annotation unusable.
    expect(read([entry, entry]).unusable).toContain('duplicate triggers are not allowed');
    // null decodes as the zero entry (fieldPath ""): one is skipped, a second one is a duplicate.
    expect(read([null, entry])).toMatchObject({ triggers: [{ ...entry, paused: false }], unusable: null });
    expect(read([null, null, entry]).unusable).toContain('[1]: duplicate triggers are not allowed');
    expect(read([null, { from: entry.from }, entry]).unusable).toContain('[1]: duplicate triggers are not allowed');
    expect(read('{').unusable).toBe('not valid JSON');
    expect(read({ a: 1 }).unusable).toBe('must be a JSON list of triggers');
    expect(read([{ ...entry, paused: 'false' }])).toMatchObject({ triggers: [], unusable: '[0].paused must be a boolean' });
    // A fieldPath that is not a container image path is followed (upstream fails the object only when it applies the entry).
    const quoted = read([{ ...entry, fieldPath: `${pod}.containers[?(@.name=='web')].image` }]);
    expect([quoted.unusable, quoted.triggers.length, quoted.malformed]).toEqual([null, 1, [expect.stringContaining('[0].fieldPath must be')]]);
    expect(read([{ ...entry, fieldPath: `${pod}.containers[0].name` }]).malformed).toHaveLength(1);
    expect(read([{ ...entry, fieldPath: `${pod}.containers[0]image` }]).malformed).toEqual([]);
    expect(read([{ ...entry, fieldPath: `${pod}.containers[?(@.name=="web")].image` }]).malformed).toEqual([]);
    expect(read([{ ...entry, fieldPath: `${pod}.containers[?(@.name="web")].image` }]).malformed).toEqual([expect.stringContaining('which no container can be named')]);
    // Entries the index leaves out are skipped; the others are followed.
    const skipped = read([
      entry,
      { ...entry, fieldPath: `${pod}.containers[1].image`, from: { kind: 'DockerImage', name: 'x' } },
      { ...entry, fieldPath: `${pod}.containers[2].image`, from: { kind: 'ImageStreamTag', name: 'nocolon' } },
      { ...entry, fieldPath: `${pod}.containers[3].image`, from: { ...entry.from, apiVersion: 'image.openshift.io/v1' } },
      { ...entry, fieldPath: 'spec.jobTemplate.spec.template.spec.containers[0].image' },
    ]);
    expect([skipped.triggers.length, skipped.unusable, skipped.skipped.length]).toEqual([1, null, 4]);
    // Go matches keys case-insensitively; `<stream>:` is `<stream>:latest`; null is no triggers; paused true kept.
    expect(read([{ From: { Kind: 'ImageStreamTag', Name: 'web:' }, FieldPath: fp, Paused: true }]).triggers).toEqual([
      { from: { kind: 'ImageStreamTag', name: 'web:latest' }, fieldPath: fp, paused: true },
    ]);
    expect(read('null')).toEqual({ triggers: [], unusable: null, skipped: [], malformed: [] });
    // Members are assigned in document order as Go's decoder does (golang/go#43664): of two keys
    // naming one field (whatever their case) the last wins, a null one leaves the field as it
    // was, and a second `from` fills the same struct; the Kelvin sign and long s fold with k and s.
    const raw = (text: string) => parseTriggersAnnotation(text, pod).triggers;
    expect(raw(`[{"fieldPath":"${pod}.containers[1].image","FieldPath":${JSON.stringify(fp)},"from":${JSON.stringify(entry.from)}}]`)).toEqual([{ ...entry, paused: false }]);
    expect(raw(`[{"fieldPath":${JSON.stringify(fp)},"FIELDPATH":null,"paused":true,"Paused":null,"from":${JSON.stringify(entry.from)}}]`)).toEqual([{ ...entry, paused: true }]);
    expect(raw(`[{"from":{"kind":"ImageStreamTag","name":"x:y"},"fieldPath":${JSON.stringify(fp)},"From":{"name":"a:b"},"from":null}]`)).toEqual([{ ...entry, paused: false }]);
    expect(raw(`[{"from":{"\u212aind":"ImageStreamTag","name":"a:b"},"fieldPath":${JSON.stringify(fp)},"pau\u017fed":true}]`)).toEqual([{ ...entry, paused: true }]);
    expect(parseTriggersAnnotation(`[{"paused":false,"Paused":"true"}]`, pod).unusable).toBe('[0].paused must be a boolean');
    expect(triggersAnnotationWarnings(JSON.stringify([{ ...entry, paused: 'true' }]), pod)).toEqual([
      'metadata.annotations[image.openshift.io/triggers]: [0].paused must be a boolean; the image triggers of this object are ignored',
    ]);
  });
});
