import type { AppConfig } from '@app/config';
import { call, testConfig } from '@app/testing';
import { bootstrapWorker } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/poll';
import { testQueuePrefix } from './support/queue-prefix';

/**
 * Kubernetes' conformance test "should apply changes to a resourcequota status": a client patches
 * a quota's status, reads its own values back, and then the quota controller puts status back to
 * what spec and the namespace's contents say (here the worker, every QUOTA_RESYNC_SECONDS).
 */
describe('ResourceQuota status written by a client is put right by the worker', () => {
  let api: TestApi;
  let worker: { close(): Promise<void> };
  const quota = () => `${api.url}/api/v1/namespaces/rq/resourcequotas/images`;

  beforeAll(async () => {
    const base: Partial<AppConfig> = { queuePrefix: testQueuePrefix(), quotaResyncSeconds: 1 };
    api = await startTestApi(base);
    worker = await bootstrapWorker(testConfig(api.databaseUrl, base));
  }, 60000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('keeps the patched status for the client to read, then restores hard and used; a right status is not rewritten', async () => {
    const created = await call('POST', `${api.url}/api/v1/namespaces/rq/resourcequotas`, { metadata: { name: 'images' }, spec: { hard: { 'openshift.io/imagestreams': '5' } } });
    expect(created.status).toBe(201);
    expect((await call('POST', `${api.base}/namespaces/rq/imagestreams`, { metadata: { name: 'one' } })).status).toBe(201);
    const patched = await call('PATCH', `${quota()}/status`, { status: { hard: { 'openshift.io/imagestreams': '100' }, used: { 'openshift.io/imagestreams': '50' } } }, 'application/merge-patch+json');
    expect([patched.status, patched.body.status]).toEqual([200, { hard: { 'openshift.io/imagestreams': '100' }, used: { 'openshift.io/imagestreams': '50' } }]);
    const restored = await waitFor(
      'the status put right',
      async () => {
        const q = (await call('GET', quota())).body;
        return q.status.hard['openshift.io/imagestreams'] === '5' ? q : null;
      },
      15000,
    );
    expect(restored.status).toEqual({ hard: { 'openshift.io/imagestreams': '5' }, used: { 'openshift.io/imagestreams': '1' } });
    // Further passes find nothing to change: the resourceVersion stays.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await call('GET', quota())).body.metadata.resourceVersion).toBe(restored.metadata.resourceVersion);
  }, 60000);
});
