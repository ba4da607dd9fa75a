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
 * Found by a soak run: Postgres unreachable for longer than a claim's lease window
 * (TRIGGER_JOB_LOCK_MS - TRIGGER_DELIVERY_TIMEOUT_MS) while a POST is in flight. The worker gives
 * up writing the answer when the lease ends, and the sweeper sends the delivery again with the same
 * webhook-id (documented). No worker stopped, yet the first attempt was closed as "interrupted: the
 * worker stopped before the attempt finished", which sends an operator looking for a crash. It now
 * says that no outcome was recorded, naming both causes.
 */

const NS = 'outage-past-lease';
const LOCK_MS = 10000;
const TIMEOUT_MS = 3000;
/** Longer than the lease window (LOCK_MS - TIMEOUT_MS) after the claim. */
const OUTAGE_MS = 9000;

describe('a Postgres outage outlasting the claim lease while a POST is in flight', () => {
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
        TRIGGER_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
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

  it('closes the unrecorded attempt without claiming a worker stopped', async () => {
    await createTrigger(api.url, NS, 'long', triggerSpec('base:latest', { kind: 'Webhook', name: 'long' }, rx.url('/long')));
    let open!: () => void;
    const answered = new Promise<void>((r) => (open = r));
    rx.answer('/long', { status: 200, after: answered });
    await mapImage(api.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await rx.waitFor('/long', 1, 20000);
    await proxy.cut();
    open();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await proxy.open();
    const d = await waitFor('the delivery sent again and delivered', async () => {
      const [x] = await listDeliveries(api.url, NS, 'long');
      return x?.status?.state === 'delivered' && x.status.attemptHistory.length === 2 ? x : null;
    }, 40000);
    // The receiver got it twice, with one webhook-id (documented for an outage past the lease).
    expect(rx.at('/long').map((r) => r.headers['webhook-id'])).toEqual([d.metadata.name, d.metadata.name]);
    const [first, second] = d.status.attemptHistory;
    expect([first.attempt, first.statusCode, second.attempt, second.statusCode]).toEqual([1, null, 2, 200]);
    expect(first.error).toMatch(/^interrupted: /);
    expect(first.error).not.toContain('the worker stopped before the attempt finished');
    expect(first.error).toContain('lease');
  }, 90000);
});
