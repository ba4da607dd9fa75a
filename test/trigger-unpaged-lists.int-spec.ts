import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, digest, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/** More than the 500 a page once held, so a list cut short to a page would show. */
const FIRES = 505;
const NS = 'unpaged';

/** Runs `each(0..count-1)` 25 at a time: the requests are independent, and one at a time they took most of the file's time. */
async function inBatches(count: number, each: (n: number) => Promise<unknown>): Promise<void> {
  for (let from = 0; from < count; from += 25) {
    await Promise.all(Array.from({ length: Math.min(25, count - from) }, (_, i) => each(from + i)));
  }
}

/**
 * Deliveries and TagChangeEvents page only when the client asks (`limit`), as kube's stores do: a
 * list without a limit, and the initial state of a watch without a resourceVersion, hold every
 * item. client-node's informer, Python's list-then-watch and client-go's watch-list trust them to.
 * Real api + worker processes, Postgres, Redis and an HTTP receiver.
 */
describe('trigger lists without a limit hold every item', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/${NS}`;

  beforeAll(async () => {
    await rx.start();
    // No per-target rate or in-flight limit: all 505 deliveries go to this one receiver, and under the
    // defaults (200/s, 16 at once) the worker spent most of the file's time re-queueing the ones held
    // back. What this file checks is the lists, not the limiter (triggers.spec.ts and trigger-resilience cover that).
    server = await startTriggerServer({ TRIGGER_TARGET_RATE_PER_SECOND: '0', TRIGGER_TARGET_CONCURRENCY: '1000' });
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    expect((await createSigningSecret(server.url, NS)).status).toBe(201);
    await inBatches(FIRES, async (n) => {
      const created = await call('POST', `${trg()}/triggers`, { metadata: { name: `t${n}` }, spec: triggerSpec('base:latest', { kind: 'Webhook', name: `hook${n}` }, rx.url('/fire')) });
      expect(created.status).toBe(201);
    });
    // One move fires every trigger; then FIRES more moves of other tags fill the tag change feed.
    await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await inBatches(FIRES, (n) => mapImage(server.url, NS, { stream: 'base', tag: `v${n}`, image: digest('a'), repository: 'quay.io/acme/base' }));
    // The receiver's count costs nothing to read, where a list of 500 deliveries every 50 ms took
    // CPU from the worker it waited for; once all have arrived their states are read until settled.
    await rx.waitFor('/fire', FIRES, 120000);
    await pollUntil(
      async () => (await call('GET', `${trg()}/deliveries?limit=1000&labelSelector=triggers.imagestreamd.io/state=delivered`)).body.items.length,
      (n: number) => n === FIRES,
      120000,
    );
  }, 240000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('a Delivery list without a limit holds every delivery and no continue; with one it pages', async () => {
    const whole = await call('GET', `${trg()}/deliveries`);
    expect(whole.status).toBe(200);
    expect(whole.body.items).toHaveLength(FIRES);
    expect(whole.body.metadata.continue).toBeUndefined();
    const page = await call('GET', `${trg()}/deliveries?limit=100`);
    expect(page.body.items).toHaveLength(100);
    expect(page.body.metadata.continue).toBeDefined();
    // As kube-apiserver: a page counts what follows it, unless the list selects.
    expect(page.body.metadata.remainingItemCount).toBe(FIRES - 100);
    const next = await call('GET', `${trg()}/deliveries?limit=100&continue=${encodeURIComponent(page.body.metadata.continue)}`);
    expect([next.body.items.length, next.body.metadata.remainingItemCount]).toEqual([100, FIRES - 200]);
    const names = new Set([...page.body.items, ...next.body.items].map((d: { metadata: { name: string } }) => d.metadata.name));
    expect(names.size).toBe(200);
    const selected = await call('GET', `${trg()}/deliveries?limit=100&labelSelector=triggers.imagestreamd.io/state=delivered`);
    expect(selected.body.metadata.continue).toBeDefined();
    expect(selected.body.metadata.remainingItemCount).toBeUndefined();
    const tail = await call('GET', `${trg()}/deliveries?limit=${FIRES}`);
    expect([tail.body.items.length, tail.body.metadata.continue, tail.body.metadata.remainingItemCount]).toEqual([FIRES, undefined, undefined]);
  });

  it('a Delivery watch without a resourceVersion sends every delivery before its initial-events-end bookmark', async () => {
    const watch = watchEvents(`${trg()}/deliveries?watch=true&allowWatchBookmarks=true&timeoutSeconds=30`);
    try {
      await watch.waitFor((events) => events.some((e) => e.type === 'BOOKMARK' && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true'), 30000);
      const added = watch.events.filter((e) => e.type === 'ADDED');
      expect(new Set(added.map((e) => e.object.metadata.name)).size).toBe(FIRES);
    } finally {
      watch.stop();
    }
  });

  it('a TagChangeEvent list without a limit holds every move; with one it pages', async () => {
    const whole = await call('GET', `${trg()}/tagchangeevents`);
    expect(whole.status).toBe(200);
    expect(whole.body.items).toHaveLength(FIRES + 1);
    expect(whole.body.metadata.continue).toBeUndefined();
    const page = await call('GET', `${trg()}/tagchangeevents?limit=100`);
    expect(page.body.items).toHaveLength(100);
    expect(page.body.metadata.continue).toBeDefined();
  });

  it('a Delivery list at an exact resourceVersion is served at the current one and 410 at any other (no past states are kept)', async () => {
    const old = await call('GET', `${trg()}/deliveries?resourceVersion=1&resourceVersionMatch=Exact`);
    expect(old.status).toBe(410);
    expect(old.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: 'The resourceVersion for the provided list is too old.' });
    // Nothing writes meanwhile in this file, but a retry covers a version moved by the worker between the two reads.
    for (let tries = 0; ; tries++) {
      const rv = (await call('GET', `${trg()}/deliveries?limit=1`)).body.metadata.resourceVersion;
      const exact = await call('GET', `${trg()}/deliveries?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      if (exact.status === 410 && tries < 3) continue;
      expect(exact.status).toBe(200);
      expect(exact.body.metadata.resourceVersion).toBe(rv);
      expect(exact.body.items).toHaveLength(FIRES);
      break;
    }
  });
});
