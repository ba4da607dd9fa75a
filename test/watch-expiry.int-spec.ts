import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/** A watch from a resourceVersion the change log no longer holds: one ERROR event, 410 Expired, as kube-apiserver. */
describe('watch from a compacted resourceVersion', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ watchRetentionSeconds: 1 });
  });
  afterAll(async () => api.close());

  it('ends with 410 Expired naming the oldest version a watch can start from, and a watch from that version works', async () => {
    const url = `${api.base}/namespaces/exp/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 'first' } })).status).toBe(201);
    const old = (await call('GET', url)).body.metadata.resourceVersion as string;
    // Later changes, then the compactor (every second here) drops the ones older than a second.
    expect((await call('POST', url, { metadata: { name: 'second' } })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call('POST', url, { metadata: { name: 'third' } })).status).toBe(201);
    let expired: { type: string; object: any }[] = [];
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      // Until the compactor has run, the watch stays open: its timeout ends it (a fixed wait for
      // the ERROR event could be shorter than the server's answer on a loaded machine).
      const w = watchEvents(`${url}?watch=1&resourceVersion=${old}&timeoutSeconds=1`);
      await w.done;
      if (w.events[0]?.type === 'ERROR') {
        expired = w.events;
        break;
      }
    }
    expect(expired).toHaveLength(1);
    const status = expired[0]!.object;
    expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    const m = /^too old resource version: (\d+) \((\d+)\)$/.exec(status.message as string);
    expect(m?.[1]).toBe(old);
    // The version in brackets is the oldest one still served: a watch from it replays what followed.
    const w = watchEvents(`${url}?watch=1&resourceVersion=${m![2]}`);
    await w.waitFor((e) => e.some((x) => x.object.metadata?.name === 'third'));
    w.stop();
    expect(w.events.map((e) => e.type)).not.toContain('ERROR');
  });
});
