import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, getTrigger, listDeliveries, mapImage, TRIGGERS_API, triggerSpec, waitForCondition } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * Found by black-box acceptance checks of issue 5: what a receiver whose endpoint a 410 Gone
 * disabled gets (nothing), as preview and chains must see it.
 */
describe('triggers whose endpoint is disabled, black-box', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const map = (stream: string, image: string, annotations?: Record<string, string>) =>
    mapImage(server.url, 'demo', { stream, tag: 'latest', image, repository: `quay.io/demo/${stream}`, ...(annotations ? { annotations } : {}) });
  /** Creates Trigger `name` (following `from`), maps `first` so its receiver answers 410, and waits for EndpointDisabled. */
  const disabledTrigger = async (name: string, from: string, first: string) => {
    rx.answer(`/${name}`, 410);
    await createTrigger(server.url, 'demo', name, triggerSpec(from, { kind: 'Webhook', name }, rx.url(`/${name}`)));
    await map(from.split(':')[0]!, first);
    await waitForCondition(server.url, 'demo', name, 'EndpointDisabled', (c) => c?.status === 'True');
  };

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
    for (const s of ['pv', 'base', 'other', 'app']) {
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: s } })).status).toBe(201);
    }
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    rx.close();
    await server?.close();
  });

  it('preview says a trigger whose endpoint is disabled would be sent nothing, as the real push then sends nothing', async () => {
    await disabledTrigger('gone', 'pv:latest', digest('a'));
    await createTrigger(server.url, 'demo', 'ok', triggerSpec('pv:latest', { kind: 'Webhook', name: 'ok' }, rx.url('/ok')));
    await rx.waitFor('/ok', 1);

    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'pv:latest' }, spec: { image: digest('b') } });
    expect(preview.status).toBe(201);
    const entries = preview.body.status.triggers as any[];
    expect(entries.find((t) => t.name === 'ok')).toMatchObject({ wouldFire: true, wouldSend: true });
    const gone = entries.find((t) => t.name === 'gone');
    expect(gone).toMatchObject({ wouldFire: true, wouldSend: false, notSent: { reason: 'EndpointDisabled' } });

    await map('pv', digest('b'));
    await rx.waitFor('/ok', 2);
    const dead = await pollUntil(
      async () => (await listDeliveries(server.url, 'demo', 'gone')).find((d) => d.metadata.name === gone.deliveryId),
      (d) => d?.status.state === 'dead',
    );
    expect(dead.status.attempts).toBe(0);
    expect(rx.at('/gone')).toHaveLength(1); // only the 410 that disabled it
  });

  it('preview says a trigger whose signing secret is missing would be sent nothing, as the real push dead-letters it unsent', async () => {
    const spec = triggerSpec('nosecret:latest', { kind: 'Webhook', name: 'unsigned' }, rx.url('/unsigned'));
    await createTrigger(server.url, 'demo', 'unsigned', { ...spec, delivery: { ...spec.delivery, secretRef: { name: 'no-such-secret' } } });
    await createTrigger(server.url, 'demo', 'signed', triggerSpec('nosecret:latest', { kind: 'Webhook', name: 'signed' }, rx.url('/signed')));
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'nosecret' } })).status).toBe(201);

    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'nosecret:latest' }, spec: { image: digest('f') } });
    expect(preview.status).toBe(201);
    const entries = preview.body.status.triggers as any[];
    expect(entries.find((t) => t.name === 'signed')).toMatchObject({ wouldFire: true, wouldSend: true });
    const unsigned = entries.find((t) => t.name === 'unsigned');
    expect(unsigned).toMatchObject({ wouldFire: true, wouldSend: false, notSent: { reason: 'SigningSecretUnavailable' } });

    await map('nosecret', digest('f'));
    await rx.waitFor('/signed', 1);
    const dead = await pollUntil(
      async () => (await listDeliveries(server.url, 'demo', 'unsigned')).find((d) => d.metadata.name === unsigned.deliveryId),
      (d) => d?.status.state === 'dead',
    );
    expect(dead.status.lastError).toMatch(/signing secret/);
    expect(rx.at('/unsigned')).toHaveLength(0);
  });

  it("a push naming its base image by digest is caused by the delivery its receiver got, not by a disabled trigger's unsent fire of that image", async () => {
    await createTrigger(server.url, 'demo', 'build', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/build')));
    await map('base', digest('c'));
    const [built] = await rx.waitFor('/build', 1);
    // A trigger whose endpoint is disabled starts following base:latest: its first-sight fire of
    // the same image is recorded after the build's, as a dead letter never sent.
    await disabledTrigger('muted', 'other:latest', digest('d'));
    const moved = await call('PATCH', `${trg()}/triggers/muted`, { spec: { from: { kind: 'ImageStreamTag', name: 'base:latest' } } }, 'application/merge-patch+json');
    expect(moved.status).toBe(200);
    await pollUntil(() => getTrigger(server.url, 'demo', 'muted'), (t) => t.status?.lastTriggeredImageID === digest('c'));

    await createTrigger(server.url, 'demo', 'deploy', triggerSpec('app:latest', { kind: 'Webhook', name: 'deploy' }, rx.url('/deploy')));
    await map('app', digest('e'), { 'org.opencontainers.image.base.digest': digest('c') });
    const [deployed] = await rx.waitFor('/deploy', 1);
    expect(deployed!.json.data.causation).toEqual([{ deliveryId: built!.json.id, trigger: 'build', namespace: 'demo', image: digest('c') }]);
    expect(deployed!.json.causationid).toBe(built!.json.id);
  });
});
