import { createServer, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * A fire whose first attempts fail keeps retrying; meanwhile the tag moves on and the newer fire
 * is delivered. The older fire's next retry then reached the receiver after the newer one, moving
 * the dependent back to an older image than the one it last got (found by a concurrency check:
 * receiver got v1 500, v1 500, v2 200, v1 200). Such a retry is now not sent: the delivery is
 * dead-lettered as superseded, as a bulk redrive leaves such fires dead. Real api and worker,
 * Postgres, Redis and an HTTP receiver.
 */
describe('a retry of a fire that a later delivered fire superseded is not sent', () => {
  let server: TriggerServer;
  let receiver: Server;
  const received: string[] = [];
  const [v1, v2] = ['1', '2'].map(digest) as [string, string];
  let failV1 = true;
  const deliveries = () => listDeliveries(server.url, 'demo', 'rebuild');

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const image = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { new: { digest: string } } }).data.new.digest;
        if (image === v1 && failV1) return void res.writeHead(500).end();
        received.push(image);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    // v1's retries come 1.5 to 3 s apart: long enough for v2 to be delivered in between.
    server = await startTriggerServer({ TRIGGER_BACKOFF_BASE_MS: '1500', TRIGGER_BACKOFF_MAX_MS: '3000' });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect(
      (await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } })).status,
    ).toBe(201);
    await createTrigger(server.url, 'demo', 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, `http://127.0.0.1:${port}/hook`));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  const push = (image: string) => mapImage(server.url, 'demo', { stream: 'base', tag: 'latest', image, repository: 'quay.io/demo/base' });
  const stateOf = async (image: string) => (await deliveries()).find((d) => d.spec.image === image)?.status;

  it('dead-letters the older retry without a request; the receiver stays on the newer image', async () => {
    await push(v1);
    await pollUntil(async () => (await stateOf(v1))?.attempts, (n) => (n ?? 0) >= 1, 15000);
    await push(v2);
    await pollUntil(async () => (await stateOf(v2))?.state, (s) => s === 'delivered', 15000);
    // The receiver would now take v1 too: only the superseding rule keeps it from being sent.
    failV1 = false;
    const v1Status = await pollUntil(async () => stateOf(v1), (s) => s?.state !== 'pending', 20000);
    expect(received).toEqual([v2]);
    expect(v1Status?.state).toBe('dead');
    expect(v1Status?.lastError).toMatch(/^not sent: superseded by a later fire/);
    // A superseded fire says nothing about the receiver: the trigger is not marked dead-lettered.
    const trigger = await call('GET', `${server.url}/apis/triggers.imagestreamd.io/v1/namespaces/demo/triggers/rebuild`);
    const dead = (trigger.body.status.conditions as { type: string; status: string }[]).find((c) => c.type === 'DeadLettered');
    expect(dead?.status ?? 'False').toBe('False');
    expect(trigger.body.status.lastTriggeredImageID).toBe(v2);
  }, 60000);
});
