import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { type ApiProcess, startApiProcess } from './support/api-process';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Every `imagestreamd_istag_cache_*` counter of an api, as `name{labels}` → value. */
async function cacheCounters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(imagestreamd_istag_cache_\w+\{outcome="\w+"\}) (\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

const reads = (c: Record<string, number>, outcome: string) =>
  c[`imagestreamd_istag_cache_reads_total{outcome="${outcome}"}`] ?? 0;
const refreshes = (c: Record<string, number>, outcome: string) =>
  c[`imagestreamd_istag_cache_refreshes_total{outcome="${outcome}"}`] ?? 0;

/** A GET as the client sees it: status, headers (but `date`), body text. */
async function rawGet(
  url: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const res = await fetch(url);
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'date') headers[name] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

/**
 * The read cache re-reads the views a committed change invalidated, off the request path, so the
 * next GET is served from memory, and still sees every write that finished before it began.
 * Writes go through a second api process (its read cache is off, so its GETs are the uncached
 * answer); reads through the first.
 */
describe('ImageStreamTag read cache refreshes', () => {
  let api: TestApi;
  let writer: ApiProcess;
  const ns = 'refresh';
  beforeAll(async () => {
    api = await startTestApi();
    writer = await startApiProcess({ DATABASE_URL: api.databaseUrl, ISTAG_CACHE_ENTRIES: '0' });
  }, 90000);
  afterAll(async () => {
    await writer?.stop();
    await api?.close();
  });

  const reader = (name: string) => `${api.base}/namespaces/${ns}/imagestreamtags/${name}`;
  const uncached = (name: string) =>
    `${writer.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreamtags/${name}`;
  const write = (path: string) => `${writer.url}/apis/image.openshift.io/v1/namespaces/${ns}/${path}`;
  const created = new Set<string>();
  const map = async (stream: string, tag: string, n: number) => {
    if (!created.has(stream)) {
      expect((await call('POST', write('imagestreams'), { metadata: { name: stream } })).status).toBe(201);
      created.add(stream);
    }
    const res = await call('POST', write('imagestreammappings'), {
      metadata: { name: stream },
      tag,
      image: {
        metadata: { name: digest(n) },
        dockerImageReference: `quay.io/refresh/${stream}@${digest(n)}`,
      },
    });
    expect(res.status).toBe(201);
  };

  it('after a write, the next GET is a hit that shows it, byte for byte the uncached answer', async () => {
    await map('fresh', 'latest', 1);
    expect((await call('GET', reader('fresh:latest'))).status).toBe(200);
    for (let n = 2; n < 12; n++) {
      await map('fresh', 'latest', n);
      const before = await cacheCounters(api.url);
      const got = await rawGet(reader('fresh:latest'));
      const after = await cacheCounters(api.url);
      expect(reads(after, 'hit') - reads(before, 'hit')).toBe(1);
      expect(reads(after, 'miss') - reads(before, 'miss')).toBe(0);
      expect(JSON.parse(got.body).image.metadata.name).toBe(digest(n));
      expect(got).toEqual(await rawGet(uncached('fresh:latest')));
    }
    // A spec change and a change to the Image the tag shows are refreshed alike.
    const patched = await call(
      'PATCH',
      write('imagestreams/fresh'),
      { spec: { lookupPolicy: { local: true } } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    let before = await cacheCounters(api.url);
    let got = await rawGet(reader('fresh:latest'));
    expect(reads(await cacheCounters(api.url), 'hit') - reads(before, 'hit')).toBe(1);
    expect(JSON.parse(got.body).lookupPolicy).toEqual({ local: true });
    expect(JSON.parse(got.body).metadata.resourceVersion).toBe(patched.body.metadata.resourceVersion);
    expect(got).toEqual(await rawGet(uncached('fresh:latest')));

    const image = await call(
      'PATCH',
      `${writer.url}/apis/image.openshift.io/v1/images/${digest(11)}`,
      { metadata: { annotations: { team: 'blue' } } },
      'application/merge-patch+json',
    );
    expect(image.status).toBe(200);
    before = await cacheCounters(api.url);
    got = await rawGet(reader('fresh:latest'));
    expect(reads(await cacheCounters(api.url), 'hit') - reads(before, 'hit')).toBe(1);
    expect(JSON.parse(got.body).image.metadata.annotations?.['team']).toBe('blue');
    expect(got).toEqual(await rawGet(uncached('fresh:latest')));
  });

  it('a refreshed view nobody read is dropped at its next change, not re-read again', async () => {
    await map('unread', 'latest', 100);
    expect((await call('GET', reader('unread:latest'))).status).toBe(200);
    const start = await cacheCounters(api.url);
    await map('unread', 'latest', 101);
    // Wait until this api's feed has applied the write (a GET of another stream waits for it).
    await map('other', 'latest', 150);
    expect((await call('GET', reader('other:latest'))).status).toBe(200);
    const once = await cacheCounters(api.url);
    expect(refreshes(once, 'refreshed') - refreshes(start, 'refreshed')).toBe(1);
    await map('unread', 'latest', 102);
    expect((await call('GET', reader('other:latest'))).status).toBe(200);
    const twice = await cacheCounters(api.url);
    expect(refreshes(twice, 'refreshed') - refreshes(once, 'refreshed')).toBe(0);
    expect(refreshes(twice, 'dropped') - refreshes(once, 'dropped')).toBeGreaterThanOrEqual(1);
    const got = await call('GET', reader('unread:latest'));
    expect(got.body.image.metadata.name).toBe(digest(102));
    expect(reads(await cacheCounters(api.url), 'miss') - reads(twice, 'miss')).toBe(1);
  });

  it('a deleted tag or stream is 404 at once, and nothing of it is kept', async () => {
    await map('gone', 'v1', 200);
    await map('gone', 'v2', 201);
    for (const tag of ['v1', 'v2']) expect((await call('GET', reader(`gone:${tag}`))).status).toBe(200);
    expect((await call('DELETE', write('imagestreamtags/gone:v1'))).status).toBe(200);
    // v1's view was re-read and found gone; v2's (same stream) was re-read and kept.
    let before = await cacheCounters(api.url);
    expect((await call('GET', reader('gone:v1'))).status).toBe(404);
    expect((await call('GET', reader('gone:v1'))).status).toBe(404);
    const v2 = await rawGet(reader('gone:v2'));
    let after = await cacheCounters(api.url);
    expect(reads(after, 'hit') - reads(before, 'hit')).toBe(1);
    expect(v2).toEqual(await rawGet(uncached('gone:v2')));

    await map('gone', 'v1', 202);
    expect((await call('GET', reader('gone:v1'))).body.image.metadata.name).toBe(digest(202));
    expect((await call('DELETE', write('imagestreams/gone'))).status).toBe(200);
    before = await cacheCounters(api.url);
    for (const tag of ['v1', 'v2']) expect((await call('GET', reader(`gone:${tag}`))).status).toBe(404);
    after = await cacheCounters(api.url);
    expect(reads(after, 'hit') - reads(before, 'hit')).toBe(0);
    created.delete('gone');
  });

  it('readers racing a writer never see a tag go back, while refreshes serve them', async () => {
    await map('race', 'latest', 400);
    const start = await cacheCounters(api.url);
    let newest = 400;
    const readers = Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 60; i++) {
        const floor = newest;
        const got = await call('GET', reader('race:latest'));
        const shown = parseInt(String(got.body.image.metadata.name).slice('sha256:'.length), 16);
        expect(shown).toBeGreaterThanOrEqual(floor);
      }
    });
    const writes = (async () => {
      for (let n = 401; n < 441; n++) {
        await map('race', 'latest', n);
        newest = n;
      }
    })();
    await Promise.all([...readers, writes]);
    expect(
      refreshes(await cacheCounters(api.url), 'refreshed') - refreshes(start, 'refreshed'),
    ).toBeGreaterThan(0);
    expect((await call('GET', reader('race:latest'))).body.image.metadata.name).toBe(digest(440));
  });
});
