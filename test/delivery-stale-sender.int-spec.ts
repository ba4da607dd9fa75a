import { startApiProcess } from './support/api-process';
import { outageStackForTests } from './support/postgres-outage-stack';
import { waitFor } from './support/poll';
import { createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * Found by the multi-replica audit: a worker that stalls (SIGSTOP, a long GC pause) after its POST
 * outlives its claim's lease; another worker claims the delivery, sends it again with the same
 * webhook-id and records the receiver's 200. When the first worker wakes, its late outcome must
 * write nothing (the claim fences it): before, it put the delivered row back to pending with its
 * own failed answer, and a third POST went out (with a budget of one attempt, it dead-lettered a
 * delivery the receiver had taken).
 *
 * The whole process is stopped, not only its Postgres connections: a live process whose storage
 * hangs keeps taking jobs from Redis, and could take the one that sends the delivery again.
 */

const NS = 'stale-sender';
const LOCK_MS = 6000;
const TIMEOUT_MS = 2000;

describe('a sender whose lease ran out while it stalled', () => {
  const env = outageStackForTests(NS, LOCK_MS, TIMEOUT_MS);
  const { rx } = env;

  it('records nothing late over the outcome another sender recorded', async () => {
    await createTrigger(env.api.url, NS, 'slow', triggerSpec('base:latest', { kind: 'Webhook', name: 'slow' }, rx.url('/slow')));
    let answerFirst!: () => void;
    // The first sender hears 503 (it would retry); the second sender's POST is answered 200.
    rx.answer('/slow', { status: 503, after: new Promise<void>((r) => (answerFirst = r)) }, 200);
    await mapImage(env.api.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await rx.waitFor('/slow', 1, 20000);
    // The first sender stops before it reads the 503 (it waits in its socket).
    const first = env.api.child;
    first.kill('SIGSTOP');
    let stopped = true;
    const wake = () => {
      if (stopped) first.kill('SIGCONT');
      stopped = false;
    };
    answerFirst();
    const second = await startApiProcess(env.stack.directEnv, ['--with-worker']);
    try {
      // Past the lease, the second sender claims the delivery and sends it again.
      await rx.waitFor('/slow', 2, 40000);
      const delivered = await waitFor('the second sender recorded the 200', async () => {
        const [d] = await listDeliveries(second.url, NS, 'slow');
        return d?.status?.state === 'delivered' ? d : null;
      }, 20000);
      // The first sender wakes and writes its 503 (or its timeout): fenced out.
      wake();
      await new Promise((r) => setTimeout(r, 3000));
      const [after] = await listDeliveries(second.url, NS, 'slow');
      expect(after.status.state).toBe('delivered');
      expect(after.status.attemptHistory.map((a: { statusCode: number | null }) => a.statusCode)).toEqual([null, 200]);
      expect(after.status.attemptHistory[0].error).toMatch(/^interrupted: /);
      expect(after.metadata.resourceVersion).toBe(delivered.metadata.resourceVersion);
      // One webhook-id, two POSTs: no third send after the late 503.
      expect(rx.at('/slow').map((r) => r.headers['webhook-id'])).toEqual([delivered.metadata.name, delivered.metadata.name]);
    } finally {
      wake();
      await second.stop();
    }
  }, 120000);
});
