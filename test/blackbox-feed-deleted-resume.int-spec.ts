import { call, watchEvents } from '@app/testing';
import { feedRetentionServer, pruneMoves } from './support/feed-retention';
import { digest, mapImage, TRIGGERS_API } from './support/trigger-resources';

const NS = 'feedresume';

interface FeedList {
  metadata: { resourceVersion: string };
  items: { metadata: { name: string } }[];
}
type Event = { type: string; object: any };

/**
 * A Kubernetes watch resumed from the resourceVersion of the last event it got sends only what
 * came after that event. The DELETED events of a prune carried the watch's position, which was the
 * feed's newest position, and a watch resumed from a cursor at or below the prune's position got
 * the prune's DELETED events again: so a client resuming from the DELETED's own resourceVersion
 * (a Python `watch.Watch` reconnecting, any client after the server's watch timeout) got every
 * pruned move DELETED again on each reconnect, for as long as no new move came.
 */
describe('tag change feed: a watch resumed after a prune\'s DELETED events', () => {
  const { server, db } = feedRetentionServer();
  const feed = () => `${server().url}${TRIGGERS_API}/namespaces/${NS}/tagchangeevents`;
  const names = (l: FeedList) => l.items.map((i) => i.metadata.name);
  const move = (c: string) => mapImage(server().url, NS, { stream: 'base', tag: 'latest', image: digest(c), repository: 'quay.io/acme/base' });
  const list = async () => (await call('GET', feed())).body as FeedList;
  const prune = (ids: string[]) => pruneMoves(db(), ids);
  const summary = (events: Event[]) => events.map((e) => `${e.type} ${e.object.metadata?.name ?? e.object.code}`);
  /** The events of a watch from `resourceVersion` within `ms`. */
  const watchFor = async (resourceVersion: string, ms = 800) => {
    const w = watchEvents(`${feed()}?watch=1&resourceVersion=${resourceVersion}`);
    await w.opened;
    await new Promise((r) => setTimeout(r, ms));
    w.stop();
    return w.events;
  };
  /** The events of a watch from `resourceVersion` while a move to image `c` is made, until 400 ms after its first event. */
  const watchMove = async (resourceVersion: string, c: string) => {
    const w = watchEvents(`${feed()}?watch=1&resourceVersion=${resourceVersion}`);
    await w.opened;
    await move(c);
    await w.waitFor((events) => events.length >= 1);
    await new Promise((r) => setTimeout(r, 400));
    w.stop();
    return w.events;
  };
  /** A watch from `resourceVersion` running while `ids` are pruned, until it has `deleted` DELETED events. */
  const watchPrune = async (resourceVersion: string, ids: string[], deleted: number) => {
    const live = watchEvents(`${feed()}?watch=1&resourceVersion=${resourceVersion}`);
    await live.opened;
    await new Promise((r) => setTimeout(r, 300));
    await prune(ids);
    await live.waitFor((events) => events.filter((e) => e.type === 'DELETED').length >= deleted);
    await new Promise((r) => setTimeout(r, 400));
    live.stop();
    return live.events;
  };

  beforeAll(async () => {
    expect((await call('POST', `${server().url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
  }, 60000);

  it('resumed from the resourceVersion of the last DELETED, a watch gets no DELETED again; from the cursor before the prune, once', async () => {
    for (const c of ['a', 'b', 'c']) await move(c);
    const before = await list();
    const [a, b] = names(before);
    const live = await watchPrune(before.metadata.resourceVersion, [a!, b!], 2);
    expect(summary(live)).toEqual([`DELETED ${a}`, `DELETED ${b}`]);
    const last = live.at(-1)!.object.metadata.resourceVersion as string;
    // Three watches at once (nothing writes meanwhile), each for its 800 ms.
    const [fromLast, fromBefore, fromList] = await Promise.all([
      watchFor(last),
      watchFor(before.metadata.resourceVersion),
      list().then((l) => watchFor(l.metadata.resourceVersion)),
    ]);
    // Resuming from the last event's resourceVersion is resuming after the prune's DELETED events.
    expect(summary(fromLast)).toEqual([]);
    expect(summary(fromBefore)).toEqual([`DELETED ${a}`, `DELETED ${b}`]);
    // A list now reports a position at or past the prune: a watch from it gets nothing of it.
    expect(summary(fromList)).toEqual([]);
  }, 60000);

  it('a prune that empties the feed: the live watch gets its DELETED events (no 410), a watch resumed from them nothing, then the next move', async () => {
    const before = await list();
    const all = names(before);
    const live = await watchPrune(before.metadata.resourceVersion, all, all.length);
    expect(summary(live)).toEqual(all.map((n) => `DELETED ${n}`));
    const last = live.at(-1)!.object.metadata.resourceVersion as string;
    expect(names(await list())).toEqual([]);

    expect(summary(await watchFor(last))).toEqual([]);
    const resumed = await watchMove(last, 'd');
    const [d] = names(await list());
    expect(summary(resumed)).toEqual([`ADDED ${d}`]);
  }, 60000);

  it('a cursor behind moves that were pruned unseen is still 410 once the feed is empty', async () => {
    const behind = (await list()).metadata.resourceVersion;
    await move('e');
    await prune(names(await list()));
    expect(names(await list())).toEqual([]);
    const events = await watchFor(behind);
    expect(events.map((e) => `${e.type} ${e.object.code}`)).toEqual(['ERROR 410']);
  }, 60000);

  it('an id no move got between an emptying prune and the next move: a watch resumed at the prune gets that move, not 410', async () => {
    await move('f');
    const before = await list();
    const all = names(before);
    const live = await watchPrune(before.metadata.resourceVersion, all, all.length);
    const last = live.at(-1)!.object.metadata.resourceVersion as string;
    // A write that rolled back (a mapping retried after a serialization failure, say) took an id.
    await db().query(`SELECT nextval('tag_changes_id_seq')`);
    const resumed = await watchMove(last, '1');
    const [g] = names(await list());
    expect(summary(resumed)).toEqual([`ADDED ${g}`]);
    expect(names((await call('GET', `${feed()}?continue=${last}`)).body as FeedList)).toEqual([g]);
  }, 60000);

  it('a move pruned while an older one is kept: a cursor between the two missed it, so it is 410', async () => {
    await move('2');
    await move('3');
    const [, h, i] = names(await list());
    // Retention prunes what is old enough; here the newer move is (ages can come in any order).
    await prune([i!]);
    expect(names(await list()).slice(-2)).toEqual([expect.any(String), h]);
    const events = await watchFor(h!);
    expect(events.map((e) => `${e.type} ${e.object.code}`)).toEqual(['ERROR 410']);
    expect((await call('GET', `${feed()}?continue=${h}`)).status).toBe(410);
    // A cursor at the pruned move saw it: its DELETED comes, then nothing else.
    expect(summary(await watchFor(i!))).toEqual([`DELETED ${i}`]);
  }, 60000);
});
