import { randomBytes } from 'node:crypto';
import { TriggerSecretStrategy, TriggerStatusStrategy, TriggerStrategy, validateTrigger } from './trigger.strategy';
import { AddressPolicy } from './ssrf';
import type { Trigger, TriggerSecret } from './trigger.types';

const trigger = (
  target: Partial<Trigger['spec']['target']>,
  delivery: Partial<Trigger['spec']['delivery']> = { secretRef: { name: 'k' } },
): Trigger => ({
  metadata: { name: 't' },
  spec: {
    from: { kind: 'ImageStreamTag', name: 'a:b' },
    target: { kind: 'Webhook', name: 'x', ...target },
    delivery: { url: 'https://h/x', ...delivery },
  },
});
const fields = (t: Trigger) => validateTrigger(t).map((e) => `${e.field}: ${e.type}`);

describe('trigger kinds and the followed tag', () => {
  it('a missing kind is Required, another kind Unsupported', () => {
    const t = trigger({ kind: undefined });
    t.spec.from = { kind: undefined as unknown as 'ImageStreamTag', name: 'a:b' };
    expect(fields(t)).toEqual(['spec.from.kind: FieldValueRequired', 'spec.target.kind: FieldValueRequired']);
    t.spec.from.kind = 'DockerImage' as 'ImageStreamTag';
    t.spec.target.kind = 'Pod' as 'Webhook';
    expect(fields(t)).toEqual(['spec.from.kind: FieldValueNotSupported', 'spec.target.kind: FieldValueNotSupported']);
  });

  it('a tag name no stream can keep (over 255 bytes) is refused; one a registry could not push but the API can tag is not', () => {
    const t = trigger({});
    t.spec.from.name = `a:${'t'.repeat(256)}`;
    expect(fields(t)).toEqual(['spec.from.name: FieldValueInvalid']);
    t.spec.from.name = `a:${'t'.repeat(255)}`;
    expect(fields(t)).toEqual([]);
    t.spec.from.name = 'a:with space';
    expect(fields(t)).toEqual([]);
  });
});

describe('trigger spec.target.fieldPath (the annotation grammar)', () => {
  it.each([
    ['Webhook', 'containers[?(@.name=="x")].image', []],
    ['Webhook', 'spec.template.spec.initContainers[2].image', []],
    ['Build', 'spec.containers[0].image', []],
    ['Webhook', "containers[?(@.name=='x')].image", ['spec.target.fieldPath: FieldValueInvalid']],
    ['Webhook', 'containers[x].image', ['spec.target.fieldPath: FieldValueInvalid']],
    ['Webhook', 'spec.image', ['spec.target.fieldPath: FieldValueInvalid']],
    ['Webhook', 'containers[0].image.extra', ['spec.target.fieldPath: FieldValueInvalid']],
    ['Deployment', 'spec.template.spec.containers[?(@.name=="web")].image', []],
    ['Deployment', 'containers[?(@.name=="web")].image', ['spec.target.fieldPath: FieldValueInvalid']],
    [
      'Deployment',
      "spec.template.spec.containers[?(@.name=='web')].image",
      ['spec.target.fieldPath: FieldValueInvalid'],
    ],
  ] as const)('%s %s', (kind, fieldPath, want) => {
    expect(fields(trigger({ kind, fieldPath }))).toEqual(want);
  });

  it('is not given together with containerNames (only one of them would be used); an empty list is no names', () => {
    const both = trigger({ kind: 'Deployment', fieldPath: 'spec.template.spec.containers[0].image', containerNames: ['web'] });
    expect(fields(both)).toEqual(['spec.target.containerNames: FieldValueForbidden']);
    expect(validateTrigger(both)[0]?.detail).toBe('may not be set together with spec.target.fieldPath');
    expect(fields(trigger({ kind: 'Deployment', fieldPath: 'spec.template.spec.containers[0].image', containerNames: [] }))).toEqual([]);
    // A trigger stored with both (before this rule) stays editable while its target is left as it is.
    const paused = { ...both, spec: { ...both.spec, paused: true } };
    expect(new TriggerStrategy().validateUpdate(paused, both)).toEqual([]);
  });

  it('names the grammar in the message', () => {
    const [err] = validateTrigger(trigger({ kind: 'Deployment', fieldPath: 'containers[0].image' }));
    expect(err?.detail).toBe(
      'must be spec.template.spec.containers[<index>|?(@.name=="<name>")].image (or initContainers)',
    );
  });
});

