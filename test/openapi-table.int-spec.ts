import { createHash } from 'node:crypto';
import { load } from 'js-yaml';
import { decodeOpenApiV2 } from '@app/http';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const table = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

async function get(url: string, accept: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers: { accept } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Server-side printing, OpenAPI documents and field validation over plain HTTP. */
describe('Table output, OpenAPI and fieldValidation', () => {
  let api: TestApi;
  const ns = () => `${api.base}/namespaces/tbl`;

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
    await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'app' }, spec: {} });
    await call('POST', `${ns()}/imagestreammappings`, {
      metadata: { name: 'app' },
      tag: 'v1',
      image: { metadata: { name: digest('a') }, dockerImageReference: `quay.io/tbl/app@${digest('a')}` },
    });
  });
  afterAll(async () => api.close());

  describe('Table', () => {
    it('prints lists and single objects with the oc columns; includeObject selects the row object', async () => {
      const list = await get(`${ns()}/imagestreams`, table);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
      expect(list.body.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Image Repository', 'Tags', 'Updated']);
      expect(list.body.rows[0].cells.slice(0, 3)).toEqual(['app', 'registry.local:5000/tbl/app', 'v1']);
      expect(list.body.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'app', namespace: 'tbl' } });
      const full = await get(`${ns()}/imagestreams?includeObject=Object`, table);
      expect(full.body.rows[0].object).toMatchObject({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', spec: {} });
      const none = await get(`${ns()}/imagestreams?includeObject=None`, table);
      expect(none.body.rows[0].object).toBeNull();
      const bad = await get(`${ns()}/imagestreams?includeObject=Everything`, table);
      expect(bad.status).toBe(400);
      const one = await get(`${ns()}/imagestreamtags/app:v1`, table);
      expect(one.body.columnDefinitions.map((c: any) => [c.name, c.priority])).toEqual([['Name', 0], ['Image Reference', 0], ['Updated', 0], ['Image Name', 1]]);
      expect(one.body.rows[0].cells).toEqual(['app:v1', `quay.io/tbl/app@${digest('a')}`, expect.stringMatching(/ago$/), digest('a')]);
      // Descriptions are upstream's, the API docs of the fields shown.
      const itags = await get(`${ns()}/imagetags`, table);
      expect(itags.body.columnDefinitions.map((c: any) => c.description)).toEqual([
        expect.stringMatching(/^Name must be unique within a namespace\. Is required when creating resources/),
        'spec is the spec tag associated with this image stream tag, and it may be null if only pushes have occurred to this image stream.',
        'status is the status tag details associated with this image stream tag, and it may be null if no push or import has been performed.',
        'Number of history entries',
        'Last updated at',
      ]);
      expect(one.body.columnDefinitions[1].description).toBe('dockerImageReference is the string that can be used to pull this image.');
      const images = await get(`${api.base}/images`, 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
      expect(images.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1', rows: [{ cells: [digest('a'), `quay.io/tbl/app@${digest('a')}`] }] });
    });

    it('serves plain JSON without a Table Accept, and errors stay Status objects', async () => {
      const plain = await get(`${ns()}/imagestreams`, 'application/json');
      expect(plain.body.kind).toBe('ImageStreamList');
      const missing = await get(`${ns()}/imagestreams/nope`, table);
      expect(missing.status).toBe(404);
      expect(missing.body.kind).toBe('Status');
    });

    it('serves YAML when asked first; 406 NotAcceptable when nothing asked for can be served', async () => {
      const res = await fetch(`${ns()}/imagestreams/app`, { headers: { accept: 'application/yaml' } });
      expect(res.headers.get('content-type')).toBe('application/yaml');
      expect(load(await res.text())).toMatchObject({ kind: 'ImageStream', metadata: { name: 'app' } });
      const html = await get(`${ns()}/imagestreams`, 'text/html');
      expect([html.status, html.body.reason]).toEqual([406, 'NotAcceptable']);
      expect((await get(`${ns()}/imagestreams`, 'text/html,*/*;q=0.8')).body.kind).toBe('ImageStreamList');
      // Negotiated before the lookup, as kube-apiserver does: a missing object is 406 too.
      const missing = await get(`${ns()}/imagestreams/nothing-here`, 'text/html');
      expect([missing.status, missing.body.reason]).toEqual([406, 'NotAcceptable']);
    });

    it('answers writes in YAML when asked first (create, patch, delete)', async () => {
      const yaml = { 'content-type': 'application/json', accept: 'application/yaml' };
      const created = await fetch(`${ns()}/imagestreams`, { method: 'POST', headers: yaml, body: JSON.stringify({ metadata: { name: 'yamlwrite' } }) });
      expect([created.status, created.headers.get('content-type')]).toEqual([201, 'application/yaml']);
      expect(load(await created.text())).toMatchObject({ kind: 'ImageStream', metadata: { name: 'yamlwrite' } });
      const patched = await fetch(`${ns()}/imagestreams/yamlwrite`, {
        method: 'PATCH',
        headers: { ...yaml, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
      });
      expect(load(await patched.text())).toMatchObject({ metadata: { labels: { a: 'b' } } });
      const deleted = await fetch(`${ns()}/imagestreams/yamlwrite`, { method: 'DELETE', headers: { accept: 'application/yaml' } });
      expect([deleted.status, deleted.headers.get('content-type')]).toEqual([200, 'application/yaml']);
      expect(load(await deleted.text())).toMatchObject({ kind: 'Status', status: 'Success' });
    });

    it('answers failures in YAML when YAML is asked first, as kube-apiserver negotiates a Status', async () => {
      const missing = await fetch(`${ns()}/imagestreams/nothing-here`, { headers: { accept: 'application/yaml' } });
      expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'application/yaml']);
      expect(load(await missing.text())).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
      const invalid = await fetch(`${ns()}/imagestreams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/yaml' },
        body: JSON.stringify({ metadata: { name: 'Not_A_Name' } }),
      });
      expect([invalid.status, invalid.headers.get('content-type')]).toEqual([422, 'application/yaml']);
      expect(load(await invalid.text())).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name: 'Not_A_Name' } });
      // Nothing acceptable: the Status stays JSON.
      const refused = await fetch(`${ns()}/imagestreams`, { headers: { accept: 'text/html' } });
      expect([refused.status, refused.headers.get('content-type')?.split(';')[0]]).toEqual([406, 'application/json']);
    });

    it('serves PartialObjectMetadata(List) to metadata-only clients', async () => {
      const list = await get(`${ns()}/imagestreams`, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
      expect(list.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', items: [{ kind: 'PartialObjectMetadata', metadata: { name: 'app' } }] });
      expect(list.body.items[0].spec).toBeUndefined();
      const one = await get(`${ns()}/imagestreams/app?includeObject=Bogus`, 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
      expect([one.status, one.body.kind, one.body.metadata.name]).toEqual([200, 'PartialObjectMetadata', 'app']);
    });

    it('406 when the metadata kind asked for does not match the read (kube asPartialObjectMetadata / asPartialObjectMetadataList)', async () => {
      const status = (message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotAcceptable', code: 406 });
      const list = await get(`${ns()}/imagestreams`, 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io');
      expect([list.status, list.body]).toEqual([406, status('you requested PartialObjectMetadata, but the requested object is a list (*image.ImageStreamList)')]);
      const one = await get(`${ns()}/imagestreams/app`, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
      expect([one.status, one.body]).toEqual([406, status('you requested PartialObjectMetadataList, but the requested object is not a list (*image.ImageStream)')]);
      // The read comes first: a missing object is 404.
      expect((await get(`${ns()}/imagestreams/nope`, 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io')).status).toBe(404);
    });

    it('an includeObject kube does not know is 400 in its words, for a Table only', async () => {
      const res = await get(`${ns()}/imagestreams?includeObject=Bogus`, table);
      expect([res.status, res.body.reason, res.body.message]).toEqual([400, 'BadRequest', `Unable to convert to Table as requested: includeObject: Invalid value: "Bogus": must be 'Metadata', 'Object', 'None', or empty`]);
      expect((await get(`${ns()}/imagestreams?includeObject=Bogus`, 'application/json')).status).toBe(200);
    });

    it('watch: headers at once, then one-row Tables per event', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const res = await fetch(`${ns()}/imagestreams?watch=true&resourceVersion=${(await call('GET', `${ns()}/imagestreams`)).body.metadata.resourceVersion}`, {
        headers: { accept: table },
        signal: controller.signal,
      });
      // Nothing has changed yet: the answer must still start right away.
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await call('POST', `${ns()}/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'v2',
        image: { metadata: { name: digest('b') }, dockerImageReference: `quay.io/tbl/app@${digest('b')}` },
      });
      let text = '';
      while (!text.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      controller.abort();
      const event = JSON.parse(text.split('\n')[0]!);
      expect(event.type).toBe('MODIFIED');
      expect(event.object).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: [{ cells: ['app', 'registry.local:5000/tbl/app', expect.stringMatching(/^(v1,v2|v2,v1)$/), expect.any(String)] }] });
      expect(event.object.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata' });
    });

    it('watch: only the first Table event carries columnDefinitions, later ones null (kube-apiserver sets NoHeaders after the first)', async () => {
      // Ends after 30 s at most; read until the initial ADDED and the new stream's event arrived.
      const res = await fetch(`${ns()}/imagestreams?watch=true&resourceVersion=0&timeoutSeconds=30`, { headers: { accept: table } });
      await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'headers' } });
      const reader = res.body!.getReader();
      let text = '';
      const complete = (): string[] => text.split('\n').filter((l, i, all) => i < all.length - 1 && l.trim() !== '');
      while (complete().filter((l) => !l.includes('"BOOKMARK"')).length < 2) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const events = complete().map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions: unknown } });
      const tables = events.filter((e) => e.type !== 'BOOKMARK');
      expect(tables.length).toBeGreaterThanOrEqual(2);
      expect((tables[0]!.object.columnDefinitions as { name: string }[]).map((c) => c.name)).toEqual(['Name', 'Image Repository', 'Tags', 'Updated']);
      for (const later of tables.slice(1)) expect(later.object).toMatchObject({ kind: 'Table', columnDefinitions: null });
      await call('DELETE', `${ns()}/imagestreams/headers`);
    });

    it('watch: BOOKMARKs are Tables too, one row of the empty object (kube-apiserver converts every event but a Status)', async () => {
      // A watch-list selecting nothing: its only event is the initial-events-end bookmark.
      const query = 'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone';
      for (const path of [`${ns()}/imagestreams`, `${api.base}/images`]) {
        const res = await fetch(`${path}?${query}`, { headers: { accept: table } });
        const events = (await res.text()).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; object: any });
        const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
        expect(bookmarks.length).toBeGreaterThanOrEqual(1);
        const first = bookmarks[0]!.object;
        expect(first).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
        // The first event carries the column headers, whatever its type.
        expect(first.columnDefinitions[0].name).toBe('Name');
        expect(first.rows).toHaveLength(1);
        expect(first.rows[0].cells[0]).toBe('');
        expect(first.rows[0].object).toMatchObject({
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: { resourceVersion: first.metadata.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
        });
        const none = await fetch(`${path}?${query}&includeObject=None`, { headers: { accept: table } });
        const [bookmark] = (await none.text()).split('\n').filter((l) => l.includes('"BOOKMARK"')).map((l) => JSON.parse(l) as { object: any });
        expect(bookmark!.object).toMatchObject({ kind: 'Table', rows: [{ object: null }] });
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves /openapi/v3 (root and group-version document) and /openapi/v2 as JSON', async () => {
      const root = await call('GET', `${api.url}/openapi/v3`);
      const url = root.body.paths['apis/image.openshift.io/v1'].serverRelativeURL as string;
      const doc = await call('GET', `${api.url}${url}`);
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.0.0');
      expect(doc.body.components.schemas['com.github.openshift.api.image.v1.ImageStreamTag']['x-kubernetes-group-version-kind']).toEqual([
        { group: 'image.openshift.io', kind: 'ImageStreamTag', version: 'v1' },
      ]);
      expect((await call('GET', `${api.url}/openapi/v3/apis/nope/v1`)).status).toBe(404);
      const v2 = await get(`${api.url}/openapi/v2`, 'application/json');
      expect(v2.body.swagger).toBe('2.0');
      expect(v2.body.paths['/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}'].patch['x-kubernetes-group-version-kind']).toEqual({
        group: 'image.openshift.io',
        kind: 'ImageStream',
        version: 'v1',
      });
      // client-go asks for protobuf: the same definitions in gnostic's encoding.
      const pb = await fetch(`${api.url}/openapi/v2`, { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
      expect(pb.status).toBe(200);
      expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      const decoded = decodeOpenApiV2(new Uint8Array(await pb.arrayBuffer())) as any;
      const stream = decoded.definitions.additionalProperties.find((d: any) => d.name === 'com.github.openshift.api.image.v1.ImageStream');
      expect(stream.value.vendorExtension).toContainEqual({
        name: 'x-kubernetes-group-version-kind',
        value: { yaml: JSON.stringify([{ group: 'image.openshift.io', kind: 'ImageStream', version: 'v1' }]) },
      });
      expect(stream.value.properties.additionalProperties.map((p: any) => p.name)).toEqual(Object.keys(v2.body.definitions['com.github.openshift.api.image.v1.ImageStream'].properties));
      expect((await get(`${api.url}/openapi/v2`, 'application/x-yaml')).status).toBe(406);
      // Ranges are tried by q, as kube-openapi's goautoneg ranks them: JSON listed first but ranked lower loses.
      const ranked = await fetch(`${api.url}/openapi/v2`, { headers: { accept: 'application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
      expect(ranked.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      await ranked.arrayBuffer();
    });

    it('caches as kube-openapi: a hashed URL is immutable, another hash redirects to it, an ETag revalidates to 304', async () => {
      const root = await call('GET', `${api.url}/openapi/v3`);
      const url = root.body.paths['apis/image.openshift.io/v1'].serverRelativeURL as string;
      const hash = url.split('hash=')[1]!;
      expect(hash).toMatch(/^[0-9A-F]{128}$/);

      const hashed = await fetch(`${api.url}${url}`);
      expect(hashed.status).toBe(200);
      expect(hashed.headers.get('cache-control')).toBe('public, immutable');
      expect(new Date(hashed.headers.get('expires')!).getTime()).toBeGreaterThan(Date.now() + 360 * 24 * 3600 * 1000);
      expect(hashed.headers.get('etag')).toBe(`"${hash}"`);
      expect(hashed.headers.get('vary')).toContain('Accept');
      // The hash is the document's own: the bytes served hash to it.
      expect(createHash('sha512').update(Buffer.from(await hashed.arrayBuffer())).digest('hex').toUpperCase()).toBe(hash);

      const stale = await fetch(`${api.url}/openapi/v3/apis/image.openshift.io/v1?hash=0123ABC`, { redirect: 'manual' });
      expect(stale.status).toBe(301);
      expect(stale.headers.get('location')).toBe(url);

      const unhashed = await fetch(`${api.url}/openapi/v3/apis/image.openshift.io/v1`);
      expect(unhashed.headers.get('cache-control')).toBe('no-cache, private');
      const revalidated = await fetch(`${api.url}/openapi/v3/apis/image.openshift.io/v1`, { headers: { 'if-none-match': `"${hash}"` } });
      expect(revalidated.status).toBe(304);
      expect(await revalidated.text()).toBe('');
      expect((await fetch(`${api.url}/openapi/v3/apis/image.openshift.io/v1`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
      expect((await fetch(`${api.url}/openapi/v3/apis/image.openshift.io/v1`, { headers: { accept: 'text/html' } })).status).toBe(406);

      for (const path of ['/openapi/v2', '/openapi/v3']) {
        const first = await fetch(`${api.url}${path}`);
        const etag = first.headers.get('etag')!;
        expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
        expect((await fetch(`${api.url}${path}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      }
    });
  });

  describe('fieldValidation', () => {
    const body = (name: string) => ({ metadata: { name }, spec: { tagz: [] }, extra: true });

    it('Strict: 400 naming each unknown field, nothing written', async () => {
      const res = await call('POST', `${ns()}/imagestreams?fieldValidation=Strict`, body('strict'));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ reason: 'BadRequest', message: 'ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: unknown field "spec.tagz", unknown field "extra"' });
      expect((await call('GET', `${ns()}/imagestreams/strict`)).status).toBe(404);
      const patch = await call('PATCH', `${ns()}/imagestreams/app?fieldValidation=Strict`, { spec: { tags: [{ name: 'x', form: {} }] } }, 'application/merge-patch+json');
      expect(patch.status).toBe(400);
      expect(patch.body.message).toBe('strict decoding error: unknown field "spec.tags[0].form"');
      const json = await call('PATCH', `${ns()}/imagestreams/app?fieldValidation=Strict`, [{ op: 'add', path: '/spec/bogus', value: 1 }], 'application/json-patch+json');
      expect(json.status).toBe(400);
      const smp = await call(
        'PATCH',
        `${ns()}/imagestreams/app?fieldValidation=Strict`,
        { spec: { $setElementOrder: [{ name: 'a' }], tags: [{ name: 'a', from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } }] } },
        'application/strategic-merge-patch+json',
      );
      expect(smp.status).toBe(200);
      const istag = await call('PUT', `${ns()}/imagestreamtags/app:bad?fieldValidation=Strict`, { tag: { frm: {} } });
      expect(istag.status).toBe(400);
      expect(istag.body.message).toBe('ImageStreamTag in version "v1" cannot be handled as a ImageStreamTag: strict decoding error: unknown field "tag.frm"');
    });

    it('a key repeated in a JSON body: Strict refuses it naming the path, Warn warns and keeps the last value, Ignore says nothing', async () => {
      const repeated = (name: string) => `{"metadata":{"name":"${name}"},"spec":{"lookupPolicy":{"local":true},"lookupPolicy":{"local":false}},"extra":1}`;
      const strict = await call('POST', `${ns()}/imagestreams?fieldValidation=Strict`, repeated('dup-strict'));
      expect(strict.status).toBe(400);
      expect(strict.body.message).toBe('ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: duplicate field "spec.lookupPolicy", unknown field "extra"');
      expect((await call('GET', `${ns()}/imagestreams/dup-strict`)).status).toBe(404);
      const warned = await call('POST', `${ns()}/imagestreams`, repeated('dup-warn'));
      expect(warned.status).toBe(201);
      expect(warned.headers.get('warning')).toBe('299 - "duplicate field \\"spec.lookupPolicy\\"", 299 - "unknown field \\"extra\\""');
      expect(warned.body.spec.lookupPolicy).toEqual({ local: false });
      // In the order Go's decoder meets them in the text: unknown keys where they first appear, a repeated one where it comes again.
      const interleaved = await call(
        'POST',
        `${ns()}/imagestreams?fieldValidation=Strict`,
        '{"metadata":{"name":"dup-order","foo":1},"spec":{"bar":1,"lookupPolicy":{"local":true,"local":false}}}',
      );
      expect([interleaved.status, interleaved.body.message]).toEqual([
        400,
        'ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: unknown field "metadata.foo", unknown field "spec.bar", duplicate field "spec.lookupPolicy.local"',
      ]);
      const ignored = await call('POST', `${ns()}/imagestreams?fieldValidation=Ignore`, repeated('dup-ignore'));
      expect(ignored.status).toBe(201);
      expect(ignored.headers.get('warning')).toBeNull();
      // Updates and merge patches are checked the same way; the patch message has no decode prefix.
      const put = await call('PUT', `${ns()}/imagestreams/dup-warn?fieldValidation=Strict`, `{"metadata":{"name":"dup-warn","name":"dup-warn","resourceVersion":"${warned.body.metadata.resourceVersion}"},"spec":{}}`);
      expect(put.status).toBe(400);
      expect(put.body.message).toBe('ImageStream in version "v1" cannot be handled as a ImageStream: strict decoding error: duplicate field "metadata.name"');
      const patch = await call('PATCH', `${ns()}/imagestreams/dup-warn?fieldValidation=Strict`, '{"metadata":{"labels":{"a":"1","a":"2"}}}', 'application/merge-patch+json');
      expect(patch.status).toBe(400);
      expect(patch.body.message).toBe('strict decoding error: duplicate field "metadata.labels.a"');
      const smp = await call('PATCH', `${ns()}/imagestreams/dup-warn`, '{"spec":{"tags":[{"name":"t","name":"u","from":{"kind":"DockerImage","name":"quay.io/x/y:1"}}]}}', 'application/strategic-merge-patch+json');
      expect(smp.status).toBe(200);
      expect(smp.headers.get('warning')).toBe('299 - "duplicate field \\"spec.tags[0].name\\""');
      expect(smp.body.spec.tags.map((t: { name: string }) => t.name)).toEqual(['u']);
    });

    it('a merge or strategic patch names repeated keys first, then unknown fields in the decoder order; a strategic one is 422 at patch', async () => {
      expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'patch-order' }, spec: {} })).status).toBe(201);
      const text = '{"spec":{"zz":1,"lookupPolicy":{"local":true},"lookupPolicy":{"local":false},"aa":2},"metadata":{"yy":1}}';
      const expected = 'strict decoding error: duplicate field "spec.lookupPolicy", unknown field "metadata.yy", unknown field "spec.aa", unknown field "spec.zz"';
      // handlers/patch.go: the patch's own repeated keys (kjson.UnmarshalStrict), then the patched object's unknown fields.
      const merge = await call('PATCH', `${ns()}/imagestreams/patch-order?fieldValidation=Strict`, text, 'application/merge-patch+json');
      expect([merge.status, merge.body.reason, merge.body.message]).toEqual([400, 'BadRequest', expected]);
      // A strategic patch: applyPatchToObject's NewInvalid of no kind and no name, quoting the patch map as Go prints it.
      const smp = await call('PATCH', `${ns()}/imagestreams/patch-order?fieldValidation=Strict`, text, 'application/strategic-merge-patch+json');
      const quoted = 'Invalid value: "map[metadata:map[yy:1] spec:map[aa:2 lookupPolicy:map[local:false] zz:1]]"';
      expect(smp.status).toBe(422);
      expect(smp.body).toMatchObject({
        reason: 'Invalid',
        message: ` "" is invalid: patch: ${quoted}: ${expected}`,
        details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch', message: `${quoted}: ${expected}` }] },
      });
      const warned = await call('PATCH', `${ns()}/imagestreams/patch-order`, text, 'application/strategic-merge-patch+json');
      expect(warned.status).toBe(200);
      expect(warned.headers.get('warning')).toBe(
        '299 - "duplicate field \\"spec.lookupPolicy\\"", 299 - "unknown field \\"metadata.yy\\"", 299 - "unknown field \\"spec.aa\\"", 299 - "unknown field \\"spec.zz\\""',
      );
    });

    it('Warn (the default) writes and answers Warning headers; Ignore says nothing', async () => {
      const warned = await call('POST', `${ns()}/imagestreams`, body('warned'));
      expect(warned.status).toBe(201);
      expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.tagz\\"", 299 - "unknown field \\"extra\\""');
      const ignored = await call('POST', `${ns()}/imagestreams?fieldValidation=Ignore`, body('ignored'));
      expect(ignored.status).toBe(201);
      expect(ignored.headers.get('warning')).toBeNull();
      // kube's ValidateCreateOptions/ValidateUpdateOptions/ValidatePatchOptions: 422 Invalid of the options kind.
      const supported = 'supported values: "", "Ignore", "Strict", "Warn"';
      const unsupported = await call('POST', `${ns()}/imagestreams?fieldValidation=Loud`, body('loud'));
      expect([unsupported.status, unsupported.body.reason, unsupported.body.message]).toEqual([422, 'Invalid', `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": ${supported}`]);
      expect(unsupported.body.details).toEqual({
        group: 'meta.k8s.io',
        kind: 'CreateOptions',
        causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "Loud": ${supported}`, field: 'fieldValidation' }],
      });
      const put = await call('PUT', `${ns()}/imagestreams/warned?fieldValidation=Bogus`, warned.body);
      expect([put.status, put.body.details.kind]).toEqual([422, 'UpdateOptions']);
      // The options are checked before the patch body is read, as kube-apiserver's patch handler does.
      const patch = await call('PATCH', `${ns()}/imagestreams/warned?fieldValidation=Bogus`, '{not json', 'application/merge-patch+json');
      expect([patch.status, patch.body.message]).toEqual([422, `PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": ${supported}`]);
      expect((await call('GET', `${ns()}/imagestreams/loud`)).status).toBe(404);
      expect((await call('GET', `${ns()}/imagestreams/warned`)).body.metadata.resourceVersion).toBe(warned.body.metadata.resourceVersion);
    });

    it('Warn and Ignore drop unknown fields: they are never stored or echoed back', async () => {
      const created = await call('POST', `${ns()}/imagestreams`, {
        metadata: { name: 'pruned', labels: { keep: 'me' } },
        spec: { tagz: [], tags: [{ name: 'a', bogus: 1, from: { kind: 'DockerImage', name: 'quay.io/x/y:1', extra: 2 } }] },
      });
      expect(created.status).toBe(201);
      const read = await call('GET', `${ns()}/imagestreams/pruned`);
      for (const obj of [created.body, read.body]) {
        expect(obj.spec).not.toHaveProperty('tagz');
        expect(obj.spec.tags[0]).not.toHaveProperty('bogus');
        expect(obj.spec.tags[0].from).toEqual({ kind: 'DockerImage', name: 'quay.io/x/y:1' });
        expect(obj.metadata.labels).toEqual({ keep: 'me' });
      }
      const merged = await call('PATCH', `${ns()}/imagestreams/pruned?fieldValidation=Ignore`, { spec: { lookupPolicy: { local: true, junk: 1 }, junk: 2 } }, 'application/merge-patch+json');
      expect(merged.status).toBe(200);
      expect(merged.body.spec.lookupPolicy).toEqual({ local: true });
      expect(merged.body.spec).not.toHaveProperty('junk');
      const json = await call(
        'PATCH',
        `${ns()}/imagestreams/pruned`,
        [
          { op: 'add', path: '/spec/bogus', value: 1 },
          { op: 'add', path: '/spec/tags/-', value: { name: 'b', from: { kind: 'DockerImage', name: 'quay.io/x/y:2' }, nope: true } },
        ],
        'application/json-patch+json',
      );
      expect(json.status).toBe(200);
      expect(json.body.spec).not.toHaveProperty('bogus');
      expect(json.body.spec.tags.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
      expect(json.body.spec.tags[1]).not.toHaveProperty('nope');
      // Operations that need a path the object does not have fail, as the patch is applied before decoding.
      for (const op of [
        { op: 'replace', path: '/spec/nothere/x', value: 1 },
        { op: 'add', path: '/spec/a/b/c', value: 1 },
        { op: 'replace', path: '/spec/lookupPolicy/zzz', value: true },
      ]) {
        const failed = await call('PATCH', `${ns()}/imagestreams/pruned`, [op], 'application/json-patch+json');
        expect(failed.status).toBe(422);
        expect(failed.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
      }
    });

    it('server-side apply configurations with undeclared fields are refused in every fieldValidation mode, as kube types them first', async () => {
      const config = 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: applied\nspec:\n  tagz: []\n';
      for (const mode of ['Strict', 'Warn', 'Ignore']) {
        const refused = await call('PATCH', `${ns()}/imagestreams/applied?fieldManager=me&fieldValidation=${mode}`, config, 'application/apply-patch+yaml');
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
        expect(refused.body.message).toBe('failed to create typed patch object (/applied; image.openshift.io/v1, Kind=ImageStream): .spec.tagz: field not declared in schema');
      }
      expect((await call('GET', `${ns()}/imagestreams/applied`)).status).toBe(404);
      // Several: one line each; a list element by its merge key, as structured-merge-diff names it.
      const two = `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: applied\n  namespace: tbl\nspec:\n  lookupPolicy: {local: true, extra: 2}\n  tags:\n  - name: latest\n    form: x\n`;
      const both = await call('PATCH', `${ns()}/imagestreams/applied?fieldManager=me`, two, 'application/apply-patch+yaml');
      expect(both.status).toBe(400);
      expect(both.body.message).toBe(
        'failed to create typed patch object (tbl/applied; image.openshift.io/v1, Kind=ImageStream): errors:\n' +
          '  .spec.lookupPolicy.extra: field not declared in schema\n  .spec.tags[name="latest"].form: field not declared in schema',
      );
      const fine = await call('PATCH', `${ns()}/imagestreams/applied?fieldManager=me&fieldValidation=Ignore`, config.replace('tagz', 'tags'), 'application/apply-patch+yaml');
      expect(fine.status).toBe(201);
    });
  });

  it('the core group (namespaces) has its OpenAPI v3 document, so kubectl validates Namespace files on the server', async () => {
    const root = await call('GET', `${api.url}/openapi/v3`);
    const url = root.body.paths['api/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/api\/v1\?hash=/);
    const doc = await call('GET', `${api.url}${url}`);
    expect(doc.body.components.schemas['io.k8s.api.core.v1.Namespace']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Namespace', version: 'v1' }]);
    const patch = doc.body.paths['/api/v1/namespaces/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Namespace', version: 'v1' });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(patch.operationId).toBe('patchCoreV1Namespace');
  });
});
