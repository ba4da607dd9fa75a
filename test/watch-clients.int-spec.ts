import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { ResourceRegistry } from '@app/persistence';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/client-node';
import { pollUntil } from './support/poll';
import { expireChangeLog } from './support/test-database';

/**
 * Watch semantics long-running clients rely on (client-go reflectors, @kubernetes/client-node
 * informers, the Python client's watch.stream), checked against kube-apiserver's watch cache.
 * One api serves every part but the bookmark timing one (each part has namespaces of its own).
 */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

describe('watch semantics for long-running clients', () => {

  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;

  it('sendInitialEvents=false with resourceVersion=0 starts at the newest state, replaying nothing', async () => {
    // kube-apiserver's getAllEventsSinceLocked: resourceVersion 0 with sendInitialEvents=false means
    // "from any version", i.e. the cache's newest; only an absent sendInitialEvents replays the state.
    expect((await call('POST', streams('any'), { metadata: { name: 'existing' } })).status).toBe(201);
    const w = watchEvents(`${streams('any')}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=0`);
    await w.opened;
    expect((await call('POST', streams('any'), { metadata: { name: 'later' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'later'));
    w.stop();
    expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'later']]);
  });
});

describe('watch bookmarks while a change is being delivered', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ watchBookmarkIntervalSeconds: 1 });
  });
  afterAll(async () => api.close());

  // Two reads can hold a change back: its presentation with its batch, and, for an object leaving a
  // label selection, the presentation of the state that last matched (read as its DELETED is written).
  it.each([
    ['a change presented with its batch', '', (labels: Record<string, string>) => labels['keep'] === 'no'],
    ['an object leaving the label selection', '&labelSelector=keep%3Dyes', (labels: Record<string, string>) => labels['keep'] === 'yes'],
  ])('a BOOKMARK never carries a version past an event still to be written: %s', async (_case, selector, held) => {
    // A reflector records each BOOKMARK's version and resumes from it: a bookmark sent while a change
    // was still being presented (its computed status read) claimed that change delivered, and the
    // change then arrived after it, older. Holding the presenting read open shows the moment.
    const url = `${api.base}/namespaces/bm/imagestreams`;
    const name = `held${selector ? '-selected' : ''}`;
    const created = await call('POST', url, { metadata: { name, labels: { keep: 'yes' } } });
    expect(created.status).toBe(201);
    const handler = api.server.app.get(ResourceRegistry).find('image.openshift.io', 'v1', 'imagestreams')!;
    const present = handler.presentMany!.bind(handler);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holding = false;
    const spy = jest.spyOn(handler, 'presentMany').mockImplementation(async (objs, marks) => {
      if (objs.some((o) => held((o as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {}))) {
        holding = true;
        await gate;
      }
      return present(objs, marks);
    });
    const w = watchEvents(`${url}?watch=1&allowWatchBookmarks=true&resourceVersion=${created.body.metadata.resourceVersion}${selector}`);
    try {
      await w.opened;
      const patched = await call('PATCH', `${url}/${name}`, { metadata: { labels: { keep: 'no' } } }, 'application/merge-patch+json');
      expect(patched.status).toBe(200);
      await waitFor(() => holding, 'the change to be presented');
      const before = w.events.length;
      await w.waitFor((e) => e.slice(before).some((x) => x.type === 'BOOKMARK'));
      release();
      await w.waitFor((e) => e.some((x) => x.type !== 'BOOKMARK'));
      const written = BigInt(patched.body.metadata.resourceVersion as string);
      const changeAt = w.events.findIndex((e) => e.type !== 'BOOKMARK');
      expect(w.events[changeAt]).toMatchObject({ type: selector ? 'DELETED' : 'MODIFIED', object: { metadata: { name, resourceVersion: String(written) } } });
      const bookmarksBefore = w.events.slice(0, changeAt).map((e) => BigInt(e.object.metadata.resourceVersion as string));
      expect(bookmarksBefore.length).toBeGreaterThan(0);
      expect(bookmarksBefore.filter((rv) => rv >= written)).toEqual([]);
    } finally {
      release();
      spy.mockRestore();
      w.stop();
    }
  });
});

