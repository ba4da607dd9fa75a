import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { verifiesSignature } from './support/standard-webhooks';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, SIGNING_SECRET, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/** A receiver that takes `answerAfterMs` to answer 200, recording each request as it arrives. */
class SlowReceiver {
  requests: { headers: IncomingHttpHeaders; body: string; at: number }[] = [];
  private server!: Server;
  port = 0;
  constructor(private readonly answerAfterMs: number) {}
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body, at: Date.now() });
        setTimeout(() => res.writeHead(200).end(), this.answerAfterMs);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }
  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

const key = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * A signing-secret rotation while a fan-out's deliveries wait for a slow receiver (one at a time,
 * each answered after 800 ms, so the receiver is never busy for the second after which a batch
 * hands its rows to single jobs): every request sent after the rotation committed is signed with
 * the new key, so a receiver that switches to it at once accepts them.
 */
describe('a signing secret rotated while deliveries wait for their receiver', () => {
  const ns = 'bb-rotate';
  const rx = new SlowReceiver(800);
  let server: TriggerServer;
  const oldKey = key();
  const newKey = key();

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_TARGET_CONCURRENCY: '1' });
    expect((await createSigningSecret(server.url, ns, { key: oldKey })).status).toBe(201);
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    for (let i = 0; i < 4; i++) {
      await createTrigger(server.url, ns, `t${i}`, triggerSpec('base:latest', { kind: 'Webhook', name: `t${i}` }, `http://127.0.0.1:${rx.port}/hook`));
    }
  }, 90000);

  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('signs what it sends after the rotation with the new key', async () => {
    await mapImage(server.url, ns, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'registry.local/bb-rotate/base' });
    await pollUntil(async () => rx.requests.length, (n) => n >= 1, 20000);
    const rotated = await call(
      'PATCH',
      `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggersecrets/${SIGNING_SECRET}`,
      { data: { key: newKey, previousKey: oldKey } },
      'application/merge-patch+json',
    );
    expect(rotated.status).toBe(200);
    const committedAt = Date.now();
    const all = await pollUntil(
      () => listDeliveries(server.url, ns),
      (items) => items.length === 4 && items.every((d) => d.status.state === 'delivered'),
      30000,
    );
    expect(all.map((d) => d.status.state)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    const after = rx.requests.filter((r) => r.at > committedAt);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(after.map((r) => verifiesSignature(newKey, r.headers, r.body))).toEqual(after.map(() => true));
    // Both keys are valid during the rotation: the previous key still verifies too.
    expect(after.map((r) => verifiesSignature(oldKey, r.headers, r.body))).toEqual(after.map(() => true));
  }, 60000);
});
