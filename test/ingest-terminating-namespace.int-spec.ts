import { call } from '@app/testing';
import { inboxCall, type IngestStack, putImage, startIngestStack, waitFor } from './ingest-harness';
import { type BuiltImage, OciLayout, registryUnavailableReason } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;

const NS = 'leaving';

/**
 * A push into a namespace that is being deleted: the API refuses creates there (NamespaceLifecycle),
 * and OpenShift's registry, which maps each push through the API, fails that push. Here the
 * registry already holds it, so it must neither be mapped into the namespace about to be emptied
 * (dropped silently, with its tag position saying it was applied) nor given up: it waits until the
 * namespace is gone and is then recorded.
 */
describeRegistry('registry pushes into a terminating namespace', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  let image: BuiltImage;

  beforeAll(async () => {
    stack = await startIngestStack({
      registry: true,
      overrides: { namespaceTerminationDelayMs: 3000, ingestAttempts: 10, ingestBackoffMs: 250 },
    });
    layout = await OciLayout.create();
    image = await layout.addImage('during', { seed: 'terminating-namespace' });
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  it('waits for the deletion to finish, then records the push', async () => {
    const api = stack.api.base.replace(/\/apis\/image\.openshift\.io\/v1$/, '');
    expect((await call('POST', `${api}/api/v1/namespaces`, { metadata: { name: NS } })).status).toBe(201);
    const deleted = await call('DELETE', `${api}/api/v1/namespaces/${NS}`);
    expect(deleted.body?.status?.phase).toBe('Terminating');

    await putImage(stack.registry!.url, `${NS}/app`, layout.dir, image, 'during');
    // While the namespace terminates, the push is retried with the reason, and nothing is created there.
    const waiting = await waitFor('the push retried', async () => {
      const events = (await inboxCall(stack.api, stack.secret, 'GET', `?state=pending`)).body;
      const push = (events.items as { id: string; action?: string; kind?: string; attempts: number; reason: string | null }[]).find((e) => (e.reason ?? '').includes('being terminated'));
      return push ?? null;
    }, 20000);
    expect(waiting.reason).toBe(`NamespaceTerminatingError: namespace ${NS} is being terminated: the push is recorded once the namespace is gone`);
    expect((await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreams/app`)).status).toBe(404);

    // Once the namespace is gone, the push is recorded (every namespace name is usable).
    await waitFor('the namespace gone', async () => (await stack.pg.query(`SELECT 1 FROM namespaces WHERE name = $1`, [NS])).rowCount === 0, 30000);
    const tag = await waitFor('the push recorded', async () => {
      const r = await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreamtags/app:during`);
      return r.status === 200 ? r.body : null;
    }, 60000);
    expect(tag.image.metadata.name).toBe(image.manifestDigest);
    const row = (await inboxCall(stack.api, stack.secret, 'GET', `/${waiting.id}`)).body;
    expect(row).toMatchObject({ state: 'processed', outcome: 'tagged' });
  }, 150000);
});