describe('watch timeoutSeconds beyond what a Node timer holds', () => {

  it.each(['2200000', '9223372036854775807'])('timeoutSeconds=%s keeps the watch open (it ended at once)', async (timeoutSeconds) => {
    // Node fires a timer longer than 2^31-1 ms (24.8 days) after 1 ms: the watch ended as soon as it
    // started, and a client that resumes on every end (an informer) reconnected in a tight loop.
    const url = `${api.base}/namespaces/long-${timeoutSeconds.length}/imagestreams`;
    const rv = (await call('GET', url)).body.metadata.resourceVersion as string;
    const w = watchEvents(`${url}?watch=1&timeoutSeconds=${timeoutSeconds}&resourceVersion=${rv}`);
    let ended = false;
    void w.done.then(() => (ended = true));
    try {
      await w.opened;
      expect((await call('POST', url, { metadata: { name: 'after' } })).status).toBe(201);
      await w.waitFor((e) => ended || e.some((x) => x.object.metadata.name === 'after'));
      expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'after']]);
    } finally {
      w.stop();
    }
  });
});

describe('watch field selectors on kind-specific fields: objects leave and enter the selection', () => {

  it.each(['spec.dockerImageRepository', 'status.dockerImageRepository'])(
    'an image stream whose %s moves away arrives as DELETED (its last matching state), and as ADDED when it moves back',
    async (field) => {
      // kube-apiserver's cacher matches the previous object against the selector as well, whatever
      // the field; only label changes were caught, so this watcher kept the stream for good.
      const url = `${api.base}/namespaces/fs-${field.split('.')[0]}/imagestreams`;
      const repository = (to: string) => ({ spec: { dockerImageRepository: to } });
      expect((await call('POST', url, { metadata: { name: 'moving' }, ...repository('quay.io/fs/wanted') })).status).toBe(201);
      const rv = (await call('GET', url)).body.metadata.resourceVersion as string;
      const w = watchEvents(`${url}?watch=1&resourceVersion=${rv}&fieldSelector=${encodeURIComponent(`${field}=quay.io/fs/wanted`)}`);
      try {
        await w.opened;
        const away = await call('PATCH', `${url}/moving`, repository('quay.io/fs/other'), 'application/merge-patch+json');
        expect(away.status).toBe(200);
        const back = await call('PATCH', `${url}/moving`, repository('quay.io/fs/wanted'), 'application/merge-patch+json');
        expect(back.status).toBe(200);
        await w.waitFor((e) => e.length >= 2);
        expect(w.events.map((e) => [e.type, e.object.spec.dockerImageRepository, e.object.status.dockerImageRepository, e.object.metadata.resourceVersion])).toEqual([
          ['DELETED', 'quay.io/fs/wanted', 'quay.io/fs/wanted', away.body.metadata.resourceVersion],
          ['ADDED', 'quay.io/fs/wanted', 'quay.io/fs/wanted', back.body.metadata.resourceVersion],
        ]);
      } finally {
        w.stop();
      }
    },
  );

  it('a namespace being deleted leaves a status.phase=Active watch with a DELETED event', async () => {
    const namespaces = `${api.url}/api/v1/namespaces`;
    expect((await call('POST', namespaces, { metadata: { name: 'fs-leaving' } })).status).toBe(201);
    const rv = (await call('GET', namespaces)).body.metadata.resourceVersion as string;
    const w = watchEvents(`${namespaces}?watch=1&resourceVersion=${rv}&fieldSelector=status.phase%3DActive`);
    try {
      await w.opened;
      const marked = await call('DELETE', `${namespaces}/fs-leaving`);
      expect(marked.status).toBe(200);
      // Once it is gone, a namespace created after it shows every earlier event has arrived.
      const listed = (r: { body: { items: { metadata: { name: string } }[] } }) => r.body.items.map((i) => i.metadata.name);
      const left = await pollUntil(() => call('GET', namespaces), (r) => !listed(r).includes('fs-leaving'));
      expect(listed(left)).not.toContain('fs-leaving');
      expect((await call('POST', namespaces, { metadata: { name: 'fs-marker' } })).status).toBe(201);
      await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'fs-marker'));
      expect(w.events.map((e) => [e.type, e.object.metadata.name, e.object.status.phase])).toEqual([
        ['DELETED', 'fs-leaving', 'Active'],
        ['ADDED', 'fs-marker', 'Active'],
      ]);
      expect(w.events[0]!.object.metadata.resourceVersion).toBe(marked.body.metadata.resourceVersion);
    } finally {
      w.stop();
    }
  });
});

