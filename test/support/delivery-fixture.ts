import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { redisConnectionOptions, TriggerJob, TriggerQueue } from '@app/queue-contracts';
import { call } from '@app/testing';
import { pollUntil } from './poll';
import { type TriggerServer, startTriggerServer } from './trigger-server';
import { createSigningSecret, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './trigger-resources';
import { Receiver } from './webhook-receiver';

/**
 * What the delivery lifecycle tests (garbage collection, orphaning) share: a trigger server (api
 * and worker) with its own queue prefix, a Postgres client on its database, a webhook receiver,
 * a signing secret in `namespace`, and helpers that create streams and triggers and wait for
 * deliveries. Registers its own beforeAll/afterAll: call it inside the describe block.
 */
export class DeliveryFixture {
  readonly queuePrefix = `df${randomBytes(4).toString('hex')}`;
  readonly rx = new Receiver();
  private started?: { server: TriggerServer; pg: Client };

  constructor(
    readonly namespace: string,
    env: Record<string, string>,
  ) {
    beforeAll(async () => {
      await this.rx.start();
      const server = await startTriggerServer({ TRIGGER_QUEUE_PREFIX: this.queuePrefix, ...env });
      const pg = new Client({ connectionString: server.databaseUrl });
      await pg.connect();
      this.started = { server, pg };
      expect((await createSigningSecret(server.url, namespace)).status).toBe(201);
    }, 90000);
    afterAll(async () => {
      await this.started?.pg.end();
      await this.started?.server.close();
      this.rx.close();
    });
  }

  get server(): TriggerServer {
    return this.running().server;
  }

  get pg(): Client {
    return this.running().pg;
  }

  private running(): { server: TriggerServer; pg: Client } {
    if (!this.started) throw new Error('the delivery fixture is used before its beforeAll ran');
    return this.started;
  }

  /** The triggers API of a namespace. */
  readonly trg = (namespace = this.namespace) => `${this.server.url}${TRIGGERS_API}/namespaces/${namespace}`;
  /** The image API of a namespace. */
  readonly img = (namespace = this.namespace) => `${this.server.url}/apis/image.openshift.io/v1/namespaces/${namespace}`;
  readonly map = (stream: string, image: string, namespace = this.namespace, tag = 'v1') =>
    mapImage(this.server.url, namespace, { stream, tag, image, repository: `quay.io/acme/${stream}` });
  readonly createStream = async (name: string, namespace = this.namespace) =>
    expect((await call('POST', `${this.img(namespace)}/imagestreams`, { metadata: { name } })).status).toBe(201);
  /** A Build trigger on `<stream>:v1` posting to the receiver's `/<name>`. */
  readonly createTrigger = async (name: string, stream: string, namespace = this.namespace) => {
    const res = await call('POST', `${this.trg(namespace)}/triggers`, { metadata: { name }, spec: triggerSpec(`${stream}:v1`, { kind: 'Build', name }, this.rx.url(`/${name}`)) });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Waits until `trigger` has exactly `n` deliveries, all delivered. */
  readonly delivered = (trigger: string, n: number, namespace = this.namespace) =>
    pollUntil(() => listDeliveries(this.server.url, namespace, trigger), (ds) => ds.length === n && ds.every((d) => d.status.state === 'delivered'), 15000);

  /** Queues one pass of the worker's maintenance (retention and the garbage collector). */
  async queuePrune(): Promise<void> {
    const queue = new Queue(TriggerQueue.Maintenance, { connection: redisConnectionOptions(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', 'worker'), prefix: this.queuePrefix });
    try {
      await queue.add(TriggerJob.Prune, {});
    } finally {
      await queue.close();
    }
  }
}
