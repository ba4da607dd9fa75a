import { createServer, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  createTrigger,
  digest,
  listDeliveries,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
} from './support/trigger-resources';

/**
 * A receiver that was down and came back gets the newer fires; a later redrive of the trigger or
 * the namespace must not then replay the older dead ones after them, which moved the receiver
 * back to an older image than the one it last got (found by a soak: 12 receivers ended older than
 * their trigger's lastTriggeredImageID). Those stay dead and are listed as superseded; naming one
 * still sends it. Real api and worker, Postgres, Redis and an HTTP receiver.
 */
describe('a bulk redrive does not replay fires a later delivered fire superseded', () => {
  let server: TriggerServer;
  let receiver: Server;
  let failing = true;
  const received: string[] = [];
  const [v1, v2, v3, v4] = ['1', '2', '3', '4'].map(digest) as [string, string, string, string];
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const deliveries = () => listDeliveries(server.url, 'demo', 'rebuild');
  const idOf = async (image: string) =>
    (await deliveries()).find((d) => d.spec.image === image)!.metadata.name;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failing) return void res.writeHead(500).end();
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).data.new.digest);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    server = await startTriggerServer({
      TRIGGER_ATTEMPT_BUDGET: '1',
      TRIGGER_BACKOFF_BASE_MS: '50',
      TRIGGER_BACKOFF_MAX_MS: '100',
    });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect(
      (
        await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, {
          metadata: { name: 'base' },
        })
      ).status,
    ).toBe(201);
    await createTrigger(
      server.url,
      'demo',
      'rebuild',
      triggerSpec('base:latest', { kind: 'Build', name: 'app' }, `http://127.0.0.1:${port}/hook`),
    );
  }, 90000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  async function push(image: string, state: string) {
    await mapImage(server.url, 'demo', {
      stream: 'base',
      tag: 'latest',
      image,
      repository: 'quay.io/demo/base',
    });
    await pollUntil(
      async () => (await deliveries()).find((d) => d.spec.image === image)?.status.state,
      (s) => s === state,
      15000,
    );
  }

  it('leaves them dead and lists them, for the trigger and for the namespace; a named redrive still sends one', async () => {
    // Down for v1 and v2 (dead, budget 1), back for v3.
    await push(v1, 'dead');
    await push(v2, 'dead');
    failing = false;
    await push(v3, 'delivered');
    expect(received).toEqual([v3]);

    for (const spec of [{ trigger: 'rebuild' }, {}]) {
      const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec });
      expect(redrive.status).toBe(201);
      expect(redrive.body.status.redriven).toEqual([]);
      expect(redrive.body.status.superseded).toEqual([await idOf(v1), await idOf(v2)]);
    }
    // Nothing is sent: the receiver stays on v3.
    await new Promise((r) => setTimeout(r, 1000));
    expect(received).toEqual([v3]);
    expect(
      (await deliveries())
        .filter((d) => d.status.state === 'dead')
        .map((d) => d.spec.image)
        .sort(),
    ).toEqual([v1, v2].sort());

    // Named, it is the user's explicit choice: sent.
    const named = await call('POST', `${trg()}/deliveryredrives`, { spec: { delivery: await idOf(v2) } });
    expect(named.status).toBe(201);
    expect(named.body.status.redriven).toEqual([await idOf(v2)]);
    expect(named.body.status.superseded).toBeUndefined();
    await pollUntil(
      async () => received.length,
      (n) => n === 2,
      15000,
    );
    expect(received).toEqual([v3, v2]);
  }, 90000);

  it('still replays a run of dead fires that nothing later was delivered after, oldest first', async () => {
    failing = true;
    await push(v4, 'dead');
    failing = false;
    const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'rebuild' } });
    // v4 is the newest fire: replayed. v1 stays superseded (v3 and v2 were delivered after it).
    expect(redrive.body.status.redriven).toEqual([await idOf(v4)]);
    expect(redrive.body.status.superseded).toEqual([await idOf(v1)]);
    await pollUntil(
      async () => received.length,
      (n) => n === 3,
      15000,
    );
    expect(received).toEqual([v3, v2, v4]);
  }, 90000);
});
