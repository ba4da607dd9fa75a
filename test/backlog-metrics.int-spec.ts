import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase } from '@app/testing';
import {
  type ApiProcess,
  startApiProcess,
  startWorkerProcess,
  type WorkerProcessHandle,
} from './support/api-process';
import { pollUntil } from './support/poll';
import { deleteQueueKeys } from './support/queue-keys';
import {
  createSigningSecret,
  createTrigger,
  digest,
  mapImage,
  triggerSpec,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/** The value of one sample line (`name value`) of a Prometheus text answer; NaN when absent. */
function sample(text: string, name: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${name} `));
  return found ? Number(found.slice(name.length + 1)) : NaN;
}

/**
 * The backlog gauges an operator watches for a forming backlog: tag moves still in the outbox,
 * deliveries pending, dead and overdue, as Postgres holds them. Real api and worker processes,
 * Postgres, Redis and a webhook receiver; the api is started first, alone, so the outbox fills.
 */
describe('trigger backlog metrics', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess;
  let worker: WorkerProcessHandle | undefined;
  const rx = new Receiver();
  const prefixes = {
    QUEUE_PREFIX: `bm-${randomBytes(4).toString('hex')}`,
    TRIGGER_QUEUE_PREFIX: `bmt-${randomBytes(4).toString('hex')}`,
  };
  const env = () => ({
    DATABASE_URL: db.url,
    TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
    TRIGGER_BACKOFF_BASE_MS: '60000',
    TRIGGER_RELAY_INTERVAL_MS: '250',
    ...prefixes,
  });
  const metrics = async () => (await fetch(`${api.url}/metrics`)).text();

  beforeAll(async () => {
    await rx.start();
    db = await createTestDatabase();
    api = await startApiProcess(env());
  }, 90000);
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    rx.close();
    await db?.drop();
    await deleteQueueKeys(Object.values(prefixes));
  });

  it('shows the outbox, then pending and dead deliveries, then how long a due delivery has waited', async () => {
    const idle = await metrics();
    for (const name of [
      'imagestreamd_trigger_deliveries_pending',
      'imagestreamd_trigger_deliveries_dead',
      'imagestreamd_tag_changes_unrelayed',
    ]) {
      expect(idle).toContain(`# TYPE ${name} gauge`);
      expect(sample(idle, name)).toBe(0);
    }
    expect(sample(idle, 'imagestreamd_trigger_delivery_oldest_overdue_seconds')).toBe(0);

    expect(
      (
        await fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/bm/imagestreams`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"metadata":{"name":"app"}}',
        })
      ).status,
    ).toBe(201);
    expect((await createSigningSecret(api.url, 'bm')).status).toBe(201);
    rx.answer('/failing', 503);
    rx.answer('/gone', 410);
    await createTrigger(
      api.url,
      'bm',
      'failing',
      triggerSpec('app:latest', { kind: 'Webhook', name: 'failing' }, rx.url('/failing')),
    );
    await createTrigger(
      api.url,
      'bm',
      'gone',
      triggerSpec('app:latest', { kind: 'Webhook', name: 'gone' }, rx.url('/gone')),
    );
    await mapImage(api.url, 'bm', {
      stream: 'app',
      tag: 'latest',
      image: digest('a'),
      repository: 'registry.local/bm/app',
    });

    // No worker yet: the tag move waits in the outbox and ages.
    const waiting = await pollUntil(
      metrics,
      (t) => sample(t, 'imagestreamd_tag_changes_oldest_unrelayed_seconds') >= 1,
    );
    expect(sample(waiting, 'imagestreamd_tag_changes_unrelayed')).toBe(1);

    // The worker relays it; the 503 is retried a minute later (pending), the 410 dead-letters at once.
    worker = startWorkerProcess(env());
    const sent = await pollUntil(
      metrics,
      (t) =>
        sample(t, 'imagestreamd_trigger_deliveries_dead') === 1 &&
        sample(t, 'imagestreamd_trigger_deliveries_pending') === 1,
      60000,
    );
    expect(sample(sent, 'imagestreamd_tag_changes_unrelayed')).toBe(0);
    expect(sample(sent, 'imagestreamd_tag_changes_oldest_unrelayed_seconds')).toBe(0);
    expect(sample(sent, 'imagestreamd_trigger_delivery_oldest_overdue_seconds')).toBe(0);

    // With no worker left to send it, a retry that fell due 30 s ago shows as 30 s of lag.
    await worker.stop();
    worker = undefined;
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await pg.query(
        `UPDATE trigger_deliveries SET next_attempt_at = now() - interval '30 seconds' WHERE state = 'pending'`,
      );
    } finally {
      await pg.end();
    }
    const overdue = sample(await metrics(), 'imagestreamd_trigger_delivery_oldest_overdue_seconds');
    expect(overdue).toBeGreaterThanOrEqual(30);
    expect(overdue).toBeLessThan(60);
  }, 120000);
});