describe('trigger spec.delivery.secretRef (deliveries are always signed)', () => {
  it.each([
    ['missing', {}, ['spec.delivery.secretRef: FieldValueRequired']],
    ['null', { secretRef: null }, ['spec.delivery.secretRef: FieldValueRequired']],
    ['without a name', { secretRef: {} }, ['spec.delivery.secretRef.name: FieldValueRequired']],
    ['given', { secretRef: { name: 'k' } }, []],
  ])('%s', (_n, delivery, want) => {
    expect(fields(trigger({}, delivery as Partial<Trigger['spec']['delivery']>))).toEqual(want);
  });
});

describe('TriggerSecret validation (Standard Webhooks secrets)', () => {
  const strategy = new TriggerSecretStrategy();
  const secret = (data: Record<string, unknown>) => ({ metadata: { name: 's' }, data }) as TriggerSecret;
  const key = (bytes: number, prefix = 'whsec_') => `${prefix}${randomBytes(bytes).toString('base64')}`;

  it.each([
    ['whsec_ key and previousKey', { key: key(32), previousKey: key(24) }, []],
    ['base64 without the prefix', { key: key(64, '') }, []],
    ['not base64', { key: 'whsec_!!!notbase64notbase64notbase64' }, ['data.key']],
    ['too short once decoded (16 characters of text)', { key: key(12, '') }, ['data.key']],
    ['too long once decoded', { previousKey: key(65), key: key(32) }, ['data.previousKey']],
    ['unknown key', { key: key(32), other: key(32) }, ['data.other']],
    ['delivery headers held as header.<name>', { key: key(32), 'header.Authorization': 'Bearer t0k.en', 'header.X-Api-Key': 'k' }, []],
    ['a header the service sets, a CloudEvents header, a bad name', { key: key(32), 'header.Webhook-Id': 'x', 'header.ce-id': 'x', 'header.a b': 'x' }, ['data.header.Webhook-Id', 'data.header.ce-id', 'data.header.a b']],
    ['a header value that cannot be sent, one name twice', { key: key(32), 'header.X-Note': 'caf\u00e9', 'header.x-a': '1', 'header.X-A': '2' }, ['data.header.X-Note', 'data.header.X-A']],
  ])('%s', (_n, data, want) => {
    expect(strategy.validate(secret(data)).map((e) => e.field)).toEqual(want);
  });

  it('never echoes a header value in errors', () => {
    const errors = strategy.validate(secret({ key: key(32), 'header.Authorization': 'Bearer s3cr3t\nX: y' }));
    expect(JSON.stringify(errors)).not.toContain('s3cr3t');
    expect(errors.map((e) => e.field)).toEqual(['data.header.Authorization']);
  });

  it('never echoes the secret in errors', () => {
    const bad = 'whsec_!!!notbase64notbase64notbase64';
    const errors = strategy.validate(secret({ key: bad }));
    expect(JSON.stringify(errors)).not.toContain('notbase64');
    expect(errors[0]).toMatchObject({
      field: 'data.key',
      value: '<redacted>',
      detail: 'must be base64 (standard alphabet), optionally prefixed with whsec_',
    });
  });
});

describe('trigger spec.delivery.headers', () => {
  const withHeaders = (headers: Record<string, string>) => fields(trigger({}, { secretRef: { name: 'k' }, headers }));

  it('takes a plain header', () => {
    expect(withHeaders({ 'X-Team': 'web', Authorization: 'Bearer a.b\tc' })).toEqual([]);
  });

  it('refuses what the service sets, including CloudEvents attribute headers (the body carries the attributes)', () => {
    expect(withHeaders({ 'Webhook-Id': 'x', 'ce-id': 'forged', 'CE-Type': 'other' })).toEqual([
      'spec.delivery.headers[Webhook-Id]: FieldValueForbidden',
      'spec.delivery.headers[ce-id]: FieldValueForbidden',
      'spec.delivery.headers[CE-Type]: FieldValueForbidden',
    ]);
    expect(withHeaders({ 'x-ce-id': 'fine', center: 'fine' })).toEqual([]);
  });

  it('refuses connection-level headers, which the HTTP client refuses to send (every attempt would fail)', () => {
    const names = ['Connection', 'Transfer-Encoding', 'Keep-Alive', 'Upgrade', 'Expect', 'TE', 'Trailer', 'Proxy-Connection'];
    expect(withHeaders(Object.fromEntries(names.map((n) => [n, 'x'])))).toEqual(names.map((n) => `spec.delivery.headers[${n}]: FieldValueForbidden`));
  });

  it('refuses a name given twice in different cases (one header on the wire)', () => {
    expect(withHeaders({ 'X-Team': 'web', 'x-team': 'api' })).toEqual(['spec.delivery.headers[x-team]: FieldValueDuplicate']);
  });

  it('refuses values no HTTP client sends (they would fail every attempt): line breaks, controls, non-ASCII', () => {
    for (const v of ['a\nb', 'a\u0000b', 'caf\u00e9', '\u{1F600}']) expect(withHeaders({ 'x-note': v })).toEqual(['spec.delivery.headers[x-note]: FieldValueInvalid']);
  });
});

