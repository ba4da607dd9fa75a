import { createServer, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/**
 * A redrive of a trigger's dead deliveries replays them: in the order they were fired, one at a
 * time, so the receiver ends on the newest image (the issue: never move a dependent to an image
 * older than the one it last got). Sent all at once, they arrived in any order (v3, then v1).
 */
describe('redriving a trigger replays its dead deliveries in fire order', () => {
  let server: TriggerServer;
  let receiver: Server;
  let port = 0;
  let failing = true;
  let inFlight = 0;
  let maxInFlight = 0;
  const order: string[] = [];
  const images = ['1', '2', '3', '4', '5'].map(digest);
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failing) return void res.writeHead(500).end();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        order.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).data.new.digest);
        // A receiver that takes its time (a CI system starting a build): a replay sent all at once overlaps.
        setTimeout(() => {
          inFlight--;
          res.writeHead(200).end();
        }, 150);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    port = (receiver.address() as { port: number }).port;
    server = await startTriggerServer({ TRIGGER_ATTEMPT_BUDGET: '1', TRIGGER_BACKOFF_BASE_MS: '50', TRIGGER_BACKOFF_MAX_MS: '100' });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    await createTrigger(server.url, 'demo', 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, `http://127.0.0.1:${port}/hook`));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('sends the redriven deliveries one at a time, oldest fire first', async () => {
    // The receiver is down: each push's delivery is dead-lettered (budget 1) before the next push.
    for (const [i, image] of images.entries()) {
      await mapImage(server.url, 'demo', { stream: 'base', tag: 'latest', image, repository: 'quay.io/demo/base' });
      await pollUntil(
        async () => (await listDeliveries(server.url, 'demo', 'rebuild')).filter((d) => d.status.state === 'dead').length,
        (n) => n === i + 1,
        15000,
      );
    }
    failing = false;
    const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'rebuild' } });
    expect(redrive.status).toBe(201);
    expect(redrive.body.status.redriven).toHaveLength(images.length);
    await pollUntil(
      async () => (await listDeliveries(server.url, 'demo', 'rebuild')).filter((d) => d.status.state === 'delivered').length,
      (n) => n === images.length,
      30000,
    );
    expect(order).toEqual(images);
    expect(maxInFlight).toBe(1);
  }, 90000);
});
