import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const NS = 'dlvresume';

/**
 * A Delivery watch resumed from a resourceVersion older than a delivery's whole life (fired,
 * delivered, deleted with its Trigger) sees it appear and leave, as a kube watch replays every
 * event after its version: the ADDED carries the delivery's last logged state (the row holds no
 * object and the delivery is gone), the DELETED follows. Real api + worker, Postgres, Redis, receiver.
 */
describe('a Delivery watch resumed after the delivery was deleted', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const deliveries = () => `${server.url}${TRIGGERS_API}/namespaces/${NS}/deliveries`;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    expect((await createSigningSecret(server.url, NS)).status).toBe(201);
    await createTrigger(server.url, NS, 't', triggerSpec('base:latest', { kind: 'Webhook', name: 'hook' }, rx.url('/fire')));
  }, 60000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('replays ADDED (its last state, at the ADDED version) and then DELETED', async () => {
    const before = (await call('GET', deliveries())).body.metadata.resourceVersion;
    await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await rx.waitFor('/fire', 1);
    await pollUntil(
      async () => (await call('GET', `${deliveries()}?fieldSelector=status.state=delivered`)).body.items.length,
      (n: number) => n === 1,
      15000,
    );
    expect((await call('DELETE', `${server.url}${TRIGGERS_API}/namespaces/${NS}/triggers/t`)).status).toBe(200);
    await pollUntil(async () => (await call('GET', deliveries())).body.items.length, (n: number) => n === 0, 15000);

    const watch = watchEvents(`${deliveries()}?watch=1&resourceVersion=${before}&timeoutSeconds=2`);
    await watch.done;
    expect(watch.events.map((e) => [e.type, e.object.status.state])).toEqual([
      ['ADDED', 'delivered'],
      ['DELETED', 'delivered'],
    ]);
    const [added, deleted] = watch.events;
    expect(added!.object.metadata.name).toBe(deleted!.object.metadata.name);
    expect(BigInt(added!.object.metadata.resourceVersion)).toBeLessThan(BigInt(deleted!.object.metadata.resourceVersion));
    expect(added!.object.status.attemptHistory).toHaveLength(1);
  }, 60000);
});
