import { call, watchEvents } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { digest, mapImage, TRIGGERS_API } from './support/trigger-resources';

const NS = 'feedpages';

interface FeedList {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string; resourceVersion: string } }[];
}

/**
 * A paged list of the tag-change feed is one snapshot, as a Kubernetes paged list is. client-go's
 * pager (what an informer relists with after a 410, and `kubectl get --chunk-size`) follows the
 * `continue` tokens, keeps the FIRST page's resourceVersion and the informer then watches from it.
 * Each page used to report its own last position and read on to the feed's current end, so moves
 * made while the pages were read came in a later page and then again on the watch: the informer's
 * handlers saw them twice. Now every page reports the first page's position and holds nothing after
 * it; the watch from it brings the later moves, each once.
 */
describe('tag change feed: a paged list is one snapshot', () => {
  let server: TriggerServer;
  const feed = (ns = NS) => `${server.url}${TRIGGERS_API}/namespaces/${ns}/tagchangeevents`;
  let image = 0;
  const move = () => mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest((image++ % 16).toString(16)), repository: 'quay.io/acme/base' });
  const names = (l: FeedList) => l.items.map((i) => i.metadata.name);

  beforeAll(async () => {
    server = await startTriggerServer();
    for (const ns of [NS, 'other']) expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    for (let i = 0; i < 5; i++) await move();
  }, 60000);
  afterAll(async () => {
    await server?.close();
  });

  it('every page reports the first page\'s resourceVersion and holds no later move; a watch from it brings each later move once', async () => {
    const whole = (await call('GET', feed())).body as FeedList;
    expect(whole.items).toHaveLength(5);

    const first = (await call('GET', `${feed()}?limit=2`)).body as FeedList;
    expect(names(first)).toEqual(names(whole).slice(0, 2));
    expect(first.metadata.continue).toEqual(expect.any(String));
    expect(first.metadata.resourceVersion).toBe(whole.metadata.resourceVersion);

    // Two moves while the pager reads on.
    await move();
    await move();

    const pages: FeedList[] = [first];
    for (let token = first.metadata.continue; token; ) {
      const page = (await call('GET', `${feed()}?limit=2&continue=${encodeURIComponent(token)}`)).body as FeedList;
      pages.push(page);
      token = page.metadata.continue;
    }
    expect(pages.map((p) => p.metadata.resourceVersion)).toEqual(pages.map(() => first.metadata.resourceVersion));
    expect(pages.flatMap(names)).toEqual(names(whole));
    // As kube-apiserver: each page but the last counts what the snapshot still holds after it.
    expect(pages.map((p) => p.metadata.remainingItemCount)).toEqual([3, 1, undefined]);
    // With a selector the count would include moves that do not match, so there is none.
    const selected = (await call('GET', `${feed()}?limit=2&fieldSelector=metadata.namespace%3D${NS}`)).body as FeedList;
    expect([selected.items.length, typeof selected.metadata.continue, selected.metadata.remainingItemCount]).toEqual([2, 'string', undefined]);

    // The informer watches from the pager's resourceVersion: the two later moves, once each.
    const w = watchEvents(`${feed()}?watch=1&resourceVersion=${first.metadata.resourceVersion}`);
    try {
      await w.waitFor((events) => events.length >= 2);
      await new Promise((r) => setTimeout(r, 600)); // a few polls more: nothing else may come
      const watched = w.events.map((e) => (e.object as { metadata: { name: string } }).metadata.name);
      const now = (await call('GET', feed())).body as FeedList;
      expect(watched).toEqual(names(now).slice(5));
      expect(new Set([...pages.flatMap(names), ...watched]).size).toBe(pages.flatMap(names).length + watched.length);
    } finally {
      w.stop();
    }
  }, 30000);

  it('the documented cursors still read on to the feed\'s end: an item\'s name, or a list\'s resourceVersion', async () => {
    const whole = (await call('GET', feed())).body as FeedList;
    const afterSecond = (await call('GET', `${feed()}?continue=${whole.items[1]!.metadata.name}`)).body as FeedList;
    expect(names(afterSecond)).toEqual(names(whole).slice(2));
    const first = (await call('GET', `${feed()}?limit=2`)).body as FeedList;
    await move();
    const rest = (await call('GET', `${feed()}?continue=${first.metadata.resourceVersion}`)).body as FeedList;
    expect(rest.items).toHaveLength(1);
    expect(BigInt(rest.metadata.resourceVersion)).toBeGreaterThan(BigInt(first.metadata.resourceVersion));
  }, 30000);

  it('pages of an Exact list stay at that position', async () => {
    const whole = (await call('GET', feed())).body as FeedList;
    const at = whole.items[3]!.metadata.resourceVersion;
    const first = (await call('GET', `${feed()}?resourceVersion=${at}&resourceVersionMatch=Exact&limit=3`)).body as FeedList;
    expect(names(first)).toEqual(names(whole).slice(0, 3));
    const second = (await call('GET', `${feed()}?limit=3&continue=${encodeURIComponent(first.metadata.continue!)}`)).body as FeedList;
    expect(second.metadata).toEqual({ resourceVersion: at });
    expect(names(second)).toEqual([whole.items[3]!.metadata.name]);
  }, 30000);

  it('a page\'s token is refused by another namespace\'s list (400), and a token that does not decode is 400', async () => {
    const first = (await call('GET', `${feed()}?limit=1`)).body as FeedList;
    const elsewhere = await call('GET', `${feed('other')}?limit=1&continue=${encodeURIComponent(first.metadata.continue!)}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(elsewhere.body.message).toContain('different namespace');
    const garbage = await call('GET', `${feed()}?limit=1&continue=not-a-token`);
    expect(garbage.status).toBe(400);
    // Cluster-wide lists take a namespace's token, as kube-apiserver (its key is within the prefix).
    const clusterWide = await call('GET', `${server.url}${TRIGGERS_API}/tagchangeevents?limit=1&continue=${encodeURIComponent(first.metadata.continue!)}`);
    expect(clusterWide.status).toBe(200);
  }, 30000);
});
