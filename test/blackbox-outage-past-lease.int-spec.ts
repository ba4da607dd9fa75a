import { outageStackForTests } from './support/postgres-outage-stack';
import { waitFor } from './support/poll';
import { createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * Found by a soak run: Postgres unreachable for longer than a claim's lease window
 * (TRIGGER_JOB_LOCK_MS - TRIGGER_DELIVERY_TIMEOUT_MS) while a POST is in flight. The worker gives
 * up writing the answer when the lease ends, and the sweeper sends the delivery again with the same
 * webhook-id (documented). No worker stopped, yet the first attempt was closed as "interrupted: the
 * worker stopped before the attempt finished", which sends an operator looking for a crash. It now
 * says that no outcome was recorded, naming both causes.
 */

const NS = 'outage-past-lease';
const LOCK_MS = 6000;
const TIMEOUT_MS = 2000;
/**
 * Longer than the lease window (LOCK_MS - TIMEOUT_MS) after the claim, by 2 s at least (the claim
 * came before the POST, and Postgres is cut only once the POST arrived): to the lease's end.
 */
const OUTAGE_MS = LOCK_MS;

describe('a Postgres outage outlasting the claim lease while a POST is in flight', () => {
  const env = outageStackForTests(NS, LOCK_MS, TIMEOUT_MS);
  const { rx } = env;

  it('closes the unrecorded attempt without claiming a worker stopped', async () => {
    await createTrigger(env.api.url, NS, 'long', triggerSpec('base:latest', { kind: 'Webhook', name: 'long' }, rx.url('/long')));
    let open!: () => void;
    const answered = new Promise<void>((r) => (open = r));
    rx.answer('/long', { status: 200, after: answered });
    await mapImage(env.api.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await rx.waitFor('/long', 1, 20000);
    await env.proxy.cut();
    open();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await env.proxy.open();
    const d = await waitFor('the delivery sent again and delivered', async () => {
      const [x] = await listDeliveries(env.api.url, NS, 'long');
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
