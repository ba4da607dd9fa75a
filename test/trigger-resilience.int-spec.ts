import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/** A receiver whose effect is "apply once per webhook-id", as a real receiver should. */
class Receiver {
  requests: { headers: IncomingHttpHeaders; at: number; json: any }[] = [];
  effects = new Map<string, number>();
  hang = false;
  /** The Retry-After (seconds) of a 429 for the n-th request (1-based), or undefined to accept it. */
  throttle?: (n: number) => string | undefined;
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
        const throttled = this.throttle?.(this.requests.length);
        if (throttled) {
          res.writeHead(429, { 'retry-after': throttled }).end();
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
  url(path = '/hook') {
    return `http://127.0.0.1:${this.port}${path}`;
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

/** The trigger server with retries 100 to 300 ms apart. */
function setup(env: Record<string, string>) {
  return startTriggerServer({ TRIGGER_BACKOFF_BASE_MS: '100', TRIGGER_BACKOFF_MAX_MS: '300', ...env });
}

function mapping(server: TriggerServer, stream: string, image: string) {
  return mapImage(server.url, 'demo', { stream, tag: 'latest', image, repository: `quay.io/acme/${stream}` });
}

async function newTrigger(server: TriggerServer, name: string, from: string, url: string) {
  await newTriggers(server, [name], from, () => url);
}

/** Webhook Triggers named `names` following `from`, delivering to `url(i)`; created at once, as they are independent. */
async function newTriggers(server: TriggerServer, names: string[], from: string, url: (i: number) => string) {
  // Deliveries are always signed: the namespace's signing secret, created once (409 afterwards).
  const secret = await createSigningSecret(server.url, 'demo');
  expect([201, 409]).toContain(secret.status);
  await Promise.all(names.map((name, i) => createTrigger(server.url, 'demo', name, triggerSpec(from, { kind: 'Webhook', name }, url(i)))));
}

const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('trigger delivery resilience', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;

  it('worker killed mid-delivery: the receiver sees the same webhook-id again and the effect happens once', async () => {
    const rx = new Receiver();
    await rx.start();
    const server = await setup({ TRIGGER_QUEUE_PREFIX: `${prefix}k`, TRIGGER_JOB_LOCK_MS: '2000', TRIGGER_DELIVERY_TIMEOUT_MS: '1000' });
    try {
      await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'base' } });
      await newTrigger(server, 'builder', 'base:latest', rx.url());
      rx.hang = true;
      await mapping(server, 'base', digest('1'));
      await rx.waitFor(1);
      await server.stopApi('SIGKILL');
      rx.hang = false;
      // A new api process over the same database and queues.
      await server.startApi();
      await rx.waitFor(2);
      expect(rx.requests[1]!.headers['webhook-id']).toBe(rx.requests[0]!.headers['webhook-id']);
      expect(rx.requests[1]!.json).toEqual(rx.requests[0]!.json);
      expect([...rx.effects.values()]).toEqual([1]);
      const d = await pollUntil(() => listDeliveries(server.url, 'demo'), (items) => items[0]?.status.state === 'delivered', 5000);
      expect(d).toHaveLength(1);
      expect(d[0].status.state).toBe('delivered');
      // The interrupted attempt stays in the history, closed as interrupted when the retry started.
      const history = d[0].status.attemptHistory as any[];
      expect(history).toHaveLength(2);
      expect(history[0]).toMatchObject({ attempt: 1, statusCode: null, error: expect.stringMatching(/^interrupted/) });
      expect(history[0].finishedAt).toEqual(expect.any(String));
      // Numbered in sending order: the receiver got two POSTs.
      expect(history[1]).toMatchObject({ attempt: 2, statusCode: 204, error: null });
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.requests).toHaveLength(2);
    } finally {
      await server.close();
      rx.close();
    }
  }, 60000);

  it('a dead (hanging) receiver does not slow a healthy one', async () => {
    const dead = new Receiver();
    const healthy = new Receiver();
    await dead.start();
    await healthy.start();
    dead.hang = true;
    const server = await setup({
      TRIGGER_QUEUE_PREFIX: `${prefix}i`,
      TRIGGER_DELIVERY_CONCURRENCY: '4',
      TRIGGER_TARGET_CONCURRENCY: '2',
      TRIGGER_DELIVERY_TIMEOUT_MS: '5000',
    });
    try {
      await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'app' } });
      // Dead receiver's triggers sort first (uid order is random; create them first and many).
      await newTriggers(server, numbered('dead', 12), 'app:latest', () => dead.url());
      await newTriggers(server, numbered('ok', 12), 'app:latest', () => healthy.url());
      const t0 = Date.now();
      await mapping(server, 'app', digest('2'));
      await healthy.waitFor(12, 4000);
      const took = Date.now() - t0;
      // Well under one delivery timeout (5 s): hung requests to the dead receiver never held the healthy ones up.
      expect(took).toBeLessThan(3000);
      expect(dead.requests.length).toBeLessThanOrEqual(2);
      // And their outcomes are recorded while the dead receiver's POSTs still hang (they time out
      // at 5 s): a batch records what it learns as it goes, not when its slowest POST ends.
      const okStates = async () => {
        const states = await Promise.all(Array.from({ length: 12 }, (_, i) => listDeliveries(server.url, 'demo', `ok-${i}`).then((d) => d[0]?.status.state)));
        return states;
      };
      const states = await pollUntil(okStates, (s) => s.every((x) => x === 'delivered'), 3500 - (Date.now() - t0));
      expect(states).toEqual(Array(12).fill('delivered'));
      expect(Date.now() - t0).toBeLessThan(4500);
    } finally {
      // The receivers first: the dead one's POSTs, still hanging, then end at once instead of
      // holding the api's shutdown until they time out.
      dead.close();
      healthy.close();
      await server.close();
    }
  }, 60000);

  it('a 429 with Retry-After pauses its receiver: no POST reaches it until then, from this batch or the next; other receivers go on', async () => {
    const limited = new Receiver();
    const healthy = new Receiver();
    await limited.start();
    await healthy.start();
    limited.throttle = (n) => (n === 1 ? '2' : undefined);
    // One in flight per receiver, so the 429 is the answer to the only POST the receiver has seen.
    const server = await setup({ TRIGGER_QUEUE_PREFIX: `${prefix}p`, TRIGGER_TARGET_CONCURRENCY: '1', TRIGGER_BACKOFF_MAX_MS: '5000' });
    try {
      await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'paced' } });
      // Different paths of one origin are one receiver (target).
      await newTriggers(server, numbered('limited', 3), 'paced:latest', (i) => limited.url(`/hook/${i}`));
      await newTriggers(server, numbered('healthy', 3), 'paced:latest', (i) => healthy.url(`/hook/${i}`));
      await mapping(server, 'paced', digest('4'));
      await limited.waitFor(1, 5000);
      const pausedAt = limited.requests[0]!.at;
      await healthy.waitFor(3, 1500);
      // A second fan-out (a batch of its own) while the receiver's pause runs.
      await mapping(server, 'paced', digest('5'));
      await healthy.waitFor(6, 1500);
      expect(Date.now() - pausedAt).toBeLessThan(1900);
      expect(limited.requests.map((r) => r.json.data.trigger.name)).toHaveLength(1);
      // After the pause every limited trigger gets its newest fire (digest 5); an older fire (the
      // throttled one again, same webhook-id, or a held one) reaches it only before its trigger's newer
      // one went out: once that was sent first, the older is dead-lettered unsent as superseded
      // (test/blackbox-retry-superseded.int-spec.ts), so the receiver never moves back to digest 4.
      const all = await pollUntil(() => listDeliveries(server.url, 'demo'), (items) => items.length === 12 && items.every((d) => d.status.state !== 'pending'), 8000);
      const after = limited.requests.slice(1);
      for (const r of after) expect(r.at - pausedAt).toBeGreaterThanOrEqual(1950);
      expect(new Set(after.map((r) => r.headers['webhook-id'])).size).toBe(after.length);
      for (let i = 0; i < 3; i++) {
        const got = after.filter((r) => r.json.data.trigger.name === `limited-${i}`).map((r) => r.json.data.new.digest);
        expect(got[got.length - 1]).toBe(digest('5'));
        expect(got.indexOf(digest('4'))).toBeLessThanOrEqual(0);
      }
      const held = all.filter((d) => String(d.metadata.ownerReferences?.[0]?.name ?? '').startsWith('limited-'));
      for (const d of held) {
        if (d.spec.image === digest('5')) expect(d.status.state).toBe('delivered');
        else if (d.status.state === 'dead') expect(d.status.lastError).toMatch(/^not sent: superseded by a later fire/);
        else expect(d.status.state).toBe('delivered');
      }
      // Held back by another delivery's Retry-After, or superseded, is no attempt: one per POST received.
      const attempts = held.reduce((n, d) => n + d.status.attemptHistory.length, 0);
      expect(attempts).toBe(limited.requests.length);
    } finally {
      await server.close();
      limited.close();
      healthy.close();
    }
  }, 60000);

  it('a batch bigger than its first claim: the first deliveries and the rest are each sent once, every attempt recorded', async () => {
    const rx = new Receiver();
    await rx.start();
    const server = await setup({ TRIGGER_QUEUE_PREFIX: `${prefix}b` });
    try {
      await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'many' } });
      // More than the first claim of a batch (16), fewer than a batch (100): one batch job, claimed in two parts.
      const n = 40;
      await newTriggers(server, numbered('many', n), 'many:latest', () => rx.url());
      await mapping(server, 'many', digest('3'));
      await rx.waitFor(n);
      const ids = rx.requests.map((r) => String(r.headers['webhook-id']));
      expect(new Set(ids).size).toBe(n);
      expect(new Set(rx.requests.map((r) => r.json.data.trigger.name))).toEqual(new Set(Array.from({ length: n }, (_, i) => `many-${i}`)));
      const all = await pollUntil(() => listDeliveries(server.url, 'demo'), (items) => items.filter((d) => d.status.state === 'delivered').length === n, 5000);
      const delivered = all.filter((d) => String(d.metadata.ownerReferences?.[0]?.name ?? '').startsWith('many-'));
      expect(delivered).toHaveLength(n);
      for (const d of delivered) {
        expect(d.status.state).toBe('delivered');
        expect(d.status.attemptHistory).toHaveLength(1);
        expect(d.status.attemptHistory[0]).toMatchObject({ attempt: 1, statusCode: 204, error: null });
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.requests).toHaveLength(n);
    } finally {
      await server.close();
      rx.close();
    }
  }, 60000);
});
