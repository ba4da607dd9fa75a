import { createServer, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * A 429 with Retry-After pauses the receiver: v1 of every trigger waits (a retry, or held back
 * unsent), v2 is pushed meanwhile and held back too, so when the pause ends each trigger has two
 * fires due at the same moment. Both passed the database's superseded check (neither was claimed
 * yet); whichever claimed last waited for the other's POST in this worker and was then sent. When
 * that was v1, the receiver accepted v2 and then v1, ending on the older image (found by an
 * adversarial check: 2 of 15 triggers ended on v1). Racy by nature, so many triggers race at once;
 * before the fix several of them ended on v1 in most runs. Real api and worker, Postgres, Redis and
 * an HTTP receiver.
 */
describe('fires held by a paused receiver reach it oldest first, never the older one last', () => {
  const triggers = 16;
  let server: TriggerServer;
  let receiver: Server;
  const [v1, v2] = ['1', '2'].map(digest) as [string, string];
  /** Images each trigger's receiver path accepted (200), in the order it finished them. */
  const accepted = new Map<string, string[]>();
  const seen = new Set<string>();

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const image = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { new: { digest: string } } }).data.new.digest;
        // The first request a path gets pauses the whole receiver (origin) for two seconds.
        if (!seen.has(path)) {
          seen.add(path);
          return void res.writeHead(429, { 'retry-after': '2' }).end();
        }
        setTimeout(() => {
          accepted.set(path, [...(accepted.get(path) ?? []), image]);
          res.writeHead(200).end();
        }, 50);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    server = await startTriggerServer({ TRIGGER_BACKOFF_BASE_MS: '200', TRIGGER_BACKOFF_MAX_MS: '1000' });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    for (let i = 0; i < triggers; i++) {
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: `base${i}` } })).status).toBe(201);
      await createTrigger(server.url, 'demo', `t${i}`, triggerSpec(`base${i}:latest`, { kind: 'Build', name: `app${i}` }, `http://127.0.0.1:${port}/t${i}`));
    }
  }, 90000);
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  // One stream per trigger, pushed one after another: the fires' due times spread around the pause's end.
  const pushAll = async (image: string) => {
    for (let i = 0; i < triggers; i++) await mapImage(server.url, 'demo', { stream: `base${i}`, tag: 'latest', image, repository: `quay.io/demo/base${i}` });
  };

  it('each trigger ends on v2 and never accepts v1 after v2', async () => {
    await pushAll(v1);
    await new Promise((r) => setTimeout(r, 300));
    await pushAll(v2);
    // Every fire is settled: delivered, or dead-lettered unsent as superseded.
    await pollUntil(
      () => listDeliveries(server.url, 'demo'),
      (ds) => ds.length === 2 * triggers && ds.every((d) => d.status.state !== 'pending'),
      30000,
    );
    const endedOlder = [...Array(triggers).keys()]
      .map((i) => ({ trigger: `t${i}`, got: (accepted.get(`/t${i}`) ?? []).map((d) => (d === v1 ? 'v1' : 'v2')) }))
      .filter((t) => t.got.at(-1) !== 'v2');
    expect(endedOlder).toEqual([]);
  }, 60000);
});
