import { randomBytes } from 'node:crypto';
import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { verifiesSignature } from './support/standard-webhooks';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  digest,
  findCondition,
  getTrigger,
  listDeliveries,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

describe("a receiver answering 410 Gone disables the trigger's endpoint (Standard Webhooks)", () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const map = (stream: string, image: string) =>
    mapImage(server.url, 'demo', { stream, tag: 'v1', image, repository: `quay.io/acme/${stream}` });
  /** Deliveries of `name` in creation order (the list's order). */
  const deliveriesOf = (name: string) => listDeliveries(server.url, 'demo', name);
  /** Waits until `name` has `n` Deliveries, none of them pending; returns them oldest first. */
  const settled = (name: string, n: number) =>
    pollUntil(
      () => deliveriesOf(name),
      (ds) => ds.length === n && ds.every((d) => d.status.state !== 'pending'),
      15000,
    );

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({
      TRIGGER_BACKOFF_BASE_MS: '100',
      TRIGGER_BACKOFF_MAX_MS: '300',
      TRIGGER_ATTEMPT_BUDGET: '3',
      TRIGGER_DELIVERY_TIMEOUT_MS: '15000',
    });
    expect((await createSigningSecret(server.url, 'demo', { key: SECRET })).status).toBe(201);
    for (const stream of ['base', 'other']) {
      expect(
        (
          await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, {
            metadata: { name: stream },
          })
        ).status,
      ).toBe(201);
    }
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('410: no retry, EndpointDisabled=True, later fires recorded but not sent; a spec.delivery change re-enables; a redrive skips the fires the next delivered one superseded, and sends one named', async () => {
    rx.answer('/gone', 410);
    await map('base', digest('a'));
    const created = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'gone' },
      spec: triggerSpec('base:v1', { kind: 'Build', name: 'app' }, rx.url('/gone')),
    });
    expect(created.status).toBe(201);
    const [first] = await settled('gone', 1);
    expect(first.status).toMatchObject({ state: 'dead', attempts: 1, lastStatusCode: 410 });
    expect(first.status.attemptHistory).toHaveLength(1);
    const t = await pollUntil(
      () => getTrigger(server.url, 'demo', 'gone'),
      (x) => findCondition(x, 'EndpointDisabled')?.status === 'True',
    );
    expect(findCondition(t, 'EndpointDisabled')).toMatchObject({
      status: 'True',
      reason: 'ReceiverGone',
      lastTransitionTime: expect.any(String),
    });
    expect(findCondition(t, 'EndpointDisabled').message).toContain(first.metadata.name);
    expect(findCondition(t, 'DeadLettered')).toMatchObject({ status: 'True', reason: 'ReceiverGone' });

    // Later fires are recorded (the receiver's backlog is visible) but never POSTed.
    // (Each fire is awaited: evaluation is level-driven and would skip an image the next push replaced.)
    await map('base', digest('b'));
    await settled('gone', 2);
    await map('base', digest('c'));
    const later = await settled('gone', 3);
    for (const d of later.slice(1)) {
      expect(d.status).toMatchObject({ state: 'dead', attempts: 0, attemptHistory: [] });
      expect(d.status.lastError).toMatch(/^not sent: the receiver answered 410 Gone/);
    }
    // A namespace-wide redrive names no endpoint: the disabled trigger's dead letters stay.
    const all = await call('POST', `${trg()}/deliveryredrives`, {});
    expect(all.status).toBe(201);
    expect(all.body.status.redriven).toEqual([]);
    // The sweeper runs every 500 ms: give it the time to (not) send anything.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.at('/gone')).toHaveLength(1);

    // The user moves the trigger to its new endpoint: re-enabled in the same write, nothing resent by itself.
    const moved = await call(
      'PATCH',
      `${trg()}/triggers/gone`,
      { spec: { delivery: { url: rx.url('/moved') } } },
      'application/merge-patch+json',
    );
    expect(moved.status).toBe(200);
    expect(findCondition(moved.body, 'EndpointDisabled')).toMatchObject({
      status: 'False',
      reason: 'DeliverySpecChanged',
    });
    // The next fire is sent.
    await map('base', digest('d'));
    const [next] = await rx.waitFor('/moved', 1);
    expect(next!.json.data.new.digest).toBe(digest('d'));
    expect(verifiesSignature(SECRET, next!.headers, next!.body)).toBe(true);
    // The fire of d was delivered after the missed ones: a redrive of the trigger would move the
    // receiver back to older images, so it leaves them dead and lists them as superseded.
    const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'gone' } });
    expect(redrive.status).toBe(201);
    expect(redrive.body.status.redriven).toEqual([]);
    expect([...redrive.body.status.superseded].sort()).toEqual(later.map((d) => d.metadata.name).sort());
    // Named, a missed one is sent all the same, with its own webhook-id, to the new URL.
    const missed = later[later.length - 1]!.metadata.name;
    const named = await call('POST', `${trg()}/deliveryredrives`, { spec: { delivery: missed } });
    expect(named.body.status.redriven).toEqual([missed]);
    const got = await rx.waitFor('/moved', 2);
    expect(got[1]!.headers['webhook-id']).toBe(missed);
    await pollUntil(
      () => deliveriesOf('gone'),
      (ds) => ds.find((d) => d.metadata.name === missed)?.status.state === 'delivered',
    );
    expect(rx.at('/gone')).toHaveLength(1);
  });

  it('a redrive naming the newest delivery re-enables the same URL and sends only that one', async () => {
    rx.answer('/same', 410);
    await map('other', digest('1'));
    expect(
      (
        await call('POST', `${trg()}/triggers`, {
          metadata: { name: 'same' },
          spec: triggerSpec('other:v1', { kind: 'Build', name: 'app' }, rx.url('/same')),
        })
      ).status,
    ).toBe(201);
    await settled('same', 1);
    await pollUntil(
      () => getTrigger(server.url, 'demo', 'same'),
      (x) => findCondition(x, 'EndpointDisabled')?.status === 'True',
    );
    // A watch sees a fire that is not sent as it is recorded, then dead-lettered.
    const from = (await call('GET', `${trg()}/deliveries`)).body.metadata.resourceVersion;
    const w = watchEvents(
      `${trg()}/deliveries?watch=1&resourceVersion=${from}&labelSelector=triggers.imagestreamd.io/trigger%3Dsame`,
    );
    try {
      await map('other', digest('2'));
      await w.waitFor((e) => e.some((x) => x.type === 'MODIFIED' && x.object.status.state === 'dead'));
    } finally {
      w.stop();
    }
    expect(w.events.map((x) => x.type)).toEqual(['ADDED', 'MODIFIED']);
    expect(w.events[1]!.object.status.lastError).toMatch(/^not sent: /);
    await settled('same', 2);
    await map('other', digest('3'));
    const missed = await settled('same', 3);
    const newest = missed.find((d) => d.spec.image === digest('3'));
    // A dry run changes nothing.
    const dry = await call('POST', `${trg()}/deliveryredrives?dryRun=All`, {
      spec: { delivery: newest.metadata.name },
    });
    expect(dry.body.status).toEqual({ redriven: [newest.metadata.name], reenabled: ['same'] });
    expect(findCondition(await getTrigger(server.url, 'demo', 'same'), 'EndpointDisabled').status).toBe(
      'True',
    );

    const redrive = await call('POST', `${trg()}/deliveryredrives`, {
      spec: { delivery: newest.metadata.name },
    });
    expect(redrive.status).toBe(201);
    expect(redrive.body.status).toEqual({ redriven: [newest.metadata.name], reenabled: ['same'] });
    const got = await rx.waitFor('/same', 2);
    expect(got[1]!.headers['webhook-id']).toBe(newest.metadata.name);
    expect(got[1]!.json.data.new.digest).toBe(digest('3'));
    expect(findCondition(await getTrigger(server.url, 'demo', 'same'), 'EndpointDisabled')).toMatchObject({
      status: 'False',
      reason: 'Redriven',
    });
    // The fire in between stays a dead letter until someone asks for it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.at('/same')).toHaveLength(2);
    expect((await deliveriesOf('same')).find((d) => d.spec.image === digest('2')).status.state).toBe('dead');
  });

  it('a 410 answering an attempt that started before spec.delivery changed does not disable the new endpoint', async () => {
    let release!: () => void;
    rx.answer('/old', { status: 410, after: new Promise<void>((r) => (release = r)) });
    await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, {
      metadata: { name: 'raced' },
    });
    await map('raced', digest('5'));
    expect(
      (
        await call('POST', `${trg()}/triggers`, {
          metadata: { name: 'raced' },
          spec: triggerSpec('raced:v1', { kind: 'Build', name: 'app' }, rx.url('/old')),
        })
      ).status,
    ).toBe(201);
    await rx.waitFor('/old', 1);
    // While the old endpoint holds its answer, the user moves the trigger.
    expect(
      (
        await call(
          'PATCH',
          `${trg()}/triggers/raced`,
          { spec: { delivery: { url: rx.url('/new') } } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    release();
    const [d] = await settled('raced', 1);
    expect(d.status).toMatchObject({ state: 'dead', lastStatusCode: 410 });
    const t = await pollUntil(
      () => getTrigger(server.url, 'demo', 'raced'),
      (x) => findCondition(x, 'DeadLettered')?.status === 'True',
    );
    expect(findCondition(t, 'DeadLettered').reason).toBe('ReceiverGone');
    expect(findCondition(t, 'EndpointDisabled')).toBeUndefined();
    await map('raced', digest('6'));
    const [got] = await rx.waitFor('/new', 1);
    expect(got!.json.data.new.digest).toBe(digest('6'));
  });

  it('a 4xx other than 410 dead-letters the delivery but keeps the endpoint enabled', async () => {
    rx.answer('/rejects', 400);
    expect(
      (
        await call('POST', `${trg()}/triggers`, {
          metadata: { name: 'rejects' },
          spec: triggerSpec('other:v1', { kind: 'Build', name: 'app' }, rx.url('/rejects')),
        })
      ).status,
    ).toBe(201);
    const [d] = await settled('rejects', 1);
    expect(d.status).toMatchObject({ state: 'dead', lastStatusCode: 400 });
    const t = await pollUntil(
      () => getTrigger(server.url, 'demo', 'rejects'),
      (x) => findCondition(x, 'DeadLettered')?.status === 'True',
    );
    expect(findCondition(t, 'DeadLettered').reason).toBe('ReceiverRejected');
    expect(findCondition(t, 'EndpointDisabled')).toBeUndefined();
    await map('other', digest('4'));
    await rx.waitFor('/rejects', 2);
  });
});
