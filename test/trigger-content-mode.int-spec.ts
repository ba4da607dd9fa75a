import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { call } from '@app/testing';
import { type CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, digest, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { type Received, Receiver } from './support/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** What a receiver hands the libraries: the request's headers as strings. */
const headerStrings = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

describe('CloudEvents binary content mode (spec.delivery.contentMode)', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const map = (image: string) => mapImage(server.url, 'demo', { stream: 'base', tag: 'v1', image, repository: 'quay.io/acme/base' });
  /** The stored event of the delivery a request carried (the Delivery named by its webhook-id). */
  const storedEvent = async (r: Received) => {
    const d = (await listDeliveries(server.url, 'demo', 'binary')).find((x) => x.metadata.name === r.headers['webhook-id']);
    return d.spec.event;
  };

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_DELIVERY_TIMEOUT_MS: '15000' });
    expect((await createSigningSecret(server.url, 'demo', { key: SECRET })).status).toBe(201);
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    await map(digest('a'));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('refuses an unknown content mode with 422 and stores nothing', async () => {
    const spec = triggerSpec('base:v1', { kind: 'Build', name: 'app' }, rx.url('/never'));
    const res = await call('POST', `${trg()}/triggers`, { metadata: { name: 'batched' }, spec: { ...spec, delivery: { ...spec.delivery, contentMode: 'batch' } } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      { reason: 'FieldValueNotSupported', field: 'spec.delivery.contentMode', message: 'Unsupported value: "batch": supported values: "structured", "binary"' },
    ]);
    expect((await call('GET', `${trg()}/triggers/batched`)).status).toBe(404);
  });

  it('binary mode: data is the body, attributes are ce-* headers; the SDK parses it, Standard Webhooks verifies it', async () => {
    const spec = triggerSpec('base:v1', { kind: 'Build', name: 'app' }, rx.url('/binary'));
    const created = await call('POST', `${trg()}/triggers`, { metadata: { name: 'binary' }, spec: { ...spec, delivery: { ...spec.delivery, contentMode: 'binary' } } });
    expect(created.status).toBe(201);
    expect(created.body.spec.delivery.contentMode).toBe('binary');
    const [got] = await rx.waitFor('/binary', 1);
    const headers = headerStrings(got!.headers);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['ce-specversion']).toBe('1.0');
    expect(headers['ce-id']).toBe(headers['webhook-id']);
    // The reference verifier checks the body sent (the data), as any receiver would.
    expect(() => new Webhook(SECRET).verify(got!.body, headers)).not.toThrow();
    const event = HTTP.toEvent({ headers, body: got!.body }) as CloudEvent<any>;
    const stored = await storedEvent(got!);
    const { data: storedData, ...storedAttributes } = stored;
    expect(event.toJSON()).toMatchObject(storedAttributes);
    expect(event.data).toEqual(storedData);
    expect(event.data).toMatchObject({ stream: 'base', tag: 'v1', new: { digest: digest('a') }, trigger: { name: 'binary' } });
    // Not the structured envelope: the body is the data alone.
    expect(got!.json.specversion).toBeUndefined();
    expect(got!.json).toEqual(storedData);
  });

  it('the mode is read at send time: switching back to structured sends the envelope from the next fire', async () => {
    const patched = await call('PATCH', `${trg()}/triggers/binary`, { spec: { delivery: { contentMode: 'structured' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    await map(digest('b'));
    const got = await rx.waitFor('/binary', 2);
    const headers = headerStrings(got[1]!.headers);
    expect(headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(headers['ce-id']).toBeUndefined();
    expect(() => new Webhook(SECRET).verify(got[1]!.body, headers)).not.toThrow();
    const event = HTTP.toEvent({ headers, body: got[1]!.body }) as CloudEvent<any>;
    expect(event.data.new.digest).toBe(digest('b'));
    expect(got[1]!.json).toEqual(await storedEvent(got[1]!));
    await pollUntil(() => listDeliveries(server.url, 'demo', 'binary'), (ds) => ds.every((d) => d.status.state === 'delivered'));
  });
});
