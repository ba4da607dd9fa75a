import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { verifiesSignature } from './support/standard-webhooks';
import { comparableEvent, createSigningSecret, createTrigger, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry-driven trigger tests skipped: ${skipReason}`);

const NS = 'demo';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/**
 * Issue 5's "done when", end to end with real parts: a real docker-registry notifies the api
 * process (which runs the worker), skopeo pushes, a local receiver gets the signed CloudEvents.
 */
describeRegistry('triggers fired by real registry pushes', () => {
  const rx = new Receiver();
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  let server: TriggerServer;
  let stack: TriggerServerWithRegistry | undefined;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let base1: BuiltImage;
  let base2: BuiltImage;
  let app: BuiltImage;
  let base3: BuiltImage;

  const push = (ref: string, repositoryTag: string) => skopeoCopy(layout.dir, ref, `${registry.host}/${repositoryTag}`);
  const images = () => `${server.url}/apis/image.openshift.io/v1`;
  const tagImage = async (stream: string, tag: string): Promise<string | undefined> => {
    const res = await call('GET', `${images()}/namespaces/${NS}/imagestreamtags/${stream}:${tag}`);
    return res.status === 200 ? res.body.image.metadata.name : undefined;
  };

  beforeAll(async () => {
    await rx.start();
    ({ server, registry } = stack = await startTriggerServerWithRegistry());
    layout = await OciLayout.create();
    base1 = await layout.addImage('base1', { seed: 'trigger-push-base1' });
    base2 = await layout.addImage('base2', { seed: 'trigger-push-base2' });
    base3 = await layout.addImage('base3', { seed: 'trigger-push-base3' });
    // What BuildKit writes on an image built FROM base2: OCI's base-image annotations on the manifest.
    app = await layout.addImage('app', {
      seed: 'trigger-push-app',
      annotations: { [BASE_DIGEST]: base2.manifestDigest, 'org.opencontainers.image.base.name': `${registry.host}/${NS}/base:latest` },
    });
    expect((await createSigningSecret(server.url, NS, { key })).status).toBe(201);
    await createTrigger(server.url, NS, 'build-app', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/build')));
    await createTrigger(server.url, NS, 'deploy-app', triggerSpec('app:latest', { kind: 'Deployment', name: 'app' }, rx.url('/deploy')));
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  it('a push of the base delivers one signed CloudEvent naming the pushed digest, recorded with its attempt', async () => {
    await push('base1', `${NS}/base:latest`);
    const [event] = await rx.waitFor('/build', 1, 30000);
    expect(verifiesSignature(key, event!.headers, event!.body)).toBe(true);
    expect(event!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(event!.json).toMatchObject({
      specversion: '1.0',
      type: 'io.imagestreamd.trigger.image-changed.v1',
      data: {
        namespace: NS,
        stream: 'base',
        tag: 'latest',
        old: { digest: null },
        new: { digest: base1.manifestDigest, pullSpec: expect.stringContaining(`@${base1.manifestDigest}`) },
        trigger: { name: 'build-app' },
        target: { kind: 'Build', name: 'app' },
      },
    });

    // The delivery and its attempt are visible through the API.
    const id = String(event!.headers['webhook-id']);
    const delivery = await pollUntil(
      async () => (await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${NS}/deliveries/${id}`)).body,
      (d) => d?.status?.state === 'delivered',
    );
    expect(delivery.spec).toMatchObject({ owner: { kind: 'Trigger', name: 'build-app' }, image: base1.manifestDigest });
    expect(delivery.status.attemptHistory).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200 })]);
  });

  it('the next push delivers once with the old and new digests; pushing the same digest again delivers nothing', async () => {
    await push('base2', `${NS}/base:latest`);
    const events = await rx.waitFor('/build', 2, 30000);
    expect(events[1]!.json.data).toMatchObject({ old: { digest: base1.manifestDigest }, new: { digest: base2.manifestDigest } });
    expect(events[1]!.headers['webhook-id']).not.toBe(events[0]!.headers['webhook-id']);

    // The same digest again to the same tag, then a tag nothing follows: once the later push is
    // visible the earlier one has been ingested (one repository's events are applied in order).
    await push('base2', `${NS}/base:latest`);
    await push('base1', `${NS}/base:old`);
    expect(await pollUntil(() => tagImage('base', 'old'), (image) => image === base1.manifestDigest, 30000)).toBe(base1.manifestDigest);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/build')).toHaveLength(2);
  });

  it("an image pushed with OCI base-image annotations naming the base links the deploy's event to the build delivery", async () => {
    const buildDelivery = String(rx.at('/build')[1]!.headers['webhook-id']);
    await push('app', `${NS}/app:latest`);
    const [deploy] = await rx.waitFor('/deploy', 1, 30000);
    expect(verifiesSignature(key, deploy!.headers, deploy!.body)).toBe(true);
    expect(deploy!.json.data.new.digest).toBe(app.manifestDigest);
    expect(deploy!.json.data.causation).toEqual([{ deliveryId: buildDelivery, trigger: 'build-app', namespace: NS, image: base2.manifestDigest }]);
    expect(deploy!.json.causationid).toBe(buildDelivery);

    // The Image keeps the base-image annotations (the manifest itself stays in the registry).
    const image = await call('GET', `${images()}/images/${app.manifestDigest}`);
    expect(image.body.metadata.annotations).toMatchObject({
      [BASE_DIGEST]: base2.manifestDigest,
      'org.opencontainers.image.base.name': `${registry.host}/${NS}/base:latest`,
    });
  });

  it('an annotated Deployment gets the pushed image at its fieldPath, first on sight, then on the next push', async () => {
    const apps = `${server.url}/apis/apps/v1/namespaces/${NS}/deployments`;
    const triggers = [{ from: { kind: 'ImageStreamTag', name: 'base:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }];
    const created = await call('POST', apps, {
      metadata: { name: 'web', annotations: { 'image.openshift.io/triggers': JSON.stringify(triggers) } },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: ' ' }] } },
      },
    });
    expect(created.status).toBe(201);
    const webImage = async () => (await call('GET', `${apps}/web`)).body.spec.template.spec.containers[0].image as string;
    // The tag already points at base2: the first evaluation sets it.
    expect(await pollUntil(webImage, (i) => i.endsWith(`/${NS}/base@${base2.manifestDigest}`), 30000)).toMatch(new RegExp(`/${NS}/base@${base2.manifestDigest}$`));

    await push('base3', `${NS}/base:latest`);
    expect(await pollUntil(webImage, (i) => i.endsWith(`@${base3.manifestDigest}`), 30000)).toMatch(new RegExp(`/${NS}/base@${base3.manifestDigest}$`));
    // The Build trigger on the same tag heard the same push once.
    const builds = await rx.waitFor('/build', 3, 30000);
    expect(builds.map((e) => e.json.data.new.digest)).toEqual([base1.manifestDigest, base2.manifestDigest, base3.manifestDigest]);
  });

  it('a re-push of an older image is ignored; pointing the tag at that same image through the API then rolls the dependents back', async () => {
    await push('base1', `${NS}/base:latest`);
    expect(await pollUntil(() => tagImage('base', 'latest'), (image) => image === base1.manifestDigest, 30000)).toBe(base1.manifestDigest);
    const ignored = await pollUntil(
      async () => (await call('GET', `${server.url}${TRIGGERS_API}/namespaces/${NS}/triggers/build-app`)).body,
      (t) => (t.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'OlderImageIgnored' && c.status === 'True'),
      30000,
    );
    expect(ignored.status.lastTriggeredImageID).toBe(base3.manifestDigest);
    expect(rx.at('/build')).toHaveLength(3);

    // An explicit rollback to the image the tag already holds: the spec now pins it.
    const istag = (await call('GET', `${images()}/namespaces/${NS}/imagestreamtags/base:latest`)).body;
    const put = await call('PUT', `${images()}/namespaces/${NS}/imagestreamtags/base:latest`, {
      ...istag,
      tag: { name: 'latest', from: { kind: 'ImageStreamImage', name: `base@${base1.manifestDigest}` } },
    });
    // 201: the tag had no spec entry before (upstream answers "created" for a new spec tag).
    expect(put.status).toBe(201);
    const builds = await rx.waitFor('/build', 4, 30000);
    expect(builds[3]!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: base3.manifestDigest }, new: { digest: base1.manifestDigest } });
  });

  it("a preview of a stream's first push names the pull spec the registry push then records, and equals the event delivered", async () => {
    const fresh = await layout.addImage('fresh', { seed: 'trigger-push-fresh' });
    await createTrigger(server.url, NS, 'build-fresh', triggerSpec('fresh:latest', { kind: 'Build', name: 'fresh' }, rx.url('/fresh')));
    const preview = await call('POST', `${server.url}${TRIGGERS_API}/namespaces/${NS}/pushpreviews`, { metadata: { name: 'fresh:latest' }, spec: { image: fresh.manifestDigest } });
    expect(preview.status).toBe(201);
    expect(preview.body.status.streamFound).toBe(false);
    const previewed = (preview.body.status.triggers as any[]).find((t) => t.name === 'build-fresh');
    // No INTERNAL_REGISTRY_HOSTNAME here: pushes are recorded under REGISTRY_URL's host.
    expect(previewed.event.data.new).toEqual({ digest: fresh.manifestDigest, pullSpec: `${registry.host}/${NS}/fresh@${fresh.manifestDigest}` });

    await push('fresh', `${NS}/fresh:latest`);
    const [got] = await rx.waitFor('/fresh', 1, 30000);
    expect(comparableEvent(got!.json)).toEqual(comparableEvent(previewed.event));
  });
});
