import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add its own Accept-Encoding and decode the answer). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The headers of a streaming GET (a watch), then the connection is dropped. */
function streamHeaders(url: string, headers: Record<string, string>): Promise<RawAnswer['headers']> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      resolve(res.headers);
      req.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

/** kube-apiserver's APIResponseCompression: answers over 128 KiB are gzipped for clients that accept gzip. */
describe('response compression', () => {
  let api: TestApi;
  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;
  // Two streams with 100 KB annotations: their list is over the 128 KiB threshold, one alone is under it.
  const padding = 'x'.repeat(100 * 1024);

  beforeAll(async () => {
    api = await startTestApi();
    for (const name of ['one', 'two']) {
      expect((await call('POST', streams('big'), { metadata: { name, annotations: { padding } }, spec: {} })).status).toBe(201);
    }
    expect((await call('POST', streams('small'), { metadata: { name: 'one' }, spec: {} })).status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
  });

  it('a list over 128 KiB is gzipped when Accept-Encoding names gzip, with Vary: Accept-Encoding', async () => {
    const zipped = await rawGet(streams('big'), { 'accept-encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toBe('Accept-Encoding');
    expect(zipped.headers['content-type']).toBe('application/json');
    const text = gunzipSync(zipped.body).toString();
    expect(text.length).toBeGreaterThan(128 * 1024);
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(text.length / 10);
    const list = JSON.parse(text);
    expect(list.kind).toBe('ImageStreamList');
    expect(list.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['one', 'two']);

    // As client-go sends it, and among other codings.
    expect((await rawGet(streams('big'), { 'accept-encoding': 'deflate, gzip' })).headers['content-encoding']).toBe('gzip');
    // YAML answers are compressed alike.
    const yaml = await rawGet(streams('big'), { 'accept-encoding': 'gzip', accept: 'application/yaml' });
    expect(yaml.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(yaml.body).toString()).toMatch(/^apiVersion: image.openshift.io\/v1\nitems:/);
  });

  it('is not gzipped when the client does not ask as kube-apiserver reads it, nor when small', async () => {
    const refused: Record<string, string>[] = [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'gzip;q=1.0' }, { 'accept-encoding': '*' }, { 'accept-encoding': 'GZIP' }];
    for (const headers of refused) {
      const plain = await rawGet(streams('big'), headers);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['vary']).toBeUndefined();
      expect(JSON.parse(plain.body.toString()).items).toHaveLength(2);
    }
    const small = await rawGet(streams('small'), { 'accept-encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers['vary']).toBeUndefined();
    expect(JSON.parse(small.body.toString()).items).toHaveLength(1);
    const one = await rawGet(`${streams('big')}/one`, { 'accept-encoding': 'gzip' });
    expect(one.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(one.body.toString()).metadata.annotations.padding).toBe(padding);
  });

  it('a large ImageStreamTag read on the fast path is gzipped the same way', async () => {
    const digest = `sha256:${'e'.repeat(64)}`;
    expect((await call('POST', streams('tags'), { metadata: { name: 'tagged' }, spec: {} })).status).toBe(201);
    const mapping = await call('POST', `${api.base}/namespaces/tags/imagestreammappings`, {
      metadata: { name: 'tagged' },
      image: { metadata: { name: digest, annotations: { padding: 'y'.repeat(140 * 1024) } }, dockerImageReference: `example.com/tags/tagged@${digest}` },
      tag: 'latest',
    });
    expect(mapping.status).toBe(201);
    const url = `${api.base}/namespaces/tags/imagestreamtags/tagged:latest`;
    const zipped = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect([zipped.headers['content-encoding'], zipped.headers['vary']]).toEqual(['gzip', 'Accept-Encoding']);
    expect(JSON.parse(gunzipSync(zipped.body).toString()).image.metadata.name).toBe(digest);
    const plain = await rawGet(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString()).image.metadata.name).toBe(digest);
  });

  it('watches stay uncompressed, as kube-apiserver streams them', async () => {
    const headers = await streamHeaders(`${streams('big')}?watch=1`, { 'accept-encoding': 'gzip' });
    expect(headers['content-encoding']).toBeUndefined();
  });

  (kubectlFound ? it : it.skip)('kubectl reads a gzipped list', async () => {
    const kubectl = kubectlWorkspace(api.url, 'big');
    try {
      expect(await kubectl.ok(['get', 'imagestreams', '-o', 'name'])).toBe('imagestream.image.openshift.io/one\nimagestream.image.openshift.io/two\n');
      const json = JSON.parse(await kubectl.ok(['get', 'imagestreams', '-o', 'json']));
      expect(json.items[1].metadata.annotations.padding).toBe(padding);
    } finally {
      kubectl.remove();
    }
  });
});
