import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/** Versions taken by writes that did not commit must not hold back watchers. */
describe('watch after rolled-back writes', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('delivers the next change promptly after a dry run and a failed write', async () => {
    const url = `${api.base}/namespaces/rb/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 'base' } })).status).toBe(201);
    const list = await call('GET', url);
    const w = watchEvents(`${url}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    // A dry run and a 422 from tag resolution both take a version and roll back.
    expect((await call('POST', `${url}?dryRun=All`, { metadata: { name: 'dry' } })).status).toBe(201);
    const bad = await call('POST', url, {
      metadata: { name: 'bad' },
      spec: { tags: [{ name: 'x', from: { kind: 'ImageStreamTag', name: 'missing:tag', namespace: 'nowhere' } }] },
    });
    expect(bad.status).toBe(422);
    const started = Date.now();
    expect((await call('POST', url, { metadata: { name: 'after' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'after'), 4000);
    w.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['after']);
  });
});

describe('deletecollection', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('deletes what the selector matches and nothing else', async () => {
    const url = `${api.base}/namespaces/dc/imagestreams`;
    for (const [name, team] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) {
      expect((await call('POST', url, { metadata: { name, labels: { team } } })).status).toBe(201);
    }
    const dry = await call('DELETE', `${url}?labelSelector=team%3Dx&dryRun=All`);
    expect(dry.status).toBe(200);
    expect((await call('GET', url)).body.items).toHaveLength(3);
    const res = await call('DELETE', `${url}?labelSelector=team%3Dx`);
    expect(res.status).toBe(200);
    // As kube-apiserver: the list of what was deleted.
    expect(res.body).toMatchObject({ kind: 'ImageStreamList', apiVersion: 'image.openshift.io/v1' });
    expect(res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['a', 'b']);
    // Items of a typed list carry no kind/apiVersion, as in a list.
    expect(res.body.items.map((i: { kind?: string; apiVersion?: string }) => [i.kind, i.apiVersion])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    const left = await call('GET', url);
    expect(left.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['c']);
    expect((await call('DELETE', `${api.base}/namespaces/dc/imagestreammappings`)).status).toBe(405);
  });

  it('with a limit, deletes one page and answers it as listed: continue and remainingItemCount, to delete the rest page by page', async () => {
    const url = `${api.base}/namespaces/dc-paged/imagestreams`;
    for (const name of ['p1', 'p2', 'p3']) expect((await call('POST', url, { metadata: { name } })).status).toBe(201);
    const first = await call('DELETE', `${url}?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p1', 'p2']);
    expect(first.body.metadata).toMatchObject({ remainingItemCount: 1, continue: expect.any(String) });
    const rest = await call('DELETE', `${url}?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(rest.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p3']);
    expect(rest.body.metadata.continue).toBeUndefined();
    expect((await call('GET', url)).body.items).toEqual([]);
  });

  it('malformed DeleteOptions, failed preconditions and bad list options delete nothing', async () => {
    const url = `${api.base}/namespaces/dc-bad/imagestreams`;
    const created = await call('POST', url, { metadata: { name: 'keep', labels: { g: 'z' } } });
    const uid = created.body.metadata.uid as string;
    const answers: [unknown, number][] = [
      [{ dryRun: 'All' }, 400],
      [{ dryRun: ['Bogus'] }, 422],
      [{ preconditions: { uid: 5 } }, 400],
      [{ preconditions: 'x' }, 400],
      [{ orphanDependents: 'yes' }, 400],
      ['"x"', 400],
      ['[]', 400],
      [{ preconditions: { uid: 'not-the-uid' } }, 409],
    ];
    for (const [body, code] of answers) {
      expect([body, (await call('DELETE', `${url}/keep`, body)).status]).toEqual([body, code]);
      expect([body, (await call('DELETE', `${url}?labelSelector=g%3Dz`, body)).status]).toEqual([body, code]);
    }
    // encoding/json's wording: the struct holding the field and the field's Go type.
    for (const [body, message] of [
      [{ preconditions: { uid: 5 } }, 'json: cannot unmarshal number into Go struct field Preconditions.preconditions.uid of type types.UID'],
      [{ propagationPolicy: true }, 'json: cannot unmarshal bool into Go struct field DeleteOptions.propagationPolicy of type v1.DeletionPropagation'],
      [{ preconditions: 'x' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.preconditions of type v1.Preconditions'],
    ] as const) {
      expect((await call('DELETE', `${url}/keep`, body)).body.message).toBe(message);
    }
    expect((await call('DELETE', `${url}?continue=abc`)).status).toBe(400);
    expect((await call('DELETE', `${url}?dryRun=Bogus`)).status).toBe(422);
    expect((await call('GET', `${url}/keep`)).body.metadata.uid).toBe(uid);
    // The right uid precondition deletes, through the collection too.
    const res = await call('DELETE', `${url}?labelSelector=g%3Dz`, { preconditions: { uid } });
    expect(res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['keep']);
  });
});

/** A watch resumed from an old resourceVersion replays the change log in batches. */
describe('watch catch-up from a resourceVersion', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('replays every change in order, each with its own resourceVersion and the computed status', async () => {
    const url = `${api.base}/namespaces/cu/imagestreams`;
    const seed = await call('POST', url, { metadata: { name: 'seed' } });
    expect(seed.status).toBe(201);
    const start = seed.body.metadata.resourceVersion as string;
    const digest = (c: string) => `sha256:${c.repeat(64)}`;
    // 30 streams, each created and then tagged: 60 changes, several per stream.
    for (let i = 0; i < 30; i++) {
      expect((await call('POST', url, { metadata: { name: `s${i}` } })).status).toBe(201);
      const mapped = await call('POST', `${api.base}/namespaces/cu/imagestreammappings`, {
        metadata: { name: `s${i}` },
        tag: 'v1',
        image: { metadata: { name: digest('d') }, dockerImageReference: `r.test/cu/s${i}@${digest('d')}` },
      });
      expect(mapped.status).toBe(201);
    }
    const deleted = await call('DELETE', `${url}/s0`);
    expect(deleted.status).toBe(200);

    const w = watchEvents(`${url}?watch=true&resourceVersion=${start}`);
    await w.waitFor((e) => e.length >= 61, 10000);
    w.stop();
    const events = w.events;
    expect(events).toHaveLength(61);
    const versions = events.map((e) => BigInt(e.object.metadata.resourceVersion as string));
    expect(versions).toEqual([...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(versions).size).toBe(61);
    expect(events.slice(0, 2).map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 's0'],
      ['MODIFIED', 's0'],
    ]);
    expect(events[60]).toMatchObject({ type: 'DELETED', object: { metadata: { name: 's0' } } });
    // Status is computed as of delivery: every live stream shows its tag.
    for (const e of events.filter((x) => x.type === 'MODIFIED' && x.object.metadata.name !== 's0')) {
      expect((e.object as { status?: { tags?: { tag: string }[] } }).status?.tags?.map((t) => t.tag)).toEqual(['v1']);
    }
  });
});

/** A replayed or late-delivered change shows the tag history that existed at that change. */
describe('watch: image stream status as of each change', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const push = (stream: string, tag: string, c: string) =>
    call('POST', `${api.base}/namespaces/hist/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(c) }, dockerImageReference: `r.test/hist/${stream}@${digest(c)}` },
    });
  const itemsOf = (e: { object: { status?: { tags?: { tag: string; items: { image: string }[] }[] } } }, tag: string) =>
    e.object.status?.tags?.find((t) => t.tag === tag)?.items.map((i) => i.image) ?? [];

  it('replays the history growing one entry at a time, and a live watch sees the same', async () => {
    const url = `${api.base}/namespaces/hist/imagestreams`;
    const created = await call('POST', url, { metadata: { name: 'grow' } });
    expect(created.status).toBe(201);
    const live = watchEvents(`${url}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}`);
    for (const c of ['a', 'b', 'c', 'd']) expect((await push('grow', 'v1', c)).status).toBe(201);
    await live.waitFor((e) => e.length >= 4);
    live.stop();
    const replay = watchEvents(`${url}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}`);
    await replay.waitFor((e) => e.length >= 4);
    replay.stop();
    const expected = [[digest('a')], [digest('b'), digest('a')], [digest('c'), digest('b'), digest('a')], [digest('d'), digest('c'), digest('b'), digest('a')]];
    for (const w of [live, replay]) {
      expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED', 'MODIFIED']);
      expect(w.events.map((e) => itemsOf(e, 'v1'))).toEqual(expected);
    }
    // A plain GET shows the whole history.
    expect(itemsOf({ object: (await call('GET', `${url}/grow`)).body }, 'v1')).toEqual(expected[3]);
  });
});
