import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { TRIGGER_API_VERSION } from '@app/triggers';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * Read-your-writes on every read path: a write the client got a 2xx for is in every read it sends
 * afterwards, even while a lower resourceVersion is still held by an open transaction. The change
 * feed's position then trails the write, so whatever answers from that position, or from memory
 * the feed keeps current (the ImageStreamTag read cache), would miss it.
 */
describe('read-your-writes while a lower resourceVersion is held open', () => {
  let api: TestApi;
  let side: Client;
  const NS = 'ryw';
  const ns = () => `${api.base}/namespaces/${NS}`;

  beforeAll(async () => {
    api = await startTestApi();
    side = new Client({ connectionString: api.databaseUrl });
    await side.connect();
  });
  afterAll(async () => {
    await side?.end();
    await api?.close();
  });

  const map = (stream: string, tag: string, n: number) =>
    call('POST', `${ns()}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(n) }, dockerImageReference: `quay.io/ryw/${stream}@${digest(n)}` },
    });

  /** Takes a version in a transaction left open, as a writer still at work does. */
  async function holdVersion(): Promise<void> {
    await side.query('BEGIN');
    await side.query(`SELECT nextval('resource_version_seq')`);
  }

  it('tag views (the cached ImageStreamTag GET, ImageTag, ImageStreamImage, their lists) and the stream show a move made after it', async () => {
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'web' } })).status).toBe(201);
    expect((await map('web', 'v1', 1)).status).toBe(201);
    // Cached now: served from memory from here on, until a change the feed reads drops it.
    for (let i = 0; i < 3; i++) expect((await call('GET', `${ns()}/imagestreamtags/web:v1`)).body.image.metadata.name).toBe(digest(1));
    await holdVersion();
    try {
      expect((await map('web', 'v1', 2)).status).toBe(201);
      expect((await call('GET', `${ns()}/imagestreamtags/web:v1`)).body.image.metadata.name).toBe(digest(2));
      expect((await call('GET', `${ns()}/imagetags/web:v1`)).body.image.metadata.name).toBe(digest(2));
      expect((await call('GET', `${ns()}/imagestreamimages/web@${digest(2)}`)).status).toBe(200);
      expect((await call('GET', `${ns()}/imagestreamtags`)).body.items.map((i: any) => i.image.metadata.name)).toEqual([digest(2)]);
      expect((await call('GET', `${ns()}/imagetags`)).body.items.map((i: any) => i.status.items[0].image)).toEqual([digest(2)]);
      expect((await call('GET', `${ns()}/imagestreams/web`)).body.status.tags[0].items[0].image).toBe(digest(2));
    } finally {
      await side.query('ROLLBACK');
    }
  }, 30000);

  it('a list, the tag change feed and watches without a resourceVersion (plain, "0", watch-list) begun meanwhile hold the write', async () => {
    await holdVersion();
    let released: Promise<unknown> = Promise.resolve();
    let watches: ReturnType<typeof watchEvents>[] = [];
    try {
      expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'made' } })).status).toBe(201);
      expect((await map('made', 'v1', 3)).status).toBe(201);
      const list = call('GET', `${ns()}/imagestreams`);
      const feed = call('GET', `${api.url}/apis/${TRIGGER_API_VERSION}/namespaces/${NS}/tagchangeevents`);
      watches = ['watch=1', 'watch=1&resourceVersion=0', 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'].map((query) =>
        watchEvents(`${ns()}/imagestreams?${query}`),
      );
      // The holder goes away (as a cut connection's does) once every read has begun.
      released = new Promise((r) => setTimeout(r, 300)).then(() => side.query('ROLLBACK'));
      expect((await list).body.items.map((s: any) => s.metadata.name)).toContain('made');
      expect((await feed).body.items.map((i: any) => i.to)).toContain(digest(3));
      for (const w of watches) await w.waitFor((es) => es.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'made'), 10000);
    } finally {
      await released;
      for (const w of watches) {
        w.stop();
        await w.done;
      }
    }
  }, 30000);
});
