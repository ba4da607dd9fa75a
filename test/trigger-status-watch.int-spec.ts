import { call, watchEvents } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { pollUntil } from './support/poll';
import { createSigningSecret, createTrigger, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/** A write through `triggers/{name}/status` is a change of the trigger: a watch of triggers delivers it. */
describe('triggers/{name}/status writes and watches', () => {
  let server: TriggerServer;
  beforeAll(async () => {
    server = await startTriggerServer();
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
  }, 90000);
  afterAll(async () => server?.close());

  it('a status PUT reaches a watch of triggers as MODIFIED at its resourceVersion', async () => {
    await createTrigger(server.url, 'demo', 'watched', { ...triggerSpec('app:x', { kind: 'Webhook', name: 'watched' }, 'http://127.0.0.1:9/x'), paused: true });
    const base = `${server.url}${TRIGGERS_API}/namespaces/demo/triggers`;
    // The controller records its first evaluation in status; the PUT comes after it, not racing it.
    const current = await pollUntil(
      () => call('GET', `${base}/watched`).then((r) => r.body),
      (t) => t.status?.observedGeneration === t.metadata.generation,
    );
    expect(current.status.observedGeneration).toBe(current.metadata.generation);
    const w = watchEvents(`${base}?watch=true&resourceVersion=${current.metadata.resourceVersion}`);
    try {
      await w.opened;
      const res = await call('PUT', `${base}/watched/status`, { ...current, status: { ...(current.status ?? {}), lastTriggeredTime: '2025-01-01T00:00:00Z' } });
      expect(res.status).toBe(200);
      const rv = res.body.metadata.resourceVersion;
      await w.waitFor((e) => e.some((x) => x.object.metadata.resourceVersion === rv));
      expect(w.events.find((x) => x.object.metadata.resourceVersion === rv)).toMatchObject({ type: 'MODIFIED', object: { status: { lastTriggeredTime: '2025-01-01T00:00:00Z' } } });
    } finally {
      w.stop();
      await w.done;
    }
  });
});
