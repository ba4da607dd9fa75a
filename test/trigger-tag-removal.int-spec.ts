import { call } from '@app/testing';
import { envelope, postEnvelope, registryEvent, skopeoDelete } from './ingest-harness';
import { pollUntil } from './support/poll';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy } from './support/registry';
import { createSigningSecret, createTrigger, digest, findCondition, getTrigger, mapImage, triggerSpec } from './support/trigger-resources';
import type { TriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { Receiver } from './support/webhook-receiver';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`tag removal trigger tests skipped: ${skipReason}`);

const NS = 'gone';

/**
 * Evaluation is level-driven: a tag that loses its image (istag delete, a registry delete, the
 * stream's delete) is evaluated like a move, so its Triggers say they wait for an image, nothing
 * is sent, and the next push fires once.
 */
describeRegistry('a followed tag that loses its image', () => {
  const rx = new Receiver();
  let stack: TriggerServerWithRegistry | undefined;
  let server: TriggerServer;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let pushed: BuiltImage;

  const images = () => `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}`;
  const map = (stream: string, image: string) => mapImage(server.url, NS, { stream, tag: 'latest', image, repository: `quay.io/${NS}/${stream}` });
  const waiting = (name: string) =>
    pollUntil(
      () => getTrigger(server.url, NS, name),
      (t) => findCondition(t, 'WaitingForImage')?.status === 'True',
      30000,
    );
  const available = (name: string) =>
    pollUntil(
      () => getTrigger(server.url, NS, name),
      (t) => findCondition(t, 'WaitingForImage')?.status === 'False',
      30000,
    );
  /** A trigger on `<stream>:latest` that has fired once for `first`, mapped to the tag. */
  /** A Deployment with one container `web` (image ' ') and the trigger annotation `entries`; returns how to read web's image. */
  const annotatedDeployment = async (name: string, entries: object[]) => {
    const apps = `${server.url}/apis/apps/v1/namespaces/${NS}/deployments`;
    const created = await call('POST', apps, {
      metadata: { name, annotations: { 'image.openshift.io/triggers': JSON.stringify(entries) } },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: ' ' }] } } },
    });
    expect(created.status).toBe(201);
    return async () => (await call('GET', `${apps}/${name}`)).body.spec.template.spec.containers[0].image as string;
  };
  const createStream = async (stream: string) => expect((await call('POST', `${images()}/imagestreams`, { metadata: { name: stream } })).status).toBe(201);
  const firedOnce = async (name: string, stream: string, first: string) => {
    await createStream(stream);
    await map(stream, first);
    await createTrigger(server.url, NS, name, triggerSpec(`${stream}:latest`, { kind: 'Webhook', name }, rx.url(`/${name}`)));
    const [event] = await rx.waitFor(`/${name}`, 1, 30000);
    expect(event!.json.data.new.digest).toBe(first);
    const t = await pollUntil(() => getTrigger(server.url, NS, name), (x) => x.status?.lastTriggeredImageID === first, 30000);
    expect(findCondition(t, 'WaitingForImage')).toBeUndefined();
  };
  /** After the loss: the no-image condition, last image kept, nothing sent; then the next push fires once. */
  const waitsThenFiresOnce = async (name: string, stream: string, first: string, next: string, recreate = false) => {
    const t = await waiting(name);
    expect(findCondition(t, 'WaitingForImage')).toMatchObject({ status: 'True', reason: 'TagHasNoImage' });
    expect(t.status.lastTriggeredImageID).toBe(first);
    expect(rx.at(`/${name}`)).toHaveLength(1);

    if (recreate) await createStream(stream);
    await map(stream, next);
    const events = await rx.waitFor(`/${name}`, 2, 30000);
    expect(events[1]!.json.data).toMatchObject({ reason: 'ImageChanged', old: { digest: first }, new: { digest: next } });
    expect(findCondition(await available(name), 'WaitingForImage')).toMatchObject({ status: 'False', reason: 'ImageAvailable' });
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.at(`/${name}`)).toHaveLength(2);
  };

  beforeAll(async () => {
    await rx.start();
    ({ server, registry } = stack = await startTriggerServerWithRegistry());
    layout = await OciLayout.create();
    pushed = await layout.addImage('one', { seed: 'trigger-tag-removal-one' });
    expect((await createSigningSecret(server.url, NS)).status).toBe(201);
  }, 120000);

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  it('istag DELETE: the trigger waits for an image, nothing is sent, the next push fires once', async () => {
    await firedOnce('on-istag', 'istag', digest('a'));
    expect((await call('DELETE', `${images()}/imagestreamtags/istag:latest`)).status).toBe(200);
    await waitsThenFiresOnce('on-istag', 'istag', digest('a'), digest('b'));
    // The pull feed lists the loss in between as a tag.deleted item: what the tag lost, no image now.
    const feed = await call('GET', `${server.url}/apis/triggers.imagestreamd.io/v1/namespaces/${NS}/tagchangeevents?limit=1000`);
    expect(feed.status).toBe(200);
    const items = feed.body.items as { stream: string; type: string; from: string | null; to: string | null; dockerImageReference: string | null; cause: string }[];
    expect(items.filter((i) => i.stream === 'istag').map((i) => [i.type, i.from, i.to, i.cause])).toEqual([
      ['tag.created', null, digest('a'), 'mapping'],
      ['tag.deleted', digest('a'), null, 'delete'],
      ['tag.created', null, digest('b'), 'mapping'],
    ]);
    expect(items.find((i) => i.stream === 'istag' && i.type === 'tag.deleted')!.dockerImageReference).toBeNull();
  });

  it('istag DELETE, then a push of an image the tag held before the newer one: the tag starts afresh, so it fires', async () => {
    // first → newer fired; the tag's own order ranks `first` as older, which holds pushes back
    // while the tag lives. After the deletion that order no longer counts (as for a stream deleted
    // and created again); the images carry no build time, so nothing else ranks them.
    await firedOnce('on-afresh', 'afresh', digest('e'));
    await map('afresh', digest('f'));
    await rx.waitFor('/on-afresh', 2, 30000);
    await map('afresh', digest('e'));
    // While the tag lives, the push back to the older image is ignored.
    const ignored = await pollUntil(
      () => getTrigger(server.url, NS, 'on-afresh'),
      (t) => findCondition(t, 'OlderImageIgnored')?.status === 'True',
      30000,
    );
    expect(ignored.status.lastTriggeredImageID).toBe(digest('f'));
    expect(rx.at('/on-afresh')).toHaveLength(2);

    expect((await call('DELETE', `${images()}/imagestreamtags/afresh:latest`)).status).toBe(200);
    await waiting('on-afresh');
    await map('afresh', digest('e'));
    const events = await rx.waitFor('/on-afresh', 3, 30000);
    expect(events[2]!.json.data).toMatchObject({ reason: 'ImageChanged', old: { digest: digest('f') }, new: { digest: digest('e') } });
    const t = await pollUntil(() => getTrigger(server.url, NS, 'on-afresh'), (x) => x.status?.lastTriggeredImageID === digest('e'), 30000);
    expect(findCondition(t, 'WaitingForImage')).toMatchObject({ status: 'False' });
  });

  it('ImageTag DELETE: the trigger waits for an image, then the next push fires once', async () => {
    await firedOnce('on-itag', 'itag', digest('7'));
    expect((await call('DELETE', `${images()}/imagetags/itag:latest`)).status).toBe(200);
    await waitsThenFiresOnce('on-itag', 'itag', digest('7'), digest('8'));
  });

  it('a /status write that drops the tag (as a pruner does): the trigger waits for an image, then the next push fires once', async () => {
    await firedOnce('on-status', 'pruned', digest('3'));
    const stream = (await call('GET', `${images()}/imagestreams/pruned`)).body;
    const put = await call('PUT', `${images()}/imagestreams/pruned/status`, { ...stream, status: { ...stream.status, tags: [] } });
    expect(put.status).toBe(200);
    expect(put.body.status.tags ?? []).toEqual([]);
    await waitsThenFiresOnce('on-status', 'pruned', digest('3'), digest('4'));
  });

  it('a /status write that drops the newest entry moves the tag back: fed as a move (cause status), an explicit rollback', async () => {
    await firedOnce('on-status-move', 'pruned2', digest('9'));
    await map('pruned2', digest('0'));
    await rx.waitFor('/on-status-move', 2, 30000);
    const stream = (await call('GET', `${images()}/imagestreams/pruned2`)).body;
    const [latest] = stream.status.tags as { tag: string; items: { image: string }[] }[];
    expect(latest!.items.map((i) => i.image)).toEqual([digest('0'), digest('9')]);
    const put = await call('PUT', `${images()}/imagestreams/pruned2/status`, { ...stream, status: { ...stream.status, tags: [{ tag: 'latest', items: latest!.items.slice(1) }] } });
    expect(put.status).toBe(200);
    const events = await rx.waitFor('/on-status-move', 3, 30000);
    expect(events[2]!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: digest('0') }, new: { digest: digest('9') } });
    const feed = await call('GET', `${server.url}/apis/triggers.imagestreamd.io/v1/namespaces/${NS}/tagchangeevents?limit=1000`);
    const moves = (feed.body.items as { stream: string; from: string | null; to: string; cause: string }[]).filter((i) => i.stream === 'pruned2');
    expect(moves.map((i) => [i.from, i.to, i.cause])).toEqual([
      [null, digest('9'), 'mapping'],
      [digest('9'), digest('0'), 'mapping'],
      [digest('0'), digest('9'), 'status'],
    ]);
  });

  it('an annotated workload is reconciled when a followed tag loses its image: an imageless entry no longer holds it back', async () => {
    for (const stream of ['wgood', 'wbad']) await createStream(stream);
    await map('wbad', digest('5'));
    const pod = 'spec.template.spec';
    const entries = [
      { from: { kind: 'ImageStreamTag', name: 'wgood:latest' }, fieldPath: `${pod}.containers[?(@.name=="web")].image` },
      // Names no container: while its tag has an image, no entry of the workload is applied.
      { from: { kind: 'ImageStreamTag', name: 'wbad:latest' }, fieldPath: `${pod}.containers[?(@.name=="gone")].image` },
    ];
    const webImage = await annotatedDeployment('held', entries);
    await map('wgood', digest('6'));
    await new Promise((r) => setTimeout(r, 500));
    expect(await webImage()).toBe(' ');

    expect((await call('DELETE', `${images()}/imagestreamtags/wbad:latest`)).status).toBe(200);
    expect(await pollUntil(webImage, (i) => i !== ' ', 30000)).toBe(`quay.io/${NS}/wgood@${digest('6')}`);
  });

  it('an annotated workload follows a /status write that drops the newest entry back to the older image (explicit, as for Triggers)', async () => {
    await createStream('wback');
    await map('wback', digest('1'));
    const pod = 'spec.template.spec';
    const entries = [{ from: { kind: 'ImageStreamTag', name: 'wback:latest' }, fieldPath: `${pod}.containers[?(@.name=="web")].image` }];
    const webImage = await annotatedDeployment('back', entries);
    const at = (d: string) => `quay.io/${NS}/wback@${d}`;
    expect(await pollUntil(webImage, (i) => i === at(digest('1')), 30000)).toBe(at(digest('1')));
    await map('wback', digest('2'));
    expect(await pollUntil(webImage, (i) => i === at(digest('2')), 30000)).toBe(at(digest('2')));
    const stream = (await call('GET', `${images()}/imagestreams/wback`)).body;
    const [latest] = stream.status.tags as { tag: string; items: { image: string }[] }[];
    const put = await call('PUT', `${images()}/imagestreams/wback/status`, { ...stream, status: { ...stream.status, tags: [{ tag: 'latest', items: latest!.items.slice(1) }] } });
    expect(put.status).toBe(200);
    expect(await pollUntil(webImage, (i) => i === at(digest('1')), 30000)).toBe(at(digest('1')));
  });

  it('istag DELETE then a re-push of the same image: no second fire (the dependent has it), the wait ends', async () => {
    await firedOnce('on-repush', 'repush', digest('c'));
    expect((await call('DELETE', `${images()}/imagestreamtags/repush:latest`)).status).toBe(200);
    await waiting('on-repush');
    await map('repush', digest('c'));
    const t = await available('on-repush');
    expect(t.status.lastTriggeredImageID).toBe(digest('c'));
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.at('/on-repush')).toHaveLength(1);
  });

  it('a registry tag delete (the registry no longer has the tag): the trigger waits for an image, then the next push fires once', async () => {
    await firedOnce('on-regtag', 'regtag', digest('d'));
    // What distribution sends for a tag delete; the registry was never pushed this tag, so the
    // worker's check finds it gone and removes the tag from the stream's status.
    const res = await postEnvelope(`${server.url}/registry/notifications`, stack!.notifySecret, envelope(registryEvent({ action: 'delete', repository: `${NS}/regtag`, tag: 'latest' })));
    expect(res.status).toBe(202);
    await pollUntil(
      async () => (await call('GET', `${images()}/imagestreamtags/regtag:latest`)).status,
      (s) => s === 404,
      30000,
    );
    await waitsThenFiresOnce('on-regtag', 'regtag', digest('d'), digest('e'));
  });

  it('a pushed image deleted from the registry (manifest and tag delete events): the trigger waits, then the next push fires once', async () => {
    await skopeoCopy(layout.dir, 'one', `${registry.host}/${NS}/regman:latest`);
    await pollUntil(
      async () => (await call('GET', `${images()}/imagestreamtags/regman:latest`)).body?.image?.metadata?.name,
      (d) => d === pushed.manifestDigest,
      30000,
    );
    await createTrigger(server.url, NS, 'on-regman', triggerSpec('regman:latest', { kind: 'Webhook', name: 'on-regman' }, rx.url('/on-regman')));
    await rx.waitFor('/on-regman', 1, 30000);
    await pollUntil(() => getTrigger(server.url, NS, 'on-regman'), (x) => x.status?.lastTriggeredImageID === pushed.manifestDigest, 30000);
    await skopeoDelete(registry.host, `${NS}/regman`, pushed.manifestDigest);
    await waitsThenFiresOnce('on-regman', 'regman', pushed.manifestDigest, digest('f'));
  });

  it('stream DELETE: the trigger waits for an image, then a push to the stream created again fires once', async () => {
    await firedOnce('on-stream', 'whole', digest('1'));
    expect((await call('DELETE', `${images()}/imagestreams/whole`)).status).toBe(200);
    await waitsThenFiresOnce('on-stream', 'whole', digest('1'), digest('2'), true);
  });
});
