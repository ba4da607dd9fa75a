import { call } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  createTrigger,
  digest,
  getTrigger,
  mapImage,
  triggerSpec,
  waitForCondition,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * Chains (issue 5 item 5): push A → build B → push C → deploy D. The image the build pushes
 * names its cause (OCI base-image annotation, or the causation label the build echoes); the
 * event D receives carries the chain. A loop and a chain past the depth budget are stopped and
 * reported in the trigger's status.
 */
describe('causation chains', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;

  const map = (stream: string, image: string, meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {}) =>
    mapImage(server.url, 'demo', { stream, tag: 'latest', image, repository: `quay.io/acme/${stream}`, ...meta });
  const trigger = async (name: string, from: string, kind: string, path: string) => {
    await createTrigger(server.url, 'demo', name, triggerSpec(from, { kind, name }, rx.url(path)));
  };
  const condition = (name: string, type: string) => waitForCondition(server.url, 'demo', name, type);

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_CHAIN_DEPTH_BUDGET: '2' });
    for (const s of ['base', 'app']) expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: s } })).status).toBe(201);
    // Deliveries are always signed.
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    await trigger('build-app', 'base:latest', 'Build', '/build');
    await trigger('deploy-app', 'app:latest', 'Deployment', '/deploy');
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('push A → build B → push C (OCI base.digest) → deploy D: D receives the chain', async () => {
    await map('base', digest('a'));
    const build = (await rx.waitFor('/build', 1))[0]!;
    const buildId = String(build.headers['webhook-id']);
    expect(build.json.data.causation).toEqual([]);

    // The build pushes C, built FROM A: the OCI base-image annotations name A.
    await map('app', digest('c'), { annotations: { 'org.opencontainers.image.base.digest': digest('a'), 'org.opencontainers.image.base.name': 'quay.io/acme/base:latest' } });
    const deploy = (await rx.waitFor('/deploy', 1))[0]!;
    expect(deploy.json.data.new.digest).toBe(digest('c'));
    expect(deploy.json.data.causation).toEqual([{ deliveryId: buildId, trigger: 'build-app', namespace: 'demo', image: digest('a') }]);
    expect(deploy.json.causationid).toBe(buildId);
  });

  it("another namespace's push naming the same base digest is not linked to this namespace's delivery", async () => {
    // A tenant building on the same public base image must not receive demo's trigger names and
    // delivery ids in its chain (nor spend its depth budget on them).
    const other = `${server.url}/apis/image.openshift.io/v1/namespaces/tenant`;
    expect((await call('POST', `${other}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    expect((await createSigningSecret(server.url, 'tenant')).status).toBe(201);
    await createTrigger(server.url, 'tenant', 'deploy-tenant', triggerSpec('app:latest', { kind: 'Deployment', name: 'web' }, rx.url('/tenant')));
    await mapImage(server.url, 'tenant', {
      stream: 'app',
      tag: 'latest',
      image: digest('7'),
      repository: 'quay.io/tenant/app',
      annotations: { 'org.opencontainers.image.base.digest': digest('a') },
    });
    const got = (await rx.waitFor('/tenant', 1))[0]!;
    expect(got.json.data.new.digest).toBe(digest('7'));
    expect(got.json.data.causation).toEqual([]);
    expect(got.json.causationid).toBeUndefined();
  });

  it('the causation label a build echoes links the same way', async () => {
    await map('base', digest('b'));
    const builds = await rx.waitFor('/build', 2);
    const buildId = String(builds[1]!.headers['webhook-id']);
    await map('app', digest('d'), { labels: { 'triggers.imagestreamd.io/caused-by': buildId } });
    const deploys = await rx.waitFor('/deploy', 2);
    expect(deploys[1]!.json.data.causation).toEqual([{ deliveryId: buildId, trigger: 'build-app', namespace: 'demo', image: digest('b') }]);
  });

  it('a loop (a trigger whose own delivery caused the push) and a chain past the depth budget stop, reported in status', async () => {
    // "self" rebuilds app from app: its delivery causes the next push to app:latest.
    await trigger('self', 'app:latest', 'Build', '/self');
    const first = (await rx.waitFor('/self', 1))[0]!;
    expect(first.json.data.new.digest).toBe(digest('d'));
    const selfId = String(first.headers['webhook-id']);
    await map('app', digest('e'), { labels: { 'triggers.imagestreamd.io/caused-by': selfId } });

    // The chain of E is [build-app → app:d, self → app:d]: "self" would fire itself again.
    const loop = await condition('self', 'ChainStopped');
    expect(loop).toMatchObject({ status: 'True', reason: 'ChainStopped' });
    expect(loop.message).toContain('causation loop: demo/self');
    // deploy-app would extend a chain of 2 links: the budget (2) is reached.
    const depth = await condition('deploy-app', 'ChainStopped');
    expect(depth).toMatchObject({ status: 'True', reason: 'ChainStopped' });
    expect(depth.message).toContain('depth 2 reached the budget 2');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/self')).toHaveLength(1);
    expect(rx.at('/deploy')).toHaveLength(2);
    const self = await getTrigger(server.url, 'demo', 'self');
    expect(self.status.lastTriggeredImageID).toBe(digest('d'));

    // A push with no cause fires both again, and the stop no longer stands.
    await map('app', digest('f'));
    const deploys = await rx.waitFor('/deploy', 3);
    expect(deploys[2]!.json.data).toMatchObject({ new: { digest: digest('f') }, causation: [] });
    await rx.waitFor('/self', 2);
    const cleared = await waitForCondition(server.url, 'demo', 'deploy-app', 'ChainStopped', (c) => c?.status === 'False');
    expect(cleared).toMatchObject({ status: 'False', reason: 'Fired' });
  });

  it('a base digest delivered to a Build trigger and a Deployment trigger links the build, though the Deployment heard of it later', async () => {
    await map('base', digest('9'));
    const builds = await rx.waitFor('/build', 3);
    const buildId = String(builds[2]!.headers['webhook-id']);
    // Created now, this trigger's first-sight fire for base@9 is the newest delivery of that image.
    await trigger('zz-deploy-base', 'base:latest', 'Deployment', '/deploy-base');
    expect((await rx.waitFor('/deploy-base', 1))[0]!.json.data.new.digest).toBe(digest('9'));

    await map('app', digest('8'), { annotations: { 'org.opencontainers.image.base.digest': digest('9') } });
    const deploys = await rx.waitFor('/deploy', 4);
    expect(deploys[3]!.json.data.causation).toEqual([{ deliveryId: buildId, trigger: 'build-app', namespace: 'demo', image: digest('9') }]);
  });
});
