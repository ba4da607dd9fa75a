import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { type BuiltImage, deleteManifest, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { pollUntil } from './support/poll';
import { createSigningSecret, createTrigger, findCondition, getTrigger, triggerSpec, waitForCondition } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`Pruned-history trigger tests skipped: ${skipReason}`);

const NS = 'demo';
const IMAGE_API = '/apis/image.openshift.io/v1';

/**
 * Found by black-box acceptance checks of issue 5 (lifecycle paths): push A, push B (dependents
 * get B), then A's entry leaves the tag's history while B stays on the tag (a pruner's /status
 * write, or a registry manifest delete of A), then A is pushed again. The tag-change feed still
 * shows A on the tag before B, so A is older and a push of it is ignored (README: the feed is the
 * fallback of the tag history). The rule judged by the history alone whenever both images had an
 * entry there, and A's new entry made it look newer: dependents were moved back to A.
 */
describeRegistry('the older-image rule after older history entries are gone', () => {
  const rx = new Receiver();
  let server: TriggerServer;
  let stack: TriggerServerWithRegistry | undefined;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let a: BuiltImage;
  let b: BuiltImage;

  // Same creation time on purpose: only the tag's own order can rank them.
  beforeAll(async () => {
    await rx.start();
    ({ server, registry } = stack = await startTriggerServerWithRegistry());
    layout = await OciLayout.create();
    a = await layout.addImage('a', { seed: 'pruned-history-a' });
    b = await layout.addImage('b', { seed: 'pruned-history-b' });
    expect((await createSigningSecret(server.url, NS, { key: `whsec_${randomBytes(32).toString('base64')}` })).status).toBe(201);
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  const historyOf = async (stream: string, tag: string): Promise<string[]> => {
    const res = await call('GET', `${server.url}${IMAGE_API}/namespaces/${NS}/imagestreams/${stream}`);
    const tags = (res.body.status?.tags ?? []) as { tag: string; items: { image: string }[] }[];
    return tags.find((t) => t.tag === tag)?.items.map((i) => i.image) ?? [];
  };
  const waitForHistory = (stream: string, tag: string, until: (h: string[]) => boolean) =>
    pollUntil(() => historyOf(stream, tag), until, 30000);

  /** Push A then B to <stream>:latest; the Trigger `name` gets both. */
  async function pushAThenB(stream: string, name: string): Promise<void> {
    await createTrigger(server.url, NS, name, triggerSpec(`${stream}:latest`, { kind: 'Webhook', name }, rx.url(`/${name}`)));
    await skopeoCopy(layout.dir, 'a', `${registry.host}/${NS}/${stream}:latest`);
    await rx.waitFor(`/${name}`, 1, 30000);
    await skopeoCopy(layout.dir, 'b', `${registry.host}/${NS}/${stream}:latest`);
    const [, second] = await rx.waitFor(`/${name}`, 2, 30000);
    expect(second!.json.data.new.digest).toBe(b.manifestDigest);
  }

  async function expectIgnoredRepushOfA(stream: string, name: string): Promise<void> {
    await skopeoCopy(layout.dir, 'a', `${registry.host}/${NS}/${stream}:latest`);
    await waitForHistory(stream, 'latest', (h) => h[0] === a.manifestDigest);
    const cond = await waitForCondition(server.url, NS, name, 'OlderImageIgnored', (c) => c?.status === 'True' || rx.at(`/${name}`).length > 2, 30000);
    expect(rx.at(`/${name}`).map((r) => r.json.data.new.digest)).toEqual([a.manifestDigest, b.manifestDigest]);
    expect(cond?.status).toBe('True');
    const trigger = await getTrigger(server.url, NS, name);
    expect(trigger.status.lastTriggeredImageID).toBe(b.manifestDigest);
    expect(findCondition(trigger, 'Triggered')?.status).toBe('True');
  }

  it('ignores a re-push of an image a /status write pruned from the tag history, for Triggers and annotated workloads', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        annotations: {
          'image.openshift.io/triggers': JSON.stringify([{ from: { kind: 'ImageStreamTag', name: 'app:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }]),
        },
      },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    };
    expect((await call('POST', `${server.url}/apis/apps/v1/namespaces/${NS}/deployments`, deployment)).status).toBe(201);
    const webImage = async () => (await call('GET', `${server.url}/apis/apps/v1/namespaces/${NS}/deployments/web`)).body.spec.template.spec.containers[0].image as string;

    await pushAThenB('app', 'prune');
    await pollUntil(webImage, (img) => img.endsWith(`@${b.manifestDigest}`), 30000);

    // A pruner keeps only the newest entry (as `oc adm prune images` shortens history).
    const stream = (await call('GET', `${server.url}${IMAGE_API}/namespaces/${NS}/imagestreams/app`)).body;
    stream.status.tags = stream.status.tags.map((t: { items: unknown[] }) => ({ ...t, items: t.items.slice(0, 1) }));
    expect((await call('PUT', `${server.url}${IMAGE_API}/namespaces/${NS}/imagestreams/app/status`, stream)).status).toBe(200);
    expect(await historyOf('app', 'latest')).toEqual([b.manifestDigest]);

    await expectIgnoredRepushOfA('app', 'prune');
    expect(await webImage()).toMatch(new RegExp(`@${b.manifestDigest}$`));
  }, 180000);

  it('ignores a re-push of an image after the registry deleted its manifest (and its history entries)', async () => {
    await pushAThenB('rb', 'regdel');
    await deleteManifest(registry.url, `${NS}/rb`, a.manifestDigest);
    await waitForHistory('rb', 'latest', (h) => h.length === 1 && h[0] === b.manifestDigest);
    await expectIgnoredRepushOfA('rb', 'regdel');
  }, 180000);
});
