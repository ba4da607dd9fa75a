/**
 * Deletes from a real docker-registry 2.8 end in one state, whatever order their events are
 * processed in. The registry notifies a recorder, and the test forwards the recorded envelopes to
 * the receiver in the order each case needs (and waits for each to settle), so the order is chosen
 * rather than left to timing.
 */
import { call } from '@app/testing';
import { envelope, inboxCall, type IngestStack, postEnvelope, skopeoDelete, startIngestStack, waitFor } from './ingest-harness';
import {
  type BuiltImage,
  type NotificationRecorder,
  OciLayout,
  type RegistryNotificationEvent,
  registryUnavailableReason,
  resolveTag,
  type RunningRegistry,
  skopeoCopy,
  startNotificationRecorder,
  startRegistry,
} from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;

const NS = 'deletes';

interface TagList {
  tag: string;
  items: { image: string }[];
}

describeRegistry('registry deletes: one final state in any processing order', () => {
  let recorder: NotificationRecorder;
  let registry: RunningRegistry;
  let stack: IngestStack;
  let layout: OciLayout;
  let e1: BuiltImage;
  let e2: BuiltImage;
  const forwarded = new Set<string>();

  const base = () => stack.api.base;
  const statusTags = async (name: string): Promise<Map<string, string[]>> => {
    const s = (await call('GET', `${base()}/namespaces/${NS}/imagestreams/${name}`)).body;
    return new Map(((s?.status?.tags ?? []) as TagList[]).map((t) => [t.tag, t.items.map((i) => i.image)]));
  };
  const istagStatus = async (name: string, tag: string) => (await call('GET', `${base()}/namespaces/${NS}/imagestreamtags/${name}:${tag}`)).status;
  const push = (image: string, repo: string, tag: string) => skopeoCopy(layout.dir, image, `${registry.host}/${repo}:${tag}`);

  const settled = (id: string) =>
    waitFor(`event ${id} settled`, async () => {
      const r = await inboxCall(stack.api, stack.secret, 'GET', `/${id}`);
      return r.status === 200 && r.body.state !== 'pending' ? r.body : null;
    });

  /** Forwards recorded events to the receiver in one envelope (once each), as the registry would have. */
  const forward = async (...events: RegistryNotificationEvent[]) => {
    const fresh = events.filter((e) => !forwarded.has(e.id));
    fresh.forEach((e) => forwarded.add(e.id));
    const res = await postEnvelope(stack.notifyUrl, stack.secret, envelope(...fresh.map((e) => ({ ...e }))));
    expect(res.status).toBe(202);
  };
  /** Forwards one by one, each settled before the next goes: the processing order is the given one. */
  const applyInOrder = async (...events: RegistryNotificationEvent[]) => {
    for (const e of events) {
      await forward(e);
      await settled(e.id);
    }
  };

  const manifestPushes = (repo: string) => (all: RegistryNotificationEvent[]) =>
    all.filter((e) => e.action === 'push' && e.target.repository === repo && e.target.tag !== undefined);
  const deletesOf = async (repo: string, digest: string, tag: string) => {
    const manifest = await recorder.waitForEvent((e) => e.action === 'delete' && e.target.repository === repo && e.target.digest === digest && !e.target.tag);
    const tagged = await recorder.waitForEvent((e) => e.action === 'delete' && e.target.repository === repo && e.target.tag === tag);
    return { manifest, tagged };
  };

  /** E1 → t and w, then E2 → t (t: [E2, E1], w: [E1]), applied; then `skopeo delete` of E2 by digest. */
  async function pushesThenDeleteE2(name: string) {
    const repo = `${NS}/${name}`;
    await push('e1', repo, 't');
    await push('e1', repo, 'w');
    await push('e2', repo, 't');
    const pushes = manifestPushes(repo)(await recorder.waitFor((all) => manifestPushes(repo)(all).length === 3));
    await applyInOrder(...pushes);
    expect(await statusTags(name)).toEqual(
      new Map([
        ['t', [e2.manifestDigest, e1.manifestDigest]],
        ['w', [e1.manifestDigest]],
      ]),
    );
    await skopeoDelete(registry.host, repo, e2.manifestDigest);
    // The registry dropped t (it pointed at E2) and kept w.
    expect(await resolveTag(registry.url, repo, 't')).toBeNull();
    expect(await resolveTag(registry.url, repo, 'w')).toBe(e1.manifestDigest);
    return deletesOf(repo, e2.manifestDigest, 't');
  }

  /** What the registry holds: t is gone (its whole history, istag 404), w still points at E1. */
  async function expectRegistryState(name: string) {
    expect(await statusTags(name)).toEqual(new Map([['w', [e1.manifestDigest]]]));
    expect(await istagStatus(name, 't')).toBe(404);
    expect(await istagStatus(name, 'w')).toBe(200);
    // Images are cluster-scoped records and stay.
    expect((await call('GET', `${base()}/images/${e2.manifestDigest}`)).status).toBe(200);
  }

  beforeAll(async () => {
    recorder = await startNotificationRecorder();
    registry = await startRegistry({ notifyUrl: recorder.url, logLevel: 'warn' });
    stack = await startIngestStack({ overrides: { registryUrl: registry.url } });
    layout = await OciLayout.create();
    e1 = await layout.addImage('e1', { seed: 'deletes-e1' });
    e2 = await layout.addImage('e2', { seed: 'deletes-e2' });
  });

  afterAll(async () => {
    await stack?.close();
    await registry?.stop();
    await recorder?.close();
    await layout?.remove();
  });

  it('manifest delete, then tag delete (the registry order)', async () => {
    const { manifest, tagged } = await pushesThenDeleteE2('inorder');
    await applyInOrder(manifest, tagged);
    await expectRegistryState('inorder');
    expect((await inboxCall(stack.api, stack.secret, 'GET', `/${manifest.id}`)).body.outcome).toBe('history-removed');
    // The manifest delete already untagged t (its newest image was E2), as OpenShift's registry
    // untags every tag whose latest image a deleted manifest was: t never fell back to E1.
    expect((await inboxCall(stack.api, stack.secret, 'GET', `/${tagged.id}`)).body.outcome).toBe('nothing-to-remove');
  });

  it('tag delete, then manifest delete', async () => {
    const { manifest, tagged } = await pushesThenDeleteE2('reversed');
    await applyInOrder(tagged, manifest);
    await expectRegistryState('reversed');
    expect((await inboxCall(stack.api, stack.secret, 'GET', `/${tagged.id}`)).body.outcome).toBe('tag-removed');
    // t went with its whole history, and w never had E2.
    expect((await inboxCall(stack.api, stack.secret, 'GET', `/${manifest.id}`)).body.outcome).toBe('nothing-to-remove');
  });

  it('both in a backlog that a restarted worker runs in whatever order', async () => {
    const { manifest, tagged } = await pushesThenDeleteE2('backlog');
    await stack.worker!.close();
    await forward(manifest, tagged);
    await stack.startWorker();
    await settled(manifest.id);
    await settled(tagged.id);
    await expectRegistryState('backlog');
  });

  it('a push whose manifest was deleted before the worker ran is superseded, not retried until failed', async () => {
    const repo = `${NS}/late`;
    // Images never recorded before, so the worker has to read them from the registry.
    const a = await layout.addImage('late-a', { seed: 'deletes-late-a' });
    const b = await layout.addImage('late-b', { seed: 'deletes-late-b' });
    await stack.worker!.close();
    await push('late-a', repo, 't');
    await push('late-b', repo, 't');
    await skopeoDelete(registry.host, repo, b.manifestDigest);
    const pushes = manifestPushes(repo)(await recorder.waitFor((all) => manifestPushes(repo)(all).length === 2));
    const { manifest, tagged } = await deletesOf(repo, b.manifestDigest, 't');
    await forward(...pushes, manifest, tagged);
    await stack.startWorker();
    for (const e of [...pushes, manifest, tagged]) await settled(e.id);

    const pushB = pushes.find((e) => e.target.digest === b.manifestDigest)!;
    const row = (await inboxCall(stack.api, stack.secret, 'GET', `/${pushB.id}`)).body;
    expect(row).toMatchObject({ state: 'processed', outcome: 'superseded', attempts: 1 });
    expect(row.reason).toBe('superseded: the image is gone from the registry, and so is the tag');
    // The registry has no tag t any more (A stays there untagged): neither has the stream.
    expect(await resolveTag(registry.url, repo, 't')).toBeNull();
    expect((await statusTags('late')).has('t')).toBe(false);
    const pushA = pushes.find((e) => e.target.digest === a.manifestDigest)!;
    expect((await inboxCall(stack.api, stack.secret, 'GET', `/${pushA.id}`)).body.state).toBe('processed');
  });
  it('a manifest delete untags a tag following the deleted one too, instead of moving it back to an older image', async () => {
    const repo = `${NS}/trk`;
    await push('e1', repo, 'latest');
    await applyInOrder(...manifestPushes(repo)(await recorder.waitFor((all) => manifestPushes(repo)(all).length === 1)));
    const stream = (await call('GET', `${base()}/namespaces/${NS}/imagestreams/trk`)).body;
    const spec = { tags: [{ name: 'track', from: { kind: 'ImageStreamTag', name: 'latest' } }] };
    expect((await call('PUT', `${base()}/namespaces/${NS}/imagestreams/trk`, { ...stream, spec })).status).toBe(200);
    await push('e2', repo, 'latest');
    await applyInOrder(...manifestPushes(repo)(await recorder.waitFor((all) => manifestPushes(repo)(all).length === 2)));
    expect(await statusTags('trk')).toEqual(
      new Map([
        ['latest', [e2.manifestDigest, e1.manifestDigest]],
        ['track', [e2.manifestDigest, e1.manifestDigest]],
      ]),
    );
    await skopeoDelete(registry.host, repo, e2.manifestDigest);
    const { manifest, tagged } = await deletesOf(repo, e2.manifestDigest, 'latest');
    await applyInOrder(manifest, tagged);
    // OpenShift's registry untags every tag whose latest image the manifest was: track too.
    expect(await statusTags('trk')).toEqual(new Map());
    expect(await istagStatus('trk', 'track')).toBe(404);
  });

  it.each([
    ['manifest delete, then tag delete', 'moved1', false],
    ['tag delete, then manifest delete', 'moved2', true],
  ])('a tag moved through the API since the push keeps its new image when the registry deletes the pushed one (%s)', async (_order, name, tagDeleteFirst) => {
    const repo = `${NS}/${name}`;
    const source = `${NS}/${name}-source`;
    await push('e1', repo, 'x');
    await push('e2', source, 'y');
    await applyInOrder(...manifestPushes(repo)(await recorder.waitFor((all) => manifestPushes(repo)(all).length === 1)));
    await applyInOrder(...manifestPushes(source)(await recorder.waitFor((all) => manifestPushes(source)(all).length === 1)));
    // The user points x at the other repository's image: x is [E2, E1], the registry still has E1 under x.
    const mapping = {
      metadata: { name, namespace: NS },
      tag: 'x',
      image: { metadata: { name: e2.manifestDigest }, dockerImageReference: `${registry.host}/${source}@${e2.manifestDigest}` },
    };
    expect((await call('POST', `${base()}/namespaces/${NS}/imagestreammappings`, mapping)).status).toBe(201);
    expect(await statusTags(name)).toEqual(new Map([['x', [e2.manifestDigest, e1.manifestDigest]]]));

    await skopeoDelete(registry.host, repo, e1.manifestDigest);
    const { manifest, tagged } = await deletesOf(repo, e1.manifestDigest, 'x');
    await applyInOrder(...(tagDeleteFirst ? [tagged, manifest] : [manifest, tagged]));
    // E1's entry leaves; the tag the user moved stays on E2 (OpenShift's registry untags only the
    // tags whose latest image is the deleted manifest).
    expect(await statusTags(name)).toEqual(new Map([['x', [e2.manifestDigest]]]));
    expect(await istagStatus(name, 'x')).toBe(200);
    const row = (await inboxCall(stack.api, stack.secret, 'GET', `/${tagged.id}`)).body;
    expect(row).toMatchObject({ state: 'processed', outcome: 'superseded' });
    expect(row.reason).toBe(`superseded: the tag holds ${e2.manifestDigest}, not ${e1.manifestDigest}, which the registry untagged`);
  });
});
