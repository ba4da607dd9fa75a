import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * What README's "Image change triggers" section promises a user who follows it literally, where
 * the walkthrough found the server saying otherwise.
 */
describe('README walkthrough: image change triggers', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const ns = 'walk';
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/${ns}`;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
  });
  afterAll(async () => {
    rx.close();
    await server?.close();
  });

  it('a DeliveryRedrive may name a trigger and one of its deliveries, and its schema (kubectl explain) says so', async () => {
    // No signing secret yet: the fire is dead-lettered at once (SigningSecretUnavailable).
    await createTrigger(server.url, ns, 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/rebuild')));
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    await mapImage(server.url, ns, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'registry.local/walk/base' });
    const [dead] = await pollUntil(
      () => listDeliveries(server.url, ns, 'rebuild'),
      (ds) => ds[0]?.status?.state === 'dead',
      15000,
    );
    expect(dead.status.state).toBe('dead');
    expect((await createSigningSecret(server.url, ns)).status).toBe(201);

    const both = await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'rebuild', delivery: dead.metadata.name } });
    expect(both.status).toBe(201);
    expect(both.body.status.redriven).toEqual([dead.metadata.name]);
    const delivered = await pollUntil(
      () => listDeliveries(server.url, ns, 'rebuild'),
      (ds) => ds[0]?.status?.state === 'delivered',
      15000,
    );
    expect(delivered[0].status.state).toBe('delivered');

    // The published schema must not tell kubectl explain readers that naming both is wrong.
    const doc = await call('GET', `${server.url}/openapi/v3/apis/triggers.imagestreamd.io/v1`);
    expect(doc.status).toBe(200);
    const schemas: Record<string, any> = doc.body.components.schemas;
    const redrive = Object.entries(schemas).find(([name]) => name.endsWith('.DeliveryRedrive'))?.[1];
    const description: string = redrive.properties.spec.description;
    expect(description).not.toMatch(/at most one/);
    expect(description).toMatch(/Given both, the delivery must be that trigger's/);
  });
});
