import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { type ApiProcess, startApiProcess } from './support/api-process';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** The api's istag read-cache counter, from its /metrics page. */
async function cacheReads(url: string, outcome: 'hit' | 'miss' | 'bypass'): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`imagestreamd_istag_cache_reads_total{outcome="${outcome}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * ImageStreamTag GETs are served from memory (ImageStreamTagReadCache), yet must stay strongly
 * consistent: every write that finished before a GET began is visible to it, whichever replica
 * took the write. Writes go through a second api process; reads through the first, at once,
 * with no wait in between.
 */
describe('ImageStreamTag read cache', () => {
  let api: TestApi;
  let other: ApiProcess;
  /** A replica with a cache of two views, for the bounding test; it reads nothing before that test. */
  let small: ApiProcess | undefined;
  let writer: string;
  const ns = 'cache';
  beforeAll(async () => {
    api = await startTestApi();
    // Both replicas boot at once; both settle before a failure is thrown, so afterAll stops either.
    const [o, sm] = await Promise.allSettled([startApiProcess({ DATABASE_URL: api.databaseUrl }), startApiProcess({ DATABASE_URL: api.databaseUrl, ISTAG_CACHE_ENTRIES: '2' })]);
    if (o.status === 'fulfilled') other = o.value;
    if (sm.status === 'fulfilled') small = sm.value;
    for (const r of [o, sm]) if (r.status === 'rejected') throw r.reason;
    writer = `${other.url}/apis/image.openshift.io/v1/namespaces/${ns}`;
  }, 90000);
  afterAll(async () => {
    await small?.stop();
    await other?.stop();
    await api?.close();
  });

  const reader = () => `${api.base}/namespaces/${ns}`;
  const created = new Set<string>();
  const map = async (stream: string, tag: string, n: number) => {
    if (!created.has(stream)) {
      expect((await call('POST', `${writer}/imagestreams`, { metadata: { name: stream } })).status).toBe(201);
      created.add(stream);
    }
    return call('POST', `${writer}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(n) }, dockerImageReference: `quay.io/cache/${stream}@${digest(n)}` },
    });
  };

  it('serves repeated GETs from memory', async () => {
    expect((await map('served', 'v1', 1)).status).toBe(201);
    const first = await call('GET', `${reader()}/imagestreamtags/served:v1`);
    expect(first.status).toBe(200);
    const hitsBefore = await cacheReads(api.url, 'hit');
    for (let i = 0; i < 5; i++) {
      const again = await call('GET', `${reader()}/imagestreamtags/served:v1`);
      expect(again.body).toEqual(first.body);
    }
    expect((await cacheReads(api.url, 'hit')) - hitsBefore).toBeGreaterThanOrEqual(5);
  });

  it('a tag moved on another replica is seen by the very next GET', async () => {
    expect((await map('moving', 'latest', 100)).status).toBe(201);
    for (let n = 101; n < 121; n++) {
      expect((await call('GET', `${reader()}/imagestreamtags/moving:latest`)).status).toBe(200);
      expect((await map('moving', 'latest', n)).status).toBe(201);
      const after = await call('GET', `${reader()}/imagestreamtags/moving:latest`);
      expect(after.body.image.metadata.name).toBe(digest(n));
    }
  });

  it('an Image changed on another replica shows in the next GET of a tag pointing at it', async () => {
    expect((await map('annotated', 'v1', 200)).status).toBe(201);
    expect((await call('GET', `${reader()}/imagestreamtags/annotated:v1`)).body.image.metadata.annotations?.['team']).toBeUndefined();
    const patched = await call(
      'PATCH',
      `${other.url}/apis/image.openshift.io/v1/images/${digest(200)}`,
      { metadata: { annotations: { team: 'blue' } } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    const after = await call('GET', `${reader()}/imagestreamtags/annotated:v1`);
    expect(after.body.image.metadata.annotations?.['team']).toBe('blue');
  });

  it('spec changes, tag deletes and stream deletes on another replica are seen at once', async () => {
    expect((await map('gone', 'v1', 300)).status).toBe(201);
    const before = await call('GET', `${reader()}/imagestreamtags/gone:v1`);
    expect(before.body.lookupPolicy).toEqual({ local: false });
    const spec = await call(
      'PATCH',
      `${writer}/imagestreams/gone`,
      { spec: { lookupPolicy: { local: true } } },
      'application/merge-patch+json',
    );
    expect(spec.status).toBe(200);
    const changed = await call('GET', `${reader()}/imagestreamtags/gone:v1`);
    expect(changed.body.lookupPolicy).toEqual({ local: true });
    expect(changed.body.metadata.resourceVersion).toBe(spec.body.metadata.resourceVersion);

    expect((await call('DELETE', `${writer}/imagestreamtags/gone:v1`)).status).toBe(200);
    expect((await call('GET', `${reader()}/imagestreamtags/gone:v1`)).status).toBe(404);

    expect((await map('gone', 'v2', 301)).status).toBe(201);
    expect((await call('GET', `${reader()}/imagestreamtags/gone:v2`)).status).toBe(200);
    expect((await call('DELETE', `${writer}/imagestreams/gone`)).status).toBe(200);
    expect((await call('GET', `${reader()}/imagestreamtags/gone:v2`)).status).toBe(404);
  });

  it('keeps at most ISTAG_CACHE_ENTRIES views, dropping the oldest', async () => {
    const url = small!.url;
    for (const [i, tag] of ['a', 'b', 'c'].entries()) expect((await map('bounded', tag, 500 + i)).status).toBe(201);
    const get = (tag: string) => call('GET', `${url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreamtags/bounded:${tag}`);
    for (const tag of ['a', 'b', 'c']) expect((await get(tag)).status).toBe(200);
    expect(await cacheReads(url, 'miss')).toBe(3);
    expect((await get('c')).status).toBe(200);
    expect(await cacheReads(url, 'hit')).toBe(1);
    // `a` was the oldest of three in a cache of two: read again from Postgres.
    expect((await get('a')).status).toBe(200);
    expect(await cacheReads(url, 'miss')).toBe(4);
  }, 60000);

  it('concurrent reads racing writes never see a tag go back to an older image', async () => {
    expect((await map('race', 'latest', 400)).status).toBe(201);
    let newest = 400;
    const readers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 40; i++) {
        const floor = newest;
        const got = await call('GET', `${reader()}/imagestreamtags/race:latest`);
        const shown = parseInt(String(got.body.image.metadata.name).slice('sha256:'.length), 16);
        expect(shown).toBeGreaterThanOrEqual(floor);
      }
    });
    const writes = (async () => {
      for (let n = 401; n < 431; n++) {
        expect((await map('race', 'latest', n)).status).toBe(201);
        newest = n;
      }
    })();
    await Promise.all([...readers, writes]);
  });
});
