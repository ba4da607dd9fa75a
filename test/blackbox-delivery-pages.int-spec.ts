import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const NS = 'dlvpages';
const OTHER_NS = 'dlvpages-other';
const TRIGGERS = 3;

/**
 * A paginated Delivery list is one snapshot, as kube-apiserver serves every page of a list from
 * the first page's resourceVersion: later pages report that version and hold no delivery fired
 * after it; its continue token is refused from another namespace and once the change log no
 * longer reaches back to it (410 with a fresh token). Real api + worker, Postgres, Redis, receiver.
 */
describe('Delivery list pages share the first page snapshot', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const deliveries = (ns = NS) => `${server.url}${TRIGGERS_API}/namespaces/${ns}/deliveries`;
  const allDelivered = (n: number) =>
    pollUntil(
      async () => (await call('GET', `${deliveries()}?fieldSelector=status.state=delivered`)).body.items.length,
      (count: number) => count === n,
      30000,
    );

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    expect((await createSigningSecret(server.url, NS)).status).toBe(201);
    for (let n = 0; n < TRIGGERS; n++) await createTrigger(server.url, NS, `t${n}`, triggerSpec('base:latest', { kind: 'Webhook', name: `hook${n}` }, rx.url('/fire')));
    await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/base' });
    await allDelivered(TRIGGERS);
  }, 60000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('later pages keep the first page resourceVersion and leave out deliveries fired after it', async () => {
    const first = await call('GET', `${deliveries()}?limit=1`);
    expect(first.status).toBe(200);
    const snapshotRv = first.body.metadata.resourceVersion;
    expect(first.body.metadata.remainingItemCount).toBe(TRIGGERS - 1);
    // A second push fires every trigger again between the pages.
    await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest('b'), repository: 'quay.io/acme/base' });
    await allDelivered(2 * TRIGGERS);

    const items = [...first.body.items];
    const remaining = [first.body.metadata.remainingItemCount];
    let token: string | undefined = first.body.metadata.continue;
    while (token) {
      const page = await call('GET', `${deliveries()}?limit=1&continue=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      expect(page.body.metadata.resourceVersion).toBe(snapshotRv);
      items.push(...page.body.items);
      remaining.push(page.body.metadata.remainingItemCount);
      token = page.body.metadata.continue;
    }
    expect(items.map((d) => d.spec.image)).toEqual(Array(TRIGGERS).fill(digest('a')));
    expect(remaining).toEqual([2, 1, undefined]);
  }, 60000);

  it('a continue token is 400 when it does not decode or belongs to another namespace', async () => {
    const first = await call('GET', `${deliveries()}?limit=1`);
    const garbage = await call('GET', `${deliveries()}?limit=1&continue=5`);
    expect([garbage.status, garbage.body.message]).toEqual([400, 'invalid continue token: continue key is not valid: illegal base64 data at input byte 0']);
    const elsewhere = await call('GET', `${deliveries(OTHER_NS)}?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(elsewhere.status).toBe(400);
  });

  it('a continue token older than the retained change log is 410 Expired with a fresh token', async () => {
    const first = await call('GET', `${deliveries()}?limit=1`);
    // Two later writes, so the change log can be compacted past the token's version (the newest row stays).
    for (const name of ['later1', 'later2']) {
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name } })).status).toBe(201);
    }
    // Compaction every second keeps one second of change log: the token's version falls out of it.
    await server.startApi({ WATCH_RETENTION_SECONDS: '1' });
    const expired = await pollUntil(
      async () => call('GET', `${deliveries()}?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`),
      (answer) => answer.status !== 200,
      20000,
    );
    expect([expired.status, expired.body.reason]).toEqual([410, 'Expired']);
    expect(typeof expired.body.metadata.continue).toBe('string');
    // The fresh token resumes after the same position, at the current version.
    const resumed = await call('GET', `${deliveries()}?limit=10&continue=${encodeURIComponent(expired.body.metadata.continue)}`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.items.map((d: any) => d.metadata.name)).not.toContain(first.body.items[0].metadata.name);
    expect(resumed.body.items).toHaveLength(2 * TRIGGERS - 1);
  }, 60000);
});
