import { call, watchEvents } from '@app/testing';
import { feedRetentionServer, pruneMoves } from './support/feed-retention';
import { digest, mapImage, TRIGGERS_API } from './support/trigger-resources';

const NS = 'feedprune';

interface FeedList {
  metadata: { resourceVersion: string };
  items: { metadata: { name: string } }[];
}

/**
 * A Kubernetes watch sends DELETED when an object expires (an Event's TTL, a lease): an informer's
 * cache then drops it. Feed retention pruned moves without a word, so an informer or any client
 * mirroring the feed kept every move it ever saw, for as long as it ran. Now each pruned move is
 * a DELETED event on the feed's watches, carrying the watch's position as its resourceVersion; a
 * watch resumed from a cursor handed out before the prune gets the DELETED events too, one from a
 * later cursor does not.
 */
describe('tag change feed: retention sends DELETED', () => {
  const { server, db } = feedRetentionServer();
  const feed = () => `${server().url}${TRIGGERS_API}/namespaces/${NS}/tagchangeevents`;
  const names = (l: FeedList) => l.items.map((i) => i.metadata.name);
  const move = (c: string) => mapImage(server().url, NS, { stream: 'base', tag: 'latest', image: digest(c), repository: 'quay.io/acme/base' });
  const prune = (ids: string[]) => pruneMoves(db(), ids);
  const deletedIn = (events: { type: string; object: any }[]) => events.filter((e) => e.type === 'DELETED');

  beforeAll(async () => {
    expect((await call('POST', `${server().url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    expect((await call('POST', `${server().url}/apis/image.openshift.io/v1/namespaces/other/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
  }, 60000);

  it('a watch gets a DELETED for each move pruned while it runs, at its own position; a watch from a cursor handed out before the prune gets them too; later cursors do not', async () => {
    for (const c of ['a', 'b', 'c']) await move(c);
    await mapImage(server().url, 'other', { stream: 'base', tag: 'latest', image: digest('d'), repository: 'quay.io/acme/base' });
    const listed = (await call('GET', feed())).body as FeedList;
    const [a, b, c] = names(listed);
    const otherMove = ((await call('GET', `${server().url}${TRIGGERS_API}/namespaces/other/tagchangeevents`)).body as FeedList).items[0]!.metadata.name;

    const live = watchEvents(`${feed()}?watch=1&resourceVersion=${listed.metadata.resourceVersion}`);
    await live.opened;
    await new Promise((r) => setTimeout(r, 300)); // the watch has read where tombstones start
    await prune([a!, b!, otherMove]);
    await live.waitFor((events) => deletedIn(events).length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    live.stop();
    // Only this namespace's moves, each once, with the pruned move's content at the watch's position.
    expect(deletedIn(live.events).map((e) => e.object.metadata.name)).toEqual([a, b]);
    // The watch's position is the prune's own (past every cursor handed out before it), which a list reports now.
    const afterPrune = (await call('GET', feed())).body as FeedList;
    expect(BigInt(afterPrune.metadata.resourceVersion)).toBeGreaterThan(BigInt(listed.metadata.resourceVersion));
    expect(deletedIn(live.events)[0]!.object).toMatchObject({ kind: 'TagChangeEvent', type: 'tag.created', stream: 'base', tag: 'latest', to: digest('a'), metadata: { namespace: NS, resourceVersion: afterPrune.metadata.resourceVersion } });
    expect(live.events.filter((e) => e.type !== 'DELETED')).toEqual([]);
    expect(names(afterPrune)).toEqual([c]);

    // Resumed from the cursor the client had before the prune: it still holds a and b.
    const resumed = watchEvents(`${feed()}?watch=1&resourceVersion=${listed.metadata.resourceVersion}`);
    await resumed.waitFor((events) => deletedIn(events).length >= 2);
    resumed.stop();
    expect(deletedIn(resumed.events).map((e) => e.object.metadata.name)).toEqual([a, b]);

    // A client that listed after the prune never had them.
    await move('e');
    const later = (await call('GET', feed())).body as FeedList;
    const fresh = watchEvents(`${feed()}?watch=1&resourceVersion=${later.metadata.resourceVersion}`);
    const initial = watchEvents(`${feed()}?watch=1`);
    await initial.waitFor((events) => events.length >= 2);
    await new Promise((r) => setTimeout(r, 600));
    fresh.stop();
    initial.stop();
    expect(deletedIn(fresh.events)).toEqual([]);
    expect(initial.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(names(later).map((n) => `ADDED ${n}`));
  }, 60000);

  it('tombstones go once no cursor at or below their position can resume (the retained feed starts past it)', async () => {
    const count = async () => (await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM tag_change_tombstones`))[0]!.n;
    expect(await count()).toBeGreaterThan(0);
    const all = names((await call('GET', feed())).body as FeedList);
    const other = names((await call('GET', `${server().url}${TRIGGERS_API}/namespaces/other/tagchangeevents`)).body as FeedList);
    await move('f');
    const kept = names((await call('GET', feed())).body as FeedList).at(-1)!;
    await prune([...all, ...other]);
    // Every earlier tombstone's position is now behind the retained feed: a cursor there is 410.
    const positions = await db().query<{ id: string }>(`SELECT id::text AS id FROM tag_change_tombstones ORDER BY id`);
    expect(positions.map((p) => p.id)).toEqual([...all, ...other].sort((x, y) => Number(x) - Number(y)));
    expect(names((await call('GET', feed())).body as FeedList)).toEqual([kept]);
  }, 60000);
});