describe('watch catching up while the change log is compacted', () => {

  it('a backlog whose next changes were compacted away ends with 410 Expired instead of skipping them', async () => {
    // The backlog is read in pages of 500. Compaction between two pages used to drop the changes
    // the next page should have read, and the watch went on without them: a client's cache then
    // missed those objects for good. kube-apiserver ends such a watch with a 410 ERROR event too.
    const url = `${api.base}/namespaces/compacting/imagestreams`;
    const seed = await call('POST', url, { metadata: { name: 'seed' } });
    expect(seed.status).toBe(201);
    const start = seed.body.metadata.resourceVersion as string;
    const versions: string[] = [];
    for (let i = 0; i < 520; i++) {
      const created = await call('POST', url, { metadata: { name: `s${i}` } });
      expect(created.status).toBe(201);
      versions.push(created.body.metadata.resourceVersion as string);
    }
    const handler = api.server.app.get(ResourceRegistry).find('image.openshift.io', 'v1', 'imagestreams')!;
    const present = handler.presentMany!.bind(handler);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstPage = true;
    let holding = false;
    const spy = jest.spyOn(handler, 'presentMany').mockImplementation(async (objs, marks) => {
      if (firstPage) {
        firstPage = false;
        holding = true;
        await gate;
      }
      return present(objs, marks);
    });
    const w = watchEvents(`${url}?watch=1&resourceVersion=${start}`);
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    try {
      await waitFor(() => holding, 'the first page to be presented');
      // What the compactor does once these changes are older than the retention: drop them and move the mark.
      const compactedTo = versions[509]!;
      await pg.query('DELETE FROM resource_changes WHERE rv <= $1', [compactedTo]);
      await pg.query('UPDATE watch_compaction SET compacted_rv = $1', [compactedTo]);
      release();
      await w.waitFor((e) => e.some((x) => x.type === 'ERROR' || x.object.metadata.name === 's519'));
      const last = w.events[w.events.length - 1]!;
      expect(last).toMatchObject({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } });
      expect(last.object.message).toBe(`too old resource version: ${versions[499]} (${compactedTo})`);
      expect(w.events.slice(0, -1).map((e) => e.object.metadata.name)).toEqual(Array.from({ length: 500 }, (_, i) => `s${i}`));
      await w.done;
    } finally {
      release();
      spy.mockRestore();
      w.stop();
      await pg.end();
    }
  }, 60000);
});

describe('metadata-only watches (client-go metadata informers)', () => {

  /** The events of a watch asked for as PartialObjectMetadata, read until `until` holds for them. */
  async function metadataWatch(url: string, until: (events: { type: string; object: any }[]) => boolean): Promise<{ type: string; object: any }[]> {
    const abort = new AbortController();
    // What client-go's metadata client sends.
    const accept = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
    const res = await fetch(url, { headers: { accept }, signal: abort.signal });
    expect(res.status).toBe(200);
    const events: { type: string; object: any }[] = [];
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += Buffer.from(chunk).toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        events.push(...lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string; object: any }));

        if (until(events)) break;
      }
    } finally {
      abort.abort();
    }
    return events;
  }

  it('BOOKMARK events are PartialObjectMetadata too, as every other event (kube-apiserver transforms all but Status)', async () => {
    // client-go's metadata client decodes every event as meta.k8s.io: an ImageStream-typed bookmark
    // does not decode there, so each one broke the watch and the informer started it again.
    const url = `${api.base}/namespaces/meta/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 'one' } })).status).toBe(201);
    const events = await metadataWatch(`${url}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`, (e) =>
      e.some((x) => x.type === 'BOOKMARK'),
    );
    expect(events.map((e) => [e.type, e.object.kind, e.object.apiVersion])).toEqual([
      ['ADDED', 'PartialObjectMetadata', 'meta.k8s.io/v1'],
      ['BOOKMARK', 'PartialObjectMetadata', 'meta.k8s.io/v1'],
    ]);
    expect(events[1]!.object.metadata).toEqual({
      resourceVersion: expect.stringMatching(/^\d+$/),
      annotations: {
        'k8s.io/initial-events-end': 'true',
        // A metadata watch's list blueprint is a PartialObjectMetadataList (kube-apiserver 1.32).
        'kubernetes.io/initial-events-list-blueprint': Buffer.from('{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{},"items":null}\n').toString('base64'),
      },
    });
    // A Status (the ERROR event of an expired version) stays a Status.
    expect((await call('POST', url, { metadata: { name: 'two' } })).status).toBe(201);
    await expireChangeLog(api.databaseUrl);
    const expired = await metadataWatch(`${url}?watch=1&resourceVersion=1`, (e) => e.length > 0);
    expect(expired[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', code: 410, reason: 'Expired' } });
  });
});
