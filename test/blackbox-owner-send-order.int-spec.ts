import { createServer, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * Two fires of one trigger from pushes in quick succession are sent by different batch jobs. Their
 * POSTs overlapped, so a receiver that handles requests concurrently (a CI system starting a build
 * takes its time) could finish the older one last and end on the older image. The newer POST now
 * waits for the older one in flight (found by a concurrency check: two fires started 3 ms apart
 * arrived inverted). Real api and worker, Postgres, Redis and an HTTP receiver.
 */
describe("one trigger's fires reach its receiver one at a time, oldest first", () => {
  let server: TriggerServer;
  let receiver: Server;
  const log: { image: string; arrived: number; answered: number }[] = [];
  const [v1, v2] = ['1', '2'].map(digest) as [string, string];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const entry = { image: JSON.parse(Buffer.concat(chunks).toString('utf8')).data.new.digest as string, arrived: Date.now(), answered: 0 };
        log.push(entry);
        setTimeout(() => {
          entry.answered = Date.now();
          res.writeHead(200).end();
        }, 600);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    server = await startTriggerServer({});
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    await createTrigger(server.url, 'demo', 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, `http://127.0.0.1:${port}/hook`));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('a push while the previous fire is still being answered is sent after that answer', async () => {
    await mapImage(server.url, 'demo', { stream: 'base', tag: 'latest', image: v1, repository: 'quay.io/demo/base' });
    // v1's POST is in flight (the receiver answers after 600 ms) when v2 is pushed.
    await pollUntil(async () => log.length, (n) => n === 1, 15000);
    await mapImage(server.url, 'demo', { stream: 'base', tag: 'latest', image: v2, repository: 'quay.io/demo/base' });
    await pollUntil(() => listDeliveries(server.url, 'demo', 'rebuild'), (ds) => ds.length === 2 && ds.every((d) => d.status.state === 'delivered'), 15000);
    expect(log.map((e) => e.image)).toEqual([v1, v2]);
    expect(log[1]!.arrived).toBeGreaterThanOrEqual(log[0]!.answered);
  }, 60000);
});
