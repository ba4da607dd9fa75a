import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { call } from '@app/testing';
import { type CloudEvent, HTTP } from 'cloudevents';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ClientNode, waitFor, type WatchEvent } from './support/client-node';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { createSigningSecret, createTrigger, listDeliveries, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { type Received, Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason() ?? (kubectlFound ? null : 'kubectl not found');
const describeStack = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`reference-client trigger tests skipped: ${skipReason}`);

const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
/** What a receiver hands the Standard Webhooks library: the request's headers as strings. */
const headerStrings = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
/** `new Webhook(secret).verify(rawBody, headers)`, exactly as a receiver calls it. */
const verifyWith = (secret: string, r: Received) => new Webhook(secret).verify(r.body, headerStrings(r.headers));
/** The CloudEvents SDK's reading of a received request. */
const toEvent = (r: Received) => HTTP.toEvent({ headers: headerStrings(r.headers), body: r.body }) as CloudEvent<any>;

/**
 * Issue 5 from a build system's side, checked with the libraries real receivers use: the
 * Standard Webhooks reference implementation verifies every delivery, the CloudEvents SDK parses
 * it, and @kubernetes/client-node lists and watches Triggers, image streams and the tag-change
 * feed. A real docker-registry notifies the api process (with its worker) of skopeo pushes.
 */
describeStack('a build system with the reference client libraries', () => {
  const rx = new Receiver();
  let server: TriggerServer;
  let stack: TriggerServerWithRegistry | undefined;
  let registry: RunningRegistry;
  let layout: OciLayout;
  const built = new Map<string, BuiltImage>();
  const push = (ref: string, repositoryTag: string) => skopeoCopy(layout.dir, ref, `${registry.host}/${repositoryTag}`);
  const image = (ref: string) => built.get(ref)!.manifestDigest;
  const istagImage = async (ns: string, stream: string, tag: string) => {
    const res = await call('GET', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreamtags/${stream}:${tag}`);
    return res.status === 200 ? (res.body.image.metadata.name as string) : undefined;
  };

  beforeAll(async () => {
    await rx.start();
    // Retries come quickly, so the redelivery test does not wait on the default backoff.
    ({ server, registry } = stack = await startTriggerServerWithRegistry({ TRIGGER_BACKOFF_BASE_MS: '100', TRIGGER_BACKOFF_MAX_MS: '5000' }));
    layout = await OciLayout.create();
    for (const ref of ['base1', 'base2', 'base3', 'app1', 'app2', 'app3', 'retry1', 'wait1']) {
      built.set(ref, await layout.addImage(ref, { seed: `reference-clients-${ref}` }));
    }
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  describe('push deliveries', () => {
    const ns = 'refhooks';
    const key = whsec();
    let ws: ReturnType<typeof kubectlWorkspace>;
    const secretYaml = (data: Record<string, string>) =>
      ['apiVersion: triggers.imagestreamd.io/v1', 'kind: TriggerSecret', 'metadata:', '  name: build-hook', 'data:', ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`), ''].join('\n');

    beforeAll(() => {
      ws = kubectlWorkspace(server.url, ns);
    });
    afterAll(() => ws?.remove());

    it('kubectl apply registers the Trigger; a skopeo push delivers one event the reference libraries verify and parse', async () => {
      const triggerYaml = [
        'apiVersion: triggers.imagestreamd.io/v1',
        'kind: Trigger',
        'metadata:',
        '  name: rebuild-app',
        'spec:',
        '  from: {kind: ImageStreamTag, name: "base:latest"}',
        '  target: {kind: Build, name: app}',
        `  delivery: {url: "${rx.url('/refhooks')}", secretRef: {name: build-hook}}`,
        '',
      ].join('\n');
      const applied = await ws.run(['apply', '-f', '-'], `${secretYaml({ key })}---\n${triggerYaml}`);
      expect(applied).toMatchObject({ code: 0 });
      expect(applied.stdout).toContain('trigger.triggers.imagestreamd.io/rebuild-app created');
      const trigger = (await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggers/rebuild-app`)).body;

      await push('base1', `${ns}/base:latest`);
      const [received] = await rx.waitFor('/refhooks', 1, 30000);
      expect(verifyWith(key, received!)).toEqual(received!.json);

      const event = toEvent(received!);
      expect(event.validate()).toBe(true);
      expect(received!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      expect(event.specversion).toBe('1.0');
      // The CloudEvent id is the delivery id: the same `webhook-id` a receiver dedupes on.
      expect(event.id).toBe(received!.headers['webhook-id']);
      expect(event.id).toMatch(/^msg_/);
      expect(event.source).toBe(`/imagestreamd/apis/triggers.imagestreamd.io/v1/namespaces/${ns}/triggers/rebuild-app`);
      expect(event.type).toBe('io.imagestreamd.trigger.image-changed.v1');
      expect(event.subject).toBe(`${ns}/base:latest`);
      expect(event.datacontenttype).toBe('application/json');
      // RFC 3339 on the wire; the event happened during this test.
      expect(received!.json.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Math.abs(Date.parse(event.time!) - received!.receivedAt)).toBeLessThan(60000);
      expect(event.data).toEqual({
        namespace: ns,
        stream: 'base',
        tag: 'latest',
        old: { digest: null, pullSpec: null },
        new: { digest: image('base1'), pullSpec: expect.stringMatching(new RegExp(`/${ns}/base@${image('base1')}$`)) },
        reason: 'ImageChanged',
        trigger: { apiVersion: 'triggers.imagestreamd.io/v1', kind: 'Trigger', namespace: ns, name: 'rebuild-app', uid: trigger.metadata.uid, generation: 1 },
        target: { kind: 'Build', name: 'app' },
        patch: null,
        tagChangeId: expect.stringMatching(/^\d+$/),
        causation: [],
      });
      // Nothing outside the spec's attributes and the documented data (no causation, so no causationid).
      expect(Object.keys(received!.json).sort()).toEqual(['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
    });

    it('a Trigger whose headers would contradict the event (ce-*) or can never be sent (non-ASCII) is refused with 422, and nothing is stored', async () => {
      const spec = triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/refhooks-refused'));
      const refused = await call('POST', `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggers`, {
        metadata: { name: 'bad-headers' },
        spec: { ...spec, delivery: { ...spec.delivery, headers: { 'ce-type': 'com.example.other', 'x-note': 'caf\u00e9' } } },
      });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      expect(refused.body.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)).toEqual([
        'spec.delivery.headers[ce-type] FieldValueForbidden',
        'spec.delivery.headers[x-note] FieldValueInvalid',
      ]);
      expect((await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggers/bad-headers`)).status).toBe(404);
    });

    it('a wrong secret, a tampered body or a forged webhook-id fail the reference verification', async () => {
      const [received] = rx.at('/refhooks');
      expect(() => verifyWith(whsec(), received!)).toThrow(WebhookVerificationError);
      const tampered = { ...received!, body: received!.body.replace(image('base1'), image('base2')) };
      expect(tampered.body).not.toBe(received!.body);
      expect(() => verifyWith(key, tampered)).toThrow(WebhookVerificationError);
      const forged = { ...received!, headers: { ...received!.headers, 'webhook-id': 'msg_forged' } };
      expect(() => verifyWith(key, forged)).toThrow(WebhookVerificationError);
    });

    it('during a rotation (key + previousKey) a receiver holding either secret verifies; after it only the new one does', async () => {
      const rotated = whsec();
      expect(await ws.run(['apply', '-f', '-'], secretYaml({ key: rotated, previousKey: key }))).toMatchObject({ code: 0 });
      await push('base2', `${ns}/base:latest`);
      const during = (await rx.waitFor('/refhooks', 2, 30000))[1]!;
      expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verifyWith(rotated, during)).toMatchObject({ data: { old: { digest: image('base1') }, new: { digest: image('base2') } } });
      expect(verifyWith(key, during)).toEqual(during.json);
      expect(() => verifyWith(whsec(), during)).toThrow(WebhookVerificationError);
      expect(toEvent(during).validate()).toBe(true);

      expect(await ws.run(['apply', '-f', '-'], secretYaml({ key: rotated }))).toMatchObject({ code: 0 });
      await push('base3', `${ns}/base:latest`);
      const after = (await rx.waitFor('/refhooks', 3, 30000))[2]!;
      expect(verifyWith(rotated, after)).toMatchObject({ data: { new: { digest: image('base3') } } });
      expect(() => verifyWith(key, after)).toThrow(WebhookVerificationError);
    });

    it("a trigger's own headers go along once each; its User-Agent replaces ours rather than being sent beside it", async () => {
      const spec = triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/refhooks-agent'));
      await createTrigger(server.url, ns, 'with-headers', {
        ...spec,
        delivery: { ...spec.delivery, secretRef: { name: 'build-hook' }, headers: { 'User-Agent': 'ci-bot/2', 'X-Team': 'web' } },
      });
      // The tag has an image already: the new trigger fires at once.
      const [received] = await rx.waitFor('/refhooks-agent', 1, 30000);
      const sent = (name: string) => received!.rawHeaders.filter((_, i) => i % 2 === 1 && received!.rawHeaders[i - 1]!.toLowerCase() === name);
      expect(sent('user-agent')).toEqual(['ci-bot/2']);
      expect(sent('x-team')).toEqual(['web']);
      expect(sent('content-type')).toEqual(['application/cloudevents+json; charset=utf-8']);
      expect(toEvent(received!).validate()).toBe(true);
    });
    it('a receiver credential kept in the TriggerSecret as header.<name> goes with each delivery and is never served', async () => {
      const token = `Bearer ${randomBytes(18).toString('base64url')}`;
      const secret = ['apiVersion: triggers.imagestreamd.io/v1', 'kind: TriggerSecret', 'metadata:', '  name: hook-with-auth', 'data:', `  key: "${whsec()}"`, `  header.Authorization: "${token}"`, ''];
      expect(await ws.run(['apply', '-f', '-'], secret.join('\n'))).toMatchObject({ code: 0 });
      const spec = triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/refhooks-auth'));
      // A spec header of the same name is overridden by the secret's.
      await createTrigger(server.url, ns, 'with-auth', { ...spec, delivery: { ...spec.delivery, secretRef: { name: 'hook-with-auth' }, headers: { authorization: 'spec-value', 'X-Team': 'web' } } });
      const [received] = await rx.waitFor('/refhooks-auth', 1, 30000);
      const sent = (name: string) => received!.rawHeaders.filter((_, i) => i % 2 === 1 && received!.rawHeaders[i - 1]!.toLowerCase() === name);
      expect(sent('authorization')).toEqual([token]);
      expect(sent('x-team')).toEqual(['web']);
      expect(toEvent(received!).validate()).toBe(true);
      // Reads name the key, never its value (kubectl's last-applied copy included).
      const read = await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggersecrets/hook-with-auth`);
      expect(read.body.dataKeys).toEqual(['header.Authorization', 'key']);
      const yaml = await ws.ok(['get', 'triggersecret', 'hook-with-auth', '-o', 'yaml']);
      expect(yaml).toContain('header.Authorization');
      expect(yaml).not.toContain(token.slice(7));
      expect(JSON.stringify(read.body)).not.toContain(token.slice(7));
    });
  });

  describe('a build system that pulls', () => {
    const ns = 'refpull';
    let client: ClientNode;

    beforeAll(async () => {
      client = new ClientNode(server.url, ns);
      await client.ready;
      expect((await createSigningSecret(server.url, ns)).status).toBe(201);
      await createTrigger(server.url, ns, 'pull-app', triggerSpec('app:latest', { kind: 'Build', name: 'app' }, rx.url('/refpull')));
    });
    afterAll(async () => {
      await client?.terminate();
    });

    it('a Trigger informer, an image stream informer and a feed watch resumed from its cursor after a disconnect see each push once', async () => {
      const feedPath = `${TRIGGERS_API}/namespaces/${ns}/tagchangeevents`;
      const triggers = await client.informer(`${TRIGGERS_API}/namespaces/${ns}/triggers`, 'triggers.imagestreamd.io/v1', 'Trigger', ns);
      const streams = await client.informer(`/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, 'image.openshift.io/v1', 'ImageStream', ns);
      const listed = await client.call('list', 'triggers.imagestreamd.io/v1', 'TagChangeEvent', ns);
      let feed = await client.watch(feedPath, { resourceVersion: listed.metadata.resourceVersion, allowWatchBookmarks: true });
      const feedEvents: WatchEvent[] = [];
      const moves = () => [...feedEvents, ...feed.events].filter((e) => e.type === 'ADDED');
      const lastTriggered = (events: WatchEvent[]) => events.filter((e) => e.type === 'add' || e.type === 'update').map((e) => e.object.status?.lastTriggeredImageID);
      const streamImages = (events: WatchEvent[]) =>
        events.filter((e) => e.type === 'add' || e.type === 'update').map((e) => e.object.status?.tags?.find((t: any) => t.tag === 'latest')?.items?.[0]?.image);
      try {
        await push('app1', `${ns}/app:latest`);
        await waitFor(() => moves().length === 1, 'the first feed item', 30000);
        await waitFor(() => lastTriggered(triggers.events).includes(image('app1')), 'the Trigger informer seeing the first fire', 30000);

        // Disconnect; a push happens meanwhile; resume from the last item's resourceVersion (its feed position).
        await feed.stop();
        feedEvents.push(...feed.events);
        const cursor = moves().at(-1)!.object.metadata.resourceVersion as string;
        await push('app2', `${ns}/app:latest`);
        expect(await pollUntil(() => istagImage(ns, 'app', 'latest'), (d) => d === image('app2'), 30000)).toBe(image('app2'));
        feed = await client.watch(feedPath, { resourceVersion: cursor, allowWatchBookmarks: true });
        await waitFor(() => moves().length === 2, 'the move made while disconnected', 30000);
        await waitFor(() => lastTriggered(triggers.events).includes(image('app2')), 'the Trigger informer seeing the second fire', 30000);
        await push('app3', `${ns}/app:latest`);
        await waitFor(() => moves().length === 3, 'the move after the resume', 30000);
        await waitFor(() => lastTriggered(triggers.events).includes(image('app3')), 'the Trigger informer seeing the third fire', 30000);
        await waitFor(() => streamImages(streams.events).includes(image('app3')), 'the stream informer seeing the third push', 30000);

        // A Watch without a resourceVersion starts, as any Kubernetes watch, with the current state:
        // the feed's state is every retained move, replayed in order before later ones.
        const fresh = await client.watch(feedPath, {});
        try {
          const replayed = () => fresh.events.filter((e) => e.type === 'ADDED').map((e) => e.object.to);
          await waitFor(() => replayed().length >= 3, 'the retained moves replayed to a watch without a resourceVersion', 30000);
          expect(replayed()).toEqual([image('app1'), image('app2'), image('app3')]);
        } finally {
          await fresh.stop();
        }

        const items = moves().map((e) => e.object);
        expect(items.map((i) => i.to)).toEqual([image('app1'), image('app2'), image('app3')]);
        expect(items.map((i) => i.from)).toEqual([null, image('app1'), image('app2')]);
        expect(items.every((i) => i.stream === 'app' && i.tag === 'latest' && i.cause === 'registry')).toBe(true);
        expect(new Set(items.map((i) => i.metadata.resourceVersion)).size).toBe(3);

        // Each object version reaches an informer once, and each fire shows in the Trigger's status in order.
        for (const inf of [triggers, streams]) {
          const versions = inf.events.filter((e) => e.type === 'add' || e.type === 'update').map((e) => e.object.metadata.resourceVersion);
          expect(new Set(versions).size).toBe(versions.length);
          expect(inf.events.filter((e) => e.type === 'error')).toEqual([]);
        }
        const fires = lastTriggered(triggers.events).filter((d, i, all) => d && d !== all[i - 1]);
        expect(fires).toEqual([image('app1'), image('app2'), image('app3')]);
        // The status records a fire when its delivery is created; the POST follows.
        const posted = await rx.waitFor('/refpull', 3, 30000);
        expect(posted.map((r) => r.json.data.new.digest)).toEqual([image('app1'), image('app2'), image('app3')]);
      } finally {
        await feed.stop();
        await triggers.stop();
        await streams.stop();
      }
    });
  });

  describe('redeliveries', () => {
    const ns = 'refretry';
    const key = whsec();

    beforeAll(async () => {
      expect((await createSigningSecret(server.url, ns, { key })).status).toBe(201);
      await createTrigger(server.url, ns, 'flaky', triggerSpec('retry:latest', { kind: 'Webhook', name: 'flaky' }, rx.url('/refretry')));
      await createTrigger(server.url, ns, 'patient', triggerSpec('wait:latest', { kind: 'Webhook', name: 'patient' }, rx.url('/refwait')));
    });

    it("a receiver's Retry-After (503) holds the retry back that long (the backoff alone is ~100 ms here)", async () => {
      rx.answer('/refwait', { status: 503, headers: { 'retry-after': '2' } });
      await push('wait1', `${ns}/wait:latest`);
      const [first, retry] = await rx.waitFor('/refwait', 2, 30000);
      expect(retry!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1900);
      expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(verifyWith(key, retry!)).toEqual(first!.json);
      const delivered = await pollUntil(async () => (await listDeliveries(server.url, ns, 'patient'))[0], (d) => d?.status.state === 'delivered', 15000);
      expect(delivered.status.attemptHistory.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
    });

    it('a retry after a 500 and a redrive over the API carry the same webhook-id and event id, each freshly stamped and verified', async () => {
      // 500 (retried), then 422 (dead at once), then a redrive answered 200.
      rx.answer('/refretry', 500, 422);
      await push('retry1', `${ns}/retry:latest`);
      await rx.waitFor('/refretry', 2, 30000);
      const dead = await pollUntil(async () => (await listDeliveries(server.url, ns, 'flaky'))[0], (d) => d?.status.state === 'dead', 15000);
      expect(dead.status.attemptHistory.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 422]);
      const redrive = await call('POST', `${server.url}${TRIGGERS_API}/namespaces/${ns}/deliveryredrives`, { spec: { delivery: dead.metadata.name } });
      expect(redrive.body.status.redriven).toEqual([dead.metadata.name]);
      const sent = await rx.waitFor('/refretry', 3, 30000);

      for (const r of sent) {
        expect(r.headers['webhook-id']).toBe(dead.metadata.name);
        expect(r.body).toBe(sent[0]!.body);
        // Stamped when sent, so the library's five-minute tolerance holds for any late retry.
        expect(Math.abs(Number(r.headers['webhook-timestamp']) - r.receivedAt / 1000)).toBeLessThan(5);
        expect(verifyWith(key, r)).toEqual(sent[0]!.json);
        expect(toEvent(r).id).toBe(dead.metadata.name);
      }
      const delivered = await pollUntil(async () => (await listDeliveries(server.url, ns, 'flaky'))[0], (d) => d?.status.state === 'delivered', 15000);
      expect(delivered.spec.event.id).toBe(dead.metadata.name);
    });
  });
});
