import { outageStackForTests } from './support/postgres-outage-stack';
import { waitFor } from './support/poll';
import { createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * Postgres unreachable for a few seconds while a delivery's POST is in flight: the receiver answers
 * 200 during the outage, so the worker cannot record it at once. The outcome is still recorded
 * once Postgres is back, within the claim's lease, and the receiver gets the delivery once: no
 * second send (by the sweeper, after the lease) and no attempt closed as "interrupted" when no
 * worker stopped. Both paths: a fan-out's first attempt (batch) and a retry (single job).
 */

const NS = 'outcome-outage';
/** The claim's lease; outcomes may be written until LOCK_MS - TIMEOUT_MS after the claim (6 s, three times the outage). */
const LOCK_MS = 8000;
const TIMEOUT_MS = 2000;
const OUTAGE_MS = 2000;
/** After the lease ends, long enough for the sweeper (every 500 ms once Postgres answers) to have sent the delivery again, had it been left pending. */
const SWEEP_MARGIN_MS = 3000;

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('a Postgres outage while a POST is in flight', () => {
  const env = outageStackForTests(NS, LOCK_MS, TIMEOUT_MS);
  const { rx } = env;

  /**
   * Holds the receiver's answer to the next POST on `path` until Postgres is cut, answers 200,
   * restores Postgres after OUTAGE_MS. Returns when that POST arrived: its claim, and so its
   * lease, began before then.
   */
  async function answerDuringOutage(path: string, seen: number): Promise<number> {
    const answered = gate();
    rx.answer(path, { status: 200, after: answered.opened });
    const arrivedAt = (await rx.waitFor(path, seen, 20000))[seen - 1]!.receivedAt;
    await env.proxy.cut();
    answered.open();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await env.proxy.open();
    return arrivedAt;
  }

  /** Waits until the lease of a claim made before `claimedBy` has ended, and a sweep after it could have sent again. */
  async function pastLeaseAndSweep(claimedBy: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.max(0, claimedBy + LOCK_MS + SWEEP_MARGIN_MS - Date.now())));
  }

  async function deliveryOf(trigger: string): Promise<any> {
    return waitFor(`${trigger}'s delivery delivered`, async () => {
      const [d] = await listDeliveries(env.api.url, NS, trigger);
      return d?.status?.state === 'delivered' ? d : null;
    }, 20000);
  }

  it('a first attempt (batch) answered during the outage is recorded afterwards and sent once', async () => {
    await createTrigger(env.api.url, NS, 'batch', triggerSpec('base:latest', { kind: 'Webhook', name: 'batch' }, rx.url('/batch')));
    await mapImage(env.api.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    const claimedBy = await answerDuringOutage('/batch', 1);
    const d = await deliveryOf('batch');
    // Past the claim's lease and a sweep: nothing is sent again.
    await pastLeaseAndSweep(claimedBy);
    expect(rx.at('/batch').map((r) => r.headers['webhook-id'])).toEqual([d.metadata.name]);
    const after = (await listDeliveries(env.api.url, NS, 'batch'))[0];
    expect(after.status.attemptHistory.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([[1, 200, null]]);
    expect(after.status.attempts).toBe(1);
  }, 60000);

  it('a retry (single job) answered during the outage is recorded afterwards and sent once', async () => {
    await createTrigger(env.api.url, NS, 'single', triggerSpec('base:v2', { kind: 'Webhook', name: 'single' }, rx.url('/single')));
    rx.answer('/single', 500);
    await mapImage(env.api.url, NS, { stream: 'base', tag: 'v2', image: digest('b'), repository: 'quay.io/acme/base' });
    const claimedBy = await answerDuringOutage('/single', 2);
    const d = await deliveryOf('single');
    await pastLeaseAndSweep(claimedBy);
    expect(rx.at('/single').map((r) => r.headers['webhook-id'])).toEqual([d.metadata.name, d.metadata.name]);
    const after = (await listDeliveries(env.api.url, NS, 'single'))[0];
    expect(after.status.attemptHistory.map((a: any) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200]]);
    expect(after.status.attempts).toBe(2);
  }, 60000);
});
