import { createHmac, randomBytes } from 'node:crypto';
import type { DeliveryRow } from './delivery-claim';
import { deliveryRequestHeaders } from './delivery-headers';
import { SigningSecretError } from './signing';

const key = randomBytes(32).toString('base64');
const oldKey = randomBytes(32).toString('base64');

function row(overrides: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    id: 'dlv-1',
    namespace: 'ns',
    owner_kind: 'Trigger',
    claims: 1,
    owner_name: 't',
    seq: '1',
    owner_uid: '00000000-0000-0000-0000-000000000001',
    url: 'http://127.0.0.1:1/hook',
    target_key: 'http://127.0.0.1:1',
    body: '{"specversion":"1.0"}',
    attributes: null,
    state: 'pending',
    generation: 1,
    attempts: 0,
    delivery: { url: 'http://127.0.0.1:1/hook', secretRef: { name: 'key' } },
    secret: { key },
    ...overrides,
  };
}

/** An independent check of a Standard Webhooks signature list against one key. */
function signedWith(headers: Record<string, string>, secret: string, body: string): boolean {
  const mac = createHmac('sha256', Buffer.from(secret, 'base64')).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
  return headers['webhook-signature']!.split(' ').includes(`v1,${mac}`);
}

describe('deliveryRequestHeaders', () => {
  it('signs the body sent with the id and timestamp given, as a structured-mode CloudEvent', () => {
    const d = row();
    const h = deliveryRequestHeaders(d, d.body, 1_700_000_000);
    expect(h['webhook-id']).toBe('dlv-1');
    expect(h['webhook-timestamp']).toBe('1700000000');
    expect(signedWith(h, key, d.body)).toBe(true);
    expect(signedWith(h, key, `${d.body} `)).toBe(false);
    expect(h['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(h['user-agent']).toBe('imagestreamd-triggers/1');
  });

  it('signs with both keys during a rotation', () => {
    const d = row({ secret: { key, previousKey: oldKey } });
    const h = deliveryRequestHeaders(d, d.body, 1_700_000_000);
    expect(signedWith(h, key, d.body)).toBe(true);
    expect(signedWith(h, oldKey, d.body)).toBe(true);
  });

  it('signs once when previousKey is the key again, with or without the whsec_ prefix', () => {
    for (const previousKey of [key, `whsec_${key}`]) {
      const d = row({ secret: { key, previousKey } });
      const h = deliveryRequestHeaders(d, d.body, 1_700_000_000);
      expect(h['webhook-signature']!.split(' ')).toHaveLength(1);
      expect(signedWith(h, key, d.body)).toBe(true);
    }
  });

  it("lets the trigger's headers replace ours whatever their case, and the secret's headers win over the spec's", () => {
    const d = row({
      delivery: { url: 'http://127.0.0.1:1/hook', secretRef: { name: 'key' }, headers: { 'User-Agent': 'builder/2', Authorization: 'from-spec', 'X-Team': 'a' } },
      secret: { key, 'header.authorization': 'Bearer from-secret' },
    });
    const h = deliveryRequestHeaders(d, d.body, 1);
    expect(h['user-agent']).toBe('builder/2');
    expect(h['authorization']).toBe('Bearer from-secret');
    expect(h['x-team']).toBe('a');
    expect(Object.keys(h).filter((k) => k.toLowerCase() === 'user-agent')).toEqual(['user-agent']);
  });

  it('carries the attributes as ce-* headers in binary mode', () => {
    const d = row({ attributes: { specversion: '1.0', id: 'dlv-1', type: 'io.imagestreamd.tag.changed', datacontenttype: 'application/json' }, body: '{"tag":"latest"}' });
    const h = deliveryRequestHeaders(d, d.body, 1);
    expect(h['content-type']).toBe('application/json');
    expect(h['ce-id']).toBe('dlv-1');
    expect(h['ce-type']).toBe('io.imagestreamd.tag.changed');
    expect(signedWith(h, key, d.body)).toBe(true);
  });

  it('refuses to build unsigned headers', () => {
    expect(() => deliveryRequestHeaders(row({ delivery: null }), '{}', 1)).toThrow(SigningSecretError);
    expect(() => deliveryRequestHeaders(row({ secret: null }), '{}', 1)).toThrow(/not found/);
    expect(() => deliveryRequestHeaders(row({ delivery: { url: 'http://127.0.0.1:1/hook' } }), '{}', 1)).toThrow(/no spec.delivery.secretRef/);
  });
});
