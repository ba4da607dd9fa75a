import { call, watchEvents } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { digest, mapImage, TRIGGERS_API } from './support/trigger-resources';

const NS = 'feedrv';

/**
 * A TagChangeEvent's resourceVersion is its feed position, a counter of its own: far below the
 * server's resourceVersion once anything else was written. A list or watch-list asking for a
 * resourceVersion is held to the feed's position, as kube-apiserver holds every read to the
 * version it asks for: `NotOlderThan` a position the feed has not reached is 504
 * ResourceVersionTooLarge after the wait (it answered an older list, reporting a lower
 * resourceVersion than asked), and `Exact` lists the feed as it was at that position (it answered
 * the whole feed). Found by a black-box session of client-library controllers.
 */
describe('tag change feed: resourceVersion of lists and watch-lists is a feed position', () => {
  let server: TriggerServer;
  const feed = () => `${server.url}${TRIGGERS_API}/namespaces/${NS}/tagchangeevents`;
  const positions: string[] = [];

  beforeAll(async () => {
    server = await startTriggerServer();
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    for (const c of ['a', 'b', 'c']) await mapImage(server.url, NS, { stream: 'base', tag: 'latest', image: digest(c), repository: 'quay.io/acme/base' });
    const list = await call('GET', feed());
    expect(list.status).toBe(200);
    positions.push(...list.body.items.map((i: { metadata: { resourceVersion: string } }) => i.metadata.resourceVersion));
    expect(positions).toHaveLength(3);
  }, 60000);
  afterAll(async () => {
    await server?.close();
  });

  /** A position past the feed's newest, yet below the server's resourceVersion (other writes moved it). */
  const aheadOfFeed = async () => {
    const serverRv = (await call('GET', `${server.url}/apis/image.openshift.io/v1/namespaces/${NS}/imagestreams`)).body.metadata.resourceVersion;
    const ahead = String(BigInt(positions[2]!) + 2n);
    expect(BigInt(ahead)).toBeLessThan(BigInt(serverRv));
    return ahead;
  };

  it('a list NotOlderThan a position the feed has not reached is 504 ResourceVersionTooLarge naming the feed position', async () => {
    const ahead = await aheadOfFeed();
    const res = await call('GET', `${feed()}?resourceVersion=${ahead}&resourceVersionMatch=NotOlderThan`);
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout', message: `Too large resource version: ${ahead}, current: ${positions[2]}` });
    expect(res.body.details.causes).toEqual([{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
    // A position reached is served: at least that version.
    const ok = await call('GET', `${feed()}?resourceVersion=${positions[1]}&resourceVersionMatch=NotOlderThan`);
    expect(ok.status).toBe(200);
    expect(BigInt(ok.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(positions[1]!));
  }, 20000);

  it('an Exact list shows the feed as it was at that position', async () => {
    const res = await call('GET', `${feed()}?resourceVersion=${positions[1]}&resourceVersionMatch=Exact`);
    expect(res.status).toBe(200);
    expect(res.body.metadata.resourceVersion).toBe(positions[1]);
    expect(res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(positions.slice(0, 2));
    const ahead = await aheadOfFeed();
    expect((await call('GET', `${feed()}?resourceVersion=${ahead}&resourceVersionMatch=Exact`)).status).toBe(504);
  }, 20000);

  it('a watch-list NotOlderThan a position the feed has not reached ends with one 504 ERROR event', async () => {
    const ahead = await aheadOfFeed();
    const w = watchEvents(`${feed()}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${ahead}`);
    try {
      await w.done;
      expect(w.events).toHaveLength(1);
      expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 504, details: { causes: [{ reason: 'ResourceVersionTooLarge' }] } } });
    } finally {
      w.stop();
    }
  }, 20000);
});
