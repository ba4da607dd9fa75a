import { randomBytes } from 'node:crypto';
import { call } from '@app/testing';
import { waitFor } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { createSigningSecret, createTrigger, triggerSpec } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`DockerImage re-point tests skipped: ${skipReason}`);

const NS = 'demo';

/**
 * `oc tag --source=docker <registry>/demo/rb@<older digest> demo/rb:latest`: a user's spec write
 * whose import moves the tag back. Like an `istag` write to an ImageStreamImage it is an explicit
 * re-point (cause `spec-import`), so the dependents roll back; a push of the older image is not.
 */
describeRegistry('a spec write that imports an older image re-points the tag explicitly', () => {
  const rx = new Receiver();
  let server: TriggerServer;
  let stack: TriggerServerWithRegistry | undefined;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let a: BuiltImage;
  let b: BuiltImage;
  const push = (ref: string) => skopeoCopy(layout.dir, ref, `${registry.host}/${NS}/rb:latest`);
  const istag = () => `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreamtags/rb:latest`;

  beforeAll(async () => {
    await rx.start();
    ({ server, registry } = stack = await startTriggerServerWithRegistry());
    layout = await OciLayout.create();
    a = await layout.addImage('a', { seed: 'docker-repoint-a', created: '2024-01-01T00:00:00Z' });
    b = await layout.addImage('b', { seed: 'docker-repoint-b', created: '2024-06-01T00:00:00Z' });
    expect((await createSigningSecret(server.url, NS, { key: `whsec_${randomBytes(32).toString('base64')}` })).status).toBe(201);
    await createTrigger(server.url, NS, 'build-rb', triggerSpec('rb:latest', { kind: 'Build', name: 'rb' }, rx.url('/rb')));
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  it('rolls the dependents back, with reason ExplicitRollback', async () => {
    // One push at a time: evaluation is level-driven, so b pushed before a's fire would coalesce them.
    await push('a');
    await rx.waitFor('/rb', 1, 30000);
    await push('b');
    const fired = await rx.waitFor('/rb', 2, 30000);
    expect(fired.map((e) => e.json.data.new.digest)).toEqual([a.manifestDigest, b.manifestDigest]);

    const current = await call('GET', istag());
    expect(current.status).toBe(200);
    const repointed = await call('PUT', istag(), {
      ...current.body,
      tag: { name: 'latest', from: { kind: 'DockerImage', name: `${registry.host}/${NS}/rb@${a.manifestDigest}` }, importPolicy: { insecure: true } },
    });
    expect([200, 201]).toContain(repointed.status); // 201: the push made no spec tag, this write creates it
    await waitFor('the import moved the tag back', async () => (await call('GET', istag())).body?.image?.metadata?.name === a.manifestDigest, 30000);
    const [, , rollback] = await rx.waitFor('/rb', 3, 30000);
    expect(rollback!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: b.manifestDigest }, new: { digest: a.manifestDigest } });
  }, 90000);

  it('an ImageStreamImport request naming the tag (oc import-image rb:latest --from=…@<older>) re-points it explicitly too', async () => {
    // Forward to b again (a spec write, so the older-image rule has b as the last image), then import a.
    const forward = await call('PUT', istag(), {
      ...(await call('GET', istag())).body,
      tag: { name: 'latest', from: { kind: 'DockerImage', name: `${registry.host}/${NS}/rb@${b.manifestDigest}` }, importPolicy: { insecure: true } },
    });
    expect(forward.status).toBe(200);
    await rx.waitFor('/rb', 4, 30000);
    const imported = await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreamimports`, {
      metadata: { name: 'rb' },
      spec: { import: true, images: [{ from: { kind: 'DockerImage', name: `${registry.host}/${NS}/rb@${a.manifestDigest}` }, to: { name: 'latest' }, importPolicy: { insecure: true } }] },
    });
    expect([imported.status, imported.body.status.images[0].status.status]).toEqual([201, 'Success']);
    const [, , , , rollback] = await rx.waitFor('/rb', 5, 30000);
    expect(rollback!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: b.manifestDigest }, new: { digest: a.manifestDigest } });
  }, 90000);

  it('a manifest list\'s record time is no build time: a push after it of an image built before it still fires', async () => {
    await createTrigger(server.url, NS, 'build-mx', triggerSpec('mx:latest', { kind: 'Build', name: 'mx' }, rx.url('/mx')));
    const list = await layout.addIndex('list', [
      { seed: 'mx-amd64', architecture: 'amd64', created: '2024-03-01T00:00:00Z' },
      { seed: 'mx-arm64', architecture: 'arm64', created: '2024-03-01T00:00:00Z' },
    ]);
    await skopeoCopy(layout.dir, 'list', `${registry.host}/${NS}/mx:latest`, { all: true });
    await rx.waitFor('/mx', 1, 30000);
    // Built in 2024, pushed after the list was recorded (now): not older than the list.
    const single = await layout.addImage('single', { seed: 'mx-single', created: '2024-06-01T00:00:00Z' });
    await skopeoCopy(layout.dir, 'single', `${registry.host}/${NS}/mx:latest`);
    const fired = await rx.waitFor('/mx', 2, 30000);
    expect(fired.map((e) => [e.json.data.reason, e.json.data.new.digest])).toEqual([
      ['ImageChanged', list.indexDigest],
      ['ImageChanged', single.manifestDigest],
    ]);
  }, 90000);
});
