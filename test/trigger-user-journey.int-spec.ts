import { randomBytes } from 'node:crypto';
import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { verifiesSignature } from './support/standard-webhooks';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  createTrigger,
  digest,
  getTrigger,
  listDeliveries,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
  waitForCondition,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const IMAGES_API = '/apis/image.openshift.io/v1';

/**
 * A build system following README "Image change triggers" with curl-style requests: what it
 * writes as the README shows, and what a Go client (which marshals an unset pointer or an empty
 * value as `null`) sends, must be answered as kube-apiserver answers it, never with a 500.
 */
describe('a build system following the README', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const ns = 'journey';
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/${ns}`;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
    expect((await createSigningSecret(server.url, ns, { key })).status).toBe(201);
    expect(
      (
        await call('POST', `${server.url}${IMAGES_API}/namespaces/${ns}/imagestreams`, {
          metadata: { name: 'base' },
        })
      ).status,
    ).toBe(201);
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('spec.from.namespace: null means the trigger\'s own namespace (Go decodes null as ""), on create and update, and the trigger fires', async () => {
    const spec = triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/null-ns'));
    const withNull = { ...spec, from: { ...spec.from, namespace: null } };
    const created = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'null-ns' },
      spec: withNull,
    });
    expect(created.status).toBe(201);
    expect(created.body.spec.from).toEqual({ kind: 'ImageStreamTag', name: 'base:latest' });
    // An update (PUT of what was read, the field set to null again) is the same. Read it once the
    // worker has written its first status (the tag has no image yet), or the PUT may be stale.
    await waitForCondition(server.url, ns, 'null-ns', 'WaitingForImage');
    const current = await getTrigger(server.url, ns, 'null-ns');
    const put = await call('PUT', `${trg()}/triggers/null-ns`, {
      ...current,
      spec: { ...withNull, paused: false },
    });
    expect(put.status).toBe(200);
    expect(put.body.spec.from).toEqual({ kind: 'ImageStreamTag', name: 'base:latest' });
    await mapImage(server.url, ns, {
      stream: 'base',
      tag: 'latest',
      image: digest('a'),
      repository: 'quay.io/acme/base',
    });
    const [got] = await rx.waitFor('/null-ns', 1);
    expect(verifiesSignature(key, got!.headers, got!.body)).toBe(true);
    expect(got!.json).toMatchObject({
      subject: `${ns}/base:latest`,
      data: { namespace: ns, stream: 'base', new: { digest: digest('a') } },
    });
    const states = await pollUntil(
      async () => (await listDeliveries(server.url, ns, 'null-ns')).map((d) => d.status.state),
      (s) => s[0] === 'delivered',
    );
    expect(states).toEqual(['delivered']);
  });

  it('other spec fields given as null are unset (kube-apiserver drops them), on create and update; the generation stays', async () => {
    const spec = triggerSpec(
      'base:latest',
      { kind: 'Build', name: 'app', containerNames: null, fieldPath: null },
      rx.url('/nulls'),
    );
    const withNulls = {
      ...spec,
      paused: null,
      delivery: { ...spec.delivery, headers: null, contentMode: null },
    };
    const created = await call('POST', `${trg()}/triggers`, { metadata: { name: 'nulls' }, spec: withNulls });
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual(
      triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/nulls')),
    );
    await waitForCondition(server.url, ns, 'nulls', 'Triggered');
    const current = await getTrigger(server.url, ns, 'nulls');
    const put = await call('PUT', `${trg()}/triggers/nulls`, { ...current, spec: withNulls });
    expect(put.status).toBe(200);
    expect(put.body.spec).toEqual(created.body.spec);
    expect(put.body.metadata.generation).toBe(1);
    // A null map value decodes as Go's zero value: a header sent empty.
    const nullHeader = await call('POST', `${trg()}/triggers`, {
      metadata: { name: 'null-header' },
      spec: { ...spec, delivery: { ...spec.delivery, headers: { 'X-Team': null } } },
    });
    expect([nullHeader.status, nullHeader.body.spec.delivery.headers]).toEqual([201, { 'X-Team': '' }]);
  });
  it('the pull feed serves a watch-list (client-go informers since 1.35): the retained moves, the initial-events-end BOOKMARK, then later moves', async () => {
    const listed = await call('GET', `${trg()}/tagchangeevents`);
    expect(listed.body.items.length).toBeGreaterThan(0);
    const w = watchEvents(
      `${trg()}/tagchangeevents?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=60`,
    );
    try {
      const isEnd = (e: { type: string; object: any }) =>
        e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true';
      await w.waitFor((events) => events.some(isEnd));
      const end = w.events.findIndex(isEnd);
      const initial = w.events.slice(0, end);
      expect(initial.map((e) => e.type)).toEqual(listed.body.items.map(() => 'ADDED'));
      expect(initial.map((e) => e.object)).toEqual(listed.body.items);
      expect(w.events[end]!.object.metadata.resourceVersion).toBe(listed.body.metadata.resourceVersion);
      await mapImage(server.url, ns, {
        stream: 'base',
        tag: 'latest',
        image: digest('b'),
        repository: 'quay.io/acme/base',
      });
      await w.waitFor((events) => events.slice(end + 1).some((e) => e.type === 'ADDED'));
      expect(w.events.slice(end + 1).find((e) => e.type === 'ADDED')!.object).toMatchObject({
        type: 'tag.moved',
        stream: 'base',
        from: digest('a'),
        to: digest('b'),
      });
    } finally {
      w.stop();
    }
  });
  it('a redrive or preview body of another kind, version or namespace is a 400, as any create: it redrives nothing (it was read as {}, the whole namespace)', async () => {
    // A dead letter: the trigger's receiver answers 400 (not retried).
    await createTrigger(
      server.url,
      ns,
      'rejected',
      triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/rejected')),
    );
    rx.answer('/rejected', 400);
    await pollUntil(
      async () => (await listDeliveries(server.url, ns, 'rejected')).map((d) => d.status.state),
      (s) => s[0] === 'dead',
    );
    for (const [body, message] of [
      [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
        'Pod in version "v1" cannot be handled as a DeliveryRedrive: converting (v1.Pod) to (triggers.DeliveryRedrive): unknown conversion',
      ],
      [
        { apiVersion: 'triggers.imagestreamd.io/v2', kind: 'DeliveryRedrive', spec: {} },
        // A version the scheme does not hold: the decoder's lookup fails before any version check.
        'DeliveryRedrive in version "v2" cannot be handled as a DeliveryRedrive: no kind "DeliveryRedrive" is registered for version "triggers.imagestreamd.io/v2" in scheme "pkg/api/legacyscheme/scheme.go:30"',
      ],
      [
        { metadata: { namespace: 'other' }, spec: {} },
        'the namespace of the provided object does not match the namespace sent on the request',
      ],
    ] as const) {
      const res = await call('POST', `${trg()}/deliveryredrives`, body);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(message);
    }
    expect((await listDeliveries(server.url, ns, 'rejected')).map((d) => d.status.state)).toEqual(['dead']);
    const preview = await call('POST', `${trg()}/pushpreviews`, {
      kind: 'Trigger',
      metadata: { name: 'base:latest' },
      spec: { image: digest('c') },
    });
    expect(preview.status).toBe(400);
    expect(preview.body.message).toBe(
      'Trigger in version "v1" cannot be handled as a PushPreview: converting (v1.Trigger) to (triggers.PushPreview): unknown conversion',
    );
    // A stream no ImageStream can be named gets no push: 422, as a Trigger following it is.
    const impossible = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'Base:latest' }, spec: { image: digest('c') } });
    expect(impossible.status).toBe(422);
    expect(impossible.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.name', message: expect.stringContaining('Invalid value: "Base:latest": stream name "Base"') }),
    ]);
    // The kind's own envelope is accepted: the redrive resends the dead letter.
    const redrive = await call('POST', `${trg()}/deliveryredrives`, {
      apiVersion: 'triggers.imagestreamd.io/v1',
      kind: 'DeliveryRedrive',
      metadata: { namespace: ns },
      spec: { trigger: 'rejected' },
    });
    expect(redrive.status).toBe(201);
    expect(redrive.body.status.redriven).toHaveLength(1);
  });
});
