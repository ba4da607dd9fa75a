import { randomBytes } from 'node:crypto';
import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { CuttableProxy } from './support/cuttable-proxy';
import { freeLoopbackPort } from './support/free-port';
import { waitFor } from './support/poll';
import { deleteQueueKeys } from './support/queue-keys';
import { testQueuePrefix } from './support/queue-prefix';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * Postgres unreachable for a few seconds while a delivery's POST is in flight: the receiver answers
 * 200 during the outage, so the worker cannot record it at once. The outcome is still recorded
 * once Postgres is back, within the claim's lease, and the receiver gets the delivery once: no
 * second send (by the sweeper, after the lease) and no attempt closed as "interrupted" when no
 * worker stopped. Both paths: a fan-out's first attempt (batch) and a retry (single job).
 */

const NS = 'outcome-outage';
const LOCK_MS = 10000;
const OUTAGE_MS = 2500;

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('a Postgres outage while a POST is in flight', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: CuttableProxy;
  let api: ApiProcess;
  const rx = new Receiver();
  const prefixes = [`t${randomBytes(4).toString('hex')}`, testQueuePrefix()];

  beforeAll(async () => {
    await rx.start();
    db = await createTestDatabase();
    const pgUrl = new URL(db.url);
    proxy = new CuttableProxy(await freeLoopbackPort(), Number(pgUrl.port || 5432));
    await proxy.open();
    pgUrl.host = `127.0.0.1:${proxy.port}`;
    api = await startApiProcess(
      {
        DATABASE_URL: pgUrl.toString(),
        TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
        TRIGGER_QUEUE_PREFIX: prefixes[0]!,
        QUEUE_PREFIX: prefixes[1]!,
        TRIGGER_RELAY_INTERVAL_MS: '10',
        TRIGGER_JOB_LOCK_MS: String(LOCK_MS),
        TRIGGER_DELIVERY_TIMEOUT_MS: '3000',
        TRIGGER_BACKOFF_BASE_MS: '200',
        TRIGGER_BACKOFF_MAX_MS: '400',
      },
      ['--with-worker'],
    );
    expect((await call('POST', `${api.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    expect((await createSigningSecret(api.url, NS)).status).toBe(201);
  }, 60000);

  afterAll(async () => {
    await api?.stop();
    await proxy?.close();
    rx.close();
    await db?.drop();
    await deleteQueueKeys(prefixes);
  });

  /** Holds the receiver's answer to the next POST on `path` until Postgres is cut, answers 200, restores Postgres after OUTAGE_MS. */
  async function answerDuringOutage(path: string, seen: number): Promise<void> {
    const answered = gate();
    rx.answer(path, { status: 200, after: answered.opened });
    await rx.waitFor(path, seen, 20000);
    await proxy.cut();
    answered.open();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await proxy.open();
  }

  async function deliveryOf(trigger: string): Promise<any> {
    return waitFor(`${trigger}'s delivery delivered`, async () => {
      const [d] = await listDeliveries(api.url, NS, trigger);
      return d?.status?.state === 'delivered' ? d : null;
    }, 20000);
  }

  it('a first attempt (batch) answered during the outage is recorded afterwards and sent once', async () => {
    await createTrigger(api.url, NS, 'batch', triggerSpec('base:latest', { kind: 'Webhook', name: 'batch' }, rx.url('/batch')));
    await mapImage(api.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await answerDuringOutage('/batch', 1);
    const d = await deliveryOf('batch');
    // Past the claim's lease and a sweep: nothing is sent again.
    await new Promise((r) => setTimeout(r, LOCK_MS + 3000));
    expect(rx.at('/batch').map((r) => r.headers['webhook-id'])).toEqual([d.metadata.name]);
    const after = (await listDeliveries(api.url, NS, 'batch'))[0];
    expect(after.status.attemptHistory.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([[1, 200, null]]);
    expect(after.status.attempts).toBe(1);
  }, 60000);

  it('a retry (single job) answered during the outage is recorded afterwards and sent once', async () => {
    await createTrigger(api.url, NS, 'single', triggerSpec('base:v2', { kind: 'Webhook', name: 'single' }, rx.url('/single')));
    rx.answer('/single', 500);
    await mapImage(api.url, NS, { stream: 'base', tag: 'v2', image: digest('b'), repository: 'quay.io/acme/base' });
    await answerDuringOutage('/single', 2);
    const d = await deliveryOf('single');
    await new Promise((r) => setTimeout(r, LOCK_MS + 3000));
    expect(rx.at('/single').map((r) => r.headers['webhook-id'])).toEqual([d.metadata.name, d.metadata.name]);
    const after = (await listDeliveries(api.url, NS, 'single'))[0];
    expect(after.status.attemptHistory.map((a: any) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200]]);
    expect(after.status.attempts).toBe(2);
  }, 60000);
});
