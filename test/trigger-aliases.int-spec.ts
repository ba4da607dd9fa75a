import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  comparableEvent,
  createSigningSecret,
  createTrigger,
  digest,
  listDeliveries,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const REGISTRY = 'registry.test:5000';
const B = digest('b');
const E = digest('e');

/**
 * A push moves a tag and its aliases together (stream `web`: `latest` and `local` follow `1.0`).
 * Preview equals the real push for dependents of the aliases too; pull specs in events come from
 * the tag's own history (not from the stream the image was first recorded in); an annotated
 * workload following two of the moved tags is updated once per push; Trigger targets of kind
 * Deployment carry the patch that sets the image whether or not the workload is stored here.
 */
describe('a push to a tag with aliases', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const deploy = () => `${server.url}/apis/apps/v1/namespaces/demo/deployments`;

  const map = (stream: string, tag: string, image: string) =>
    mapImage(server.url, 'demo', { stream, tag, image, repository: `quay.io/demo/${stream}` });
  const trigger = async (name: string, from: string, target: object) => {
    await createTrigger(server.url, 'demo', name, triggerSpec(from, target, rx.url(`/${name}`)));
  };
  const deployment = async () =>
    (await call('GET', `${deploy()}/web`)).body as { metadata: { generation: number }; spec: { template: { spec: { containers: { name: string; image: string }[] } } } };
  const images = async () => Object.fromEntries((await deployment()).spec.template.spec.containers.map((c) => [c.name, c.image]));
  const applied = () => listDeliveries(server.url, 'demo', 'web');
  const quiet = () => new Promise((r) => setTimeout(r, 800));

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ INTERNAL_REGISTRY_HOSTNAME: REGISTRY });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    const web = await call('POST', `${img()}/imagestreams`, {
      metadata: { name: 'web' },
      spec: {
        tags: [
          { name: 'latest', from: { kind: 'ImageStreamTag', name: '1.0' } },
          { name: 'local', from: { kind: 'ImageStreamTag', name: '1.0' }, referencePolicy: { type: 'Local' } },
        ],
      },
    });
    expect(web.status).toBe(201);
    // b is first recorded in `base`: the Image's own dockerImageReference names base, not web.
    await map('base', 'latest', B);
    await map('web', '1.0', B);
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('creating a workload with entries on two moved tags updates it once', async () => {
    const created = await call('POST', deploy(), {
      metadata: {
        name: 'web',
        annotations: {
          'image.openshift.io/triggers': JSON.stringify([
            { from: { kind: 'ImageStreamTag', name: 'web:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' },
            { from: { kind: 'ImageStreamTag', name: 'web:1.0' }, fieldPath: 'spec.template.spec.containers[?(@.name=="sidecar")].image' },
          ]),
        },
      },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: ' ' }, { name: 'sidecar', image: ' ' }] } },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    await pollUntil(images, (i) => i['web'] !== ' ' && i['sidecar'] !== ' ');
    await quiet();
    expect(await images()).toEqual({ web: `quay.io/demo/web@${B}`, sidecar: `quay.io/demo/web@${B}` });
    expect((await deployment()).metadata.generation).toBe(2);
    const records = await applied();
    expect(records).toHaveLength(1);
    expect(records[0].spec.event.data.changes.map((c: any) => c.fieldPath)).toEqual([
      'spec.template.spec.containers[?(@.name=="web")].image',
      'spec.template.spec.containers[?(@.name=="sidecar")].image',
    ]);
  });

  // Shared by the steps below: the preview of pushing E to web:1.0, then the real push.
  let byTrigger: Record<string, any> = {};
  let workloads: any[] = [];
  let real: Record<string, any> = {};
  let generationBefore = 0;

  it('preview of a push lists the dependents of the tag and of its aliases', async () => {
    await trigger('one', 'web:1.0', { kind: 'Deployment', name: 'remote', fieldPath: 'spec.template.spec.containers[0].image' });
    await trigger('latest', 'web:latest', { kind: 'Deployment', name: 'remote', containerNames: ['app'] });
    await trigger('local', 'web:local', { kind: 'Webhook', name: 'local' });
    for (const t of ['one', 'latest', 'local']) await rx.waitFor(`/${t}`, 1);
    generationBefore = (await deployment()).metadata.generation;

    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'web:1.0' }, spec: { image: E, dockerImageReference: `quay.io/demo/web@${E}` } });
    expect(preview.status).toBe(201);
    byTrigger = Object.fromEntries((preview.body.status.triggers as any[]).map((t) => [t.name, t]));
    workloads = preview.body.status.workloads;
    expect(Object.keys(byTrigger).sort()).toEqual(['latest', 'local', 'one']);
    expect(byTrigger['one']).toMatchObject({ tag: '1.0', wouldFire: true, reason: 'ImageChanged' });
    expect(byTrigger['latest']).toMatchObject({ tag: 'latest', wouldFire: true, reason: 'ImageChanged' });
    expect(byTrigger['local']).toMatchObject({ tag: 'local', wouldFire: true });
    expect(workloads.map((w) => [w.tag, w.wouldFire])).toEqual([
      ['latest', true],
      ['1.0', true],
    ]);
    // Both entries are parts of the workload's one update.
    expect(workloads[0].deliveryId).toBe(workloads[1].deliveryId);
  });

  it('the real push delivers exactly what the preview showed', async () => {
    await map('web', '1.0', E);
    real = Object.fromEntries(await Promise.all(['one', 'latest', 'local'].map(async (t) => [t, (await rx.waitFor(`/${t}`, 2))[1]!.json])));
    for (const t of ['one', 'latest', 'local']) expect(comparableEvent(real[t])).toEqual(comparableEvent(byTrigger[t]?.event));
  });

  it("old and new pull specs come from the tag's own history, through its referencePolicy", () => {
    // b was first recorded in base: the Image's dockerImageReference names base, web's history entry names web.
    expect(real['one'].data).toMatchObject({ old: { digest: B, pullSpec: `quay.io/demo/web@${B}` }, new: { digest: E, pullSpec: `quay.io/demo/web@${E}` } });
    expect(real['latest'].data).toMatchObject({ old: { pullSpec: `quay.io/demo/web@${B}` }, new: { pullSpec: `quay.io/demo/web@${E}` } });
    expect(real['local'].data).toMatchObject({ old: { pullSpec: `${REGISTRY}/demo/web@${B}` }, new: { pullSpec: `${REGISTRY}/demo/web@${E}` } });
  });

  it('the workload following two moved tags is updated once, recorded once, as previewed', async () => {
    await pollUntil(images, (i) => i['web']!.endsWith(E) && i['sidecar']!.endsWith(E));
    await quiet();
    expect(await images()).toEqual({ web: `quay.io/demo/web@${E}`, sidecar: `quay.io/demo/web@${E}` });
    expect((await deployment()).metadata.generation).toBe(generationBefore + 1);
    const records = await applied();
    expect(records).toHaveLength(2);
    const update = records[1].spec.event;
    expect(comparableEvent(update)).toEqual(comparableEvent(workloads[0]?.event));
    expect(update.data.old.pullSpec).toBe(`quay.io/demo/web@${B}`);
    expect(update.data.patch).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `quay.io/demo/web@${E}` },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `quay.io/demo/web@${E}` },
    ]);
  });

  it('Deployment targets not stored here get the patch built from the target', () => {
    expect(real['one'].data).toMatchObject({
      patchType: 'application/json-patch+json',
      patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `quay.io/demo/web@${E}` }],
    });
    expect(real['latest'].data).toMatchObject({
      patchType: 'application/strategic-merge-patch+json',
      patch: { spec: { template: { spec: { containers: [{ name: 'app', image: `quay.io/demo/web@${E}` }] } } } },
    });
  });

  it('a Deployment target stored here that already runs the image gets the idempotent replace', async () => {
    await pollUntil(images, (i) => i['web']!.endsWith(E));
    await trigger('stored', 'web:latest', { kind: 'Deployment', name: 'web', containerNames: ['web'] });
    const [got] = await rx.waitFor('/stored', 1);
    expect(got!.json.data).toMatchObject({
      patchType: 'application/json-patch+json',
      patch: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `quay.io/demo/web@${E}` }],
    });
  });

  it("a Deployment target naming no container carries the patch of the workload's own triggers annotation, which applies with a JSON patch", async () => {
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    const follow = (fieldPath: string, paused = false) => ({ from: { kind: 'ImageStreamTag', name: 'app:latest' }, fieldPath, paused });
    const created = await call('POST', deploy(), {
      metadata: {
        name: 'app',
        annotations: {
          'image.openshift.io/triggers': JSON.stringify([
            follow('spec.template.spec.containers[?(@.name=="app")].image'),
            follow('spec.template.spec.initContainers[0].image'),
            follow('spec.template.spec.containers[?(@.name=="pinned")].image', true),
            { from: { kind: 'ImageStreamTag', name: 'base:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="other")].image' },
          ]),
        },
      },
      spec: {
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            initContainers: [{ name: 'init', image: 'busybox:1' }],
            containers: [{ name: 'other', image: 'other:1' }, { name: 'pinned', image: 'pinned:1' }, { name: 'app', image: 'app:placeholder' }],
          },
        },
      },
    });
    expect(created.status).toBe(201);
    await trigger('app-rollout', 'app:latest', { kind: 'Deployment', name: 'app' });
    const image = digest('f');
    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:latest' }, spec: { image, dockerImageReference: `quay.io/demo/app@${image}` } });
    await map('app', 'latest', image);
    const [got] = await rx.waitFor('/app-rollout', 1);
    const pullSpec = `quay.io/demo/app@${image}`;
    // The unpaused entries following app:latest, not the paused one nor the one following base.
    expect(got!.json.data).toMatchObject({
      patchType: 'application/json-patch+json',
      patch: [
        { op: 'replace', path: '/spec/template/spec/containers/2/image', value: pullSpec },
        { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: pullSpec },
      ],
    });
    const previewed = (preview.body.status.triggers as any[]).find((t) => t.name === 'app-rollout');
    expect(comparableEvent(got!.json)).toEqual(comparableEvent(previewed.event));
    // It applies to the workload whether or not the worker has updated it yet.
    const patched = await call('PATCH', `${deploy()}/app?dryRun=All`, got!.json.data.patch, 'application/json-patch+json');
    expect(patched.status).toBe(200);
    // (`other` follows base:latest, which the worker applied on its own.)
    expect(patched.body.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([`quay.io/demo/base@${B}`, 'pinned:1', pullSpec]);
  });
});