describe('name rules added after a trigger was stored ratchet on update', () => {
  const stored = trigger({ kind: 'Deployment', name: 'Web_1', containerNames: ['Side'] });
  stored.spec.from.name = 'App:latest';
  const strategy = new TriggerStrategy();

  it('a create is refused at each name', () => {
    expect(fields(stored)).toEqual(['spec.from.name: FieldValueInvalid', 'spec.target.name: FieldValueInvalid', 'spec.target.containerNames[0]: FieldValueInvalid']);
  });

  it('an update that leaves them as stored (a pause, a /status write) is not', () => {
    const paused = { ...stored, spec: { ...stored.spec, paused: true } };
    expect(strategy.validateUpdate(paused, stored)).toEqual([]);
    expect(new TriggerStatusStrategy().validateUpdate(stored, stored)).toEqual([]);
  });

  it('an update that changes one is checked', () => {
    const moved = { ...stored, spec: { ...stored.spec, from: { kind: 'ImageStreamTag' as const, name: 'Other:latest' } } };
    expect(strategy.validateUpdate(moved, stored).map((e) => e.field)).toEqual(['spec.from.name']);
  });
});

describe('trigger spec.delivery.url against the SSRF policy', () => {
  const policy = new AddressPolicy(['127.0.0.1'], ['10.9.9.9']);
  const urlErrors = (url: string, old?: Trigger) =>
    validateTrigger(trigger({}, { url, secretRef: { name: 'k' } }), old, policy).map((e) => `${e.field}: ${e.detail}`);

  it.each([
    ['http://10.0.0.7/hook', 'address 10.0.0.7 is private, in 10.0.0.0/8'],
    ['http://[fe80::1]:8080/', 'address fe80::1 is link-local, in fe80::/10'],
    ['https://[::ffff:192.168.0.1]/', 'address ::ffff:c0a8:1 is private, in 192.168.0.0/16'],
  ])('refuses the IP literal in %s', (url, says) => {
    expect(urlErrors(url)).toEqual([expect.stringMatching(new RegExp(`^spec\\.delivery\\.url: ${says.replace(/[.[\]()/]/g, '\\$&')}: not allowed`))]);
  });

  it.each(['http://127.0.0.1:9/hook', 'http://10.9.9.9/x', 'https://ci.internal/hook', 'https://8.8.8.8/x'])(
    'accepts %s: allow-listed, a host name (resolved when dialled) or a public address',
    (url) => expect(urlErrors(url)).toEqual([]),
  );

  it('leaves a stored URL alone on update (the allow-list may have narrowed since)', () => {
    const stored = trigger({}, { url: 'http://10.0.0.7/hook', secretRef: { name: 'k' } });
    expect(urlErrors('http://10.0.0.7/hook', stored)).toEqual([]);
    expect(urlErrors('http://10.0.0.8/hook', stored)).toHaveLength(1);
  });
});

describe('trigger spec.delivery.url port', () => {
  const urlErrors = (url: string, old?: Trigger) =>
    validateTrigger(trigger({}, { url, secretRef: { name: 'k' } }), old).map((e) => `${e.field}: ${e.type}: ${e.detail}`);

  // Nothing listens on port 0: a connection to it always fails, so every delivery would die.
  it.each(['https://example.com:0/hook', 'http://10.0.0.7:00/', 'http://[2001:db8::1]:0'])('refuses port 0 in %s', (url) => {
    expect(urlErrors(url)).toEqual(['spec.delivery.url: FieldValueInvalid: port must be between 1 and 65535, inclusive']);
  });

  it.each(['https://example.com:1/hook', 'https://example.com:65535/hook', 'https://example.com/hook', 'http://example.com:443/'])('accepts %s', (url) => {
    expect(urlErrors(url)).toEqual([]);
  });

  it('leaves a stored URL alone on update, so that the trigger stays editable', () => {
    const stored = trigger({}, { url: 'https://example.com:0/hook', secretRef: { name: 'k' } });
    expect(urlErrors('https://example.com:0/hook', stored)).toEqual([]);
  });
});
