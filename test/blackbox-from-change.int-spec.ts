import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { createSigningSecret, createTrigger, findCondition, getTrigger, TRIGGERS_API, triggerSpec, waitForCondition } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`Trigger from-change tests skipped: ${skipReason}`);

const NS = 'demo';

/**
 * Found by black-box acceptance checks of issue 5: a Trigger whose `spec.from` is changed to
 * another tag follows a new source. Its last image came from the old tag, so the older-image rule
 * (which guards what the followed tag handed out) has nothing to compare: as OpenShift's
 * BuildConfig keeps lastTriggeredImageID per `from`, and as an annotated workload here is moved to
 * the new tag's image whatever its creation time, the new tag's image fires, even when it was
 * built before the image the old tag gave.
 */
describeRegistry('a Trigger whose from is changed to another tag', () => {
  const rx = new Receiver();
  let server: TriggerServer;
  let stack: TriggerServerWithRegistry | undefined;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let older: BuiltImage;
  let newer: BuiltImage;
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/${NS}`;

  beforeAll(async () => {
    await rx.start();
    ({ server, registry } = stack = await startTriggerServerWithRegistry());
    layout = await OciLayout.create();
    older = await layout.addImage('older', { seed: 'from-change-older', created: '2024-01-01T00:00:00Z' });
    newer = await layout.addImage('newer', { seed: 'from-change-newer', created: '2024-06-01T00:00:00Z' });
    expect((await createSigningSecret(server.url, NS, { key: `whsec_${randomBytes(32).toString('base64')}` })).status).toBe(201);
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  it('fires for the new tag image, though it was built before the image the old tag gave', async () => {
    await createTrigger(server.url, NS, 'build-app', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, rx.url('/app')));
    await skopeoCopy(layout.dir, 'newer', `${registry.host}/${NS}/base:latest`);
    const [first] = await rx.waitFor('/app', 1, 30000);
    expect(first!.json.data.new.digest).toBe(newer.manifestDigest);
    await skopeoCopy(layout.dir, 'older', `${registry.host}/${NS}/ubi:latest`);
    // The older image is stored once its push is ingested: wait for the tag to show it.
    const istag = `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreamtags/ubi:latest`;
    for (let i = 0; i < 300 && (await call('GET', istag)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));

    // A second Trigger already on ubi:latest, to compare preview with: it fires on first sight.
    await createTrigger(server.url, NS, 'build-other', triggerSpec('ubi:latest', { kind: 'Build', name: 'other' }, rx.url('/other')));
    await rx.waitFor('/other', 1, 30000);

    const moved = await call('PATCH', `${trg()}/triggers/build-app`, { spec: { from: { kind: 'ImageStreamTag', name: 'ubi:latest' } } }, 'application/merge-patch+json');
    expect(moved.status).toBe(200);
    const [, second] = await rx.waitFor('/app', 2, 30000);
    expect(second!.json.data).toMatchObject({
      stream: 'ubi',
      reason: 'ImageChanged',
      old: { digest: newer.manifestDigest },
      new: { digest: older.manifestDigest },
    });
    const trigger = await getTrigger(server.url, NS, 'build-app');
    expect(trigger.status.lastTriggeredImageID).toBe(older.manifestDigest);
    expect(findCondition(trigger, 'OlderImageIgnored')?.status ?? 'False').toBe('False');
  }, 120000);

  it('still ignores an older build pushed to the tag it follows (the rule holds within one tag)', async () => {
    await createTrigger(server.url, NS, 'deploy', triggerSpec('web:latest', { kind: 'Webhook', name: 'deploy' }, rx.url('/deploy')));
    await skopeoCopy(layout.dir, 'newer', `${registry.host}/${NS}/web:latest`);
    await rx.waitFor('/deploy', 1, 30000);
    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'web:latest' }, spec: { image: older.manifestDigest } });
    expect(preview.status).toBe(201);
    expect((preview.body.status.triggers as any[]).find((t) => t.name === 'deploy')).toMatchObject({ wouldFire: false, reason: 'OlderImageIgnored' });
    await skopeoCopy(layout.dir, 'older', `${registry.host}/${NS}/web:latest`);
    await waitForCondition(server.url, NS, 'deploy', 'OlderImageIgnored', (c) => c?.status === 'True', 30000);
    expect(rx.at('/deploy')).toHaveLength(1);
  }, 120000);
});
