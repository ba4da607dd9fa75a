import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const G = '/apis/triggers.imagestreamd.io/v1';

/** A receiver whose effect is "apply once per webhook-id", as a real receiver should. */
class Receiver {
  requests: { headers: IncomingHttpHeaders; at: number; json: any }[] = [];
  effects = new Map<string, number>();
  hang = false;
  private pending: ServerResponse[] = [];
  private server!: Server;
  port = 0;
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, at: Date.now(), json: JSON.parse(body) });
        if (this.hang) {
          this.pending.push(res);
          return;
        }
        const id = String(req.headers['webhook-id']);
        this.effects.set(id, (this.effects.get(id) ?? 0) + (this.effects.has(id) ? 0 : 1));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }
  url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }
  async waitFor(n: number, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} requests; got ${this.requests.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  close() {
    for (const r of this.pending) r.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}

async function setup(db: string, env: Record<string, string>) {
  return startApiProcess(
    {
      DATABASE_URL: db,
      TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
      TRIGGER_BACKOFF_BASE_MS: '100',
      TRIGGER_BACKOFF_MAX_MS: '300',
      TRIGGER_RELAY_INTERVAL_MS: '10',
      ...env,
    },
    ['--with-worker'],
  );
}

async function mapping(api: ApiProcess, stream: string, image: string) {
  const res = await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreammappings`, {
    metadata: { name: stream },
    tag: 'latest',
    image: { metadata: { name: image }, dockerImageReference: `quay.io/acme/${stream}@${image}` },
  });
  expect(res.status).toBe(201);
}

async function newTrigger(api: ApiProcess, name: string, from: string, url: string) {
  // Deliveries are always signed: the namespace's signing secret, created once (409 afterwards).
  const secret = await call('POST', `${api.url}${G}/namespaces/demo/triggersecrets`, { metadata: { name: 'hook-key' }, data: { key: `whsec_${randomBytes(32).toString('base64')}` } });
  expect([201, 409]).toContain(secret.status);
  const res = await call('POST', `${api.url}${G}/namespaces/demo/triggers`, {
    metadata: { name },
    spec: { from: { kind: 'ImageStreamTag', name: from }, target: { kind: 'Webhook', name }, delivery: { url, secretRef: { name: 'hook-key' } } },
  });
  expect(res.status).toBe(201);
}

describe('trigger delivery resilience', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;

  it('worker killed mid-delivery: the receiver sees the same webhook-id again and the effect happens once', async () => {
    const db = await createTestDatabase();
    const rx = new Receiver();
    await rx.start();
    const env = { TRIGGER_QUEUE_PREFIX: `${prefix}k`, TRIGGER_JOB_LOCK_MS: '2000', TRIGGER_DELIVERY_TIMEOUT_MS: '20000' };
    let api = await setup(db.url, env);
    try {
      await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } });
      await newTrigger(api, 'builder', 'base:latest', rx.url());
      rx.hang = true;
      await mapping(api, 'base', digest('1'));
      await rx.waitFor(1);
      await api.stop('SIGKILL');
      rx.hang = false;
      api = await setup(db.url, env);
      await rx.waitFor(2);
      expect(rx.requests[1]!.headers['webhook-id']).toBe(rx.requests[0]!.headers['webhook-id']);
      expect(rx.requests[1]!.json).toEqual(rx.requests[0]!.json);
      expect([...rx.effects.values()]).toEqual([1]);
      const deadline = Date.now() + 5000;
      let d: any;
      do {
        d = (await call('GET', `${api.url}${G}/namespaces/demo/deliveries`)).body.items;
        if (d[0]?.status.state === 'delivered') break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < deadline);
      expect(d).toHaveLength(1);
      expect(d[0].status.state).toBe('delivered');
      // The interrupted attempt is visible as started and never finished.
      expect(d[0].status.attemptHistory.some((a: any) => a.finishedAt === null)).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.requests).toHaveLength(2);
    } finally {
      await api.stop();
      rx.close();
      await db.drop();
    }
  }, 60000);

  it('a dead (hanging) receiver does not slow a healthy one', async () => {
    const db = await createTestDatabase();
    const dead = new Receiver();
    const healthy = new Receiver();
    await dead.start();
    await healthy.start();
    dead.hang = true;
    const api = await setup(db.url, {
      TRIGGER_QUEUE_PREFIX: `${prefix}i`,
      TRIGGER_DELIVERY_CONCURRENCY: '4',
      TRIGGER_TARGET_CONCURRENCY: '2',
      TRIGGER_DELIVERY_TIMEOUT_MS: '5000',
    });
    try {
      await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'app' } });
      // Dead receiver's triggers sort first (uid order is random; create them first and many).
      for (let i = 0; i < 12; i++) await newTrigger(api, `dead-${i}`, 'app:latest', dead.url());
      for (let i = 0; i < 12; i++) await newTrigger(api, `ok-${i}`, 'app:latest', healthy.url());
      const t0 = Date.now();
      await mapping(api, 'app', digest('2'));
      await healthy.waitFor(12, 4000);
      const took = Date.now() - t0;
      // Well under one delivery timeout (5 s): hung requests to the dead receiver never held the healthy ones up.
      expect(took).toBeLessThan(3000);
      expect(dead.requests.length).toBeLessThanOrEqual(2);
    } finally {
      await api.stop();
      dead.close();
      healthy.close();
      await db.drop();
    }
  }, 60000);
});
