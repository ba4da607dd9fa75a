import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { pollUntil } from './support/poll';
import { testQueuePrefix } from './support/queue-prefix';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * A fan-out to one rate-limited receiver, seen from the receiver, with two worker replicas.
 * The rate (1/s) keeps the receiver's target busy for less than a second at a time, so the batch
 * of first attempts keeps its rows waiting for the next token: the last ones would be sent long
 * after their lease (TRIGGER_JOB_LOCK_MS) ran out, when the sweeper has handed them to single jobs
 * that the other replica (its own rate budget) sends at once. Each delivery must reach the
 * receiver once and show one attempt.
 */
describe('a batch of first attempts waiting for a rate-limited receiver', () => {
  const ns = 'bb-lease';
  const triggers = 20;
  const rx = new Receiver();
  const queues = { TRIGGER_QUEUE_PREFIX: `bl${randomBytes(4).toString('hex')}`, QUEUE_PREFIX: testQueuePrefix() };
  const limits = {
    TRIGGER_TARGET_RATE_PER_SECOND: '1',
    TRIGGER_DELIVERY_TIMEOUT_MS: '1000',
    TRIGGER_JOB_LOCK_MS: '2000',
    TRIGGER_BACKOFF_BASE_MS: '100',
    TRIGGER_BACKOFF_MAX_MS: '300',
  };
  let server: TriggerServer;
  let replica: ApiProcess | undefined;

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ ...queues, ...limits });
    // The replica boots while the resources are made: nothing fires before the push.
    const replicaStarted = startApiProcess(
      { DATABASE_URL: server.databaseUrl, TRIGGER_ALLOWED_CIDRS: '127.0.0.1', TRIGGER_RELAY_INTERVAL_MS: '250', ...queues, ...limits },
      ['--with-worker'],
    ).then((p) => (replica = p));
    const resources = (async () => {
      expect((await createSigningSecret(server.url, ns)).status).toBe(201);
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
      await Promise.all(Array.from({ length: triggers }, (_, i) => createTrigger(server.url, ns, `t${i}`, triggerSpec('base:latest', { kind: 'Webhook', name: `t${i}` }, rx.url()))));
    })();
    // Both settled before failing, so afterAll stops a replica that did start.
    for (const r of await Promise.allSettled([replicaStarted, resources])) if (r.status === 'rejected') throw r.reason;
  }, 90000);

  afterAll(async () => {
    await replica?.stop();
    await server?.close();
    rx.close();
  });

  it('sends each delivery once, with one attempt, however long its turn takes', async () => {
    await mapImage(server.url, ns, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'registry.local/bb-lease/base' });
    const all = await pollUntil(
      () => listDeliveries(server.url, ns),
      (items) => items.length === triggers && items.every((d) => d.status.state === 'delivered'),
      60000,
    );
    expect(all.map((d) => d.status.state)).toEqual(Array(triggers).fill('delivered'));
    // Single jobs of the sweeper may still be on their way: give them time to show up.
    await new Promise((r) => setTimeout(r, 3000));
    const perId = new Map<string, number>();
    for (const r of rx.at('/hook')) perId.set(String(r.headers['webhook-id']), (perId.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    expect([...perId.values()].filter((n) => n > 1)).toEqual([]);
    expect(perId.size).toBe(triggers);
    const again = await listDeliveries(server.url, ns);
    expect(again.map((d) => d.status.attemptHistory.length)).toEqual(Array(triggers).fill(1));
  }, 90000);
});
