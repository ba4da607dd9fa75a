import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('ImageStream and ImageStreamMapping over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
  });
  afterAll(async () => api.close());

  it('creates a stream with defaults and computed status', async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreams`, {
      metadata: { name: 'ruby' },
      spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: '3.1' } }] },
      status: { dockerImageRepository: 'ignored' },
    });
    expect(res.status).toBe(201);
    expect(res.body.metadata.generation).toBe(1);
    expect(res.body.spec.lookupPolicy).toEqual({ local: false });
    expect(res.body.spec.tags[0]).toMatchObject({ generation: 1, referencePolicy: { type: 'Source' }, importPolicy: { importMode: 'Legacy' } });
    expect(res.body.status).toEqual({ dockerImageRepository: 'registry.local:5000/demo/ruby' });
  });

  it('maps an image to a tag and moves the alias that follows it', async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreammappings`, {
      metadata: { name: 'ruby' },
      tag: '3.1',
      image: { metadata: { name: digest('a') }, dockerImageReference: `quay.io/x/ruby@${digest('a')}` },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const stream = await call('GET', `${api.base}/namespaces/demo/imagestreams/ruby`);
    const tags = stream.body.status.tags;
    expect(tags.map((t: { tag: string }) => t.tag)).toEqual(['3.1', 'latest']);
    expect(tags[0].items[0]).toMatchObject({ image: digest('a'), dockerImageReference: `quay.io/x/ruby@${digest('a')}` });
    expect(tags[1].items[0].image).toBe(digest('a'));
    const image = await call('GET', `${api.base}/images/${digest('a')}`);
    expect(image.status).toBe(200);
    expect(image.body.dockerImageMetadata).toMatchObject({ kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0' });
  });

  it('answers 404 with imagestreammappings details when the stream is missing', async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreammappings`, {
      metadata: { name: 'nope' },
      tag: 'v1',
      image: { metadata: { name: digest('b') }, dockerImageReference: `quay.io/x/nope@${digest('b')}` },
    });
    expect(res.status).toBe(404);
    expect(res.body.details).toEqual({ name: 'nope', group: 'image.openshift.io', kind: 'imagestreammappings' });
  });

  it("validates the mapped Image's metadata as a cluster-scoped object's (422, nothing stored)", async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreammappings`, {
      metadata: { name: 'ruby' },
      tag: 'meta',
      image: { metadata: { name: digest('c'), namespace: 'demo', labels: { 'bad key!': 'x' } }, dockerImageReference: `quay.io/x/ruby@${digest('c')}` },
    });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)).toEqual([
      'image.metadata.namespace FieldValueForbidden',
      'image.metadata.labels FieldValueInvalid',
    ]);
    expect((await call('GET', `${api.base}/images/${digest('c')}`)).status).toBe(404);
  });

  it('fills a missing image reference from the internal registry before validating, even for a nameless image (upstream PrepareForCreate)', async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreammappings`, { metadata: { name: 'ruby' }, image: { metadata: {} } });
    expect(res.status).toBe(422);
    // `<host>/<ns>/<stream>` (Exact() without an id) parses, so only the missing tag and name are reported.
    expect(res.body.message).toBe('ImageStreamMapping.image.openshift.io "ruby" is invalid: [tag: Required value, image.metadata.name: Required value: name or generateName is required]');
  });

  it('reports a nameless mapping as upstream does: the ObjectMeta name plus both ways of naming the stream', async () => {
    const res = await call('POST', `${api.base}/namespaces/demo/imagestreammappings`, {
      tag: 'v1',
      image: { metadata: { name: digest('d') }, dockerImageReference: `quay.io/x/ruby@${digest('d')}` },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'ImageStreamMapping.image.openshift.io "" is invalid: [metadata.name: Required value: name or generateName is required, name: Required value, dockerImageRepository: Required value]',
    );
    expect(res.body.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)).toEqual([
      'metadata.name FieldValueRequired',
      'name FieldValueRequired',
      'dockerImageRepository FieldValueRequired',
    ]);
    expect((await call('GET', `${api.base}/images/${digest('d')}`)).status).toBe(404);
  });

  it('refuses values of the wrong JSON type (a body: 400 decoding Status; a patch: 422 at `patch`) and changes nothing', async () => {
    const url = `${api.base}/namespaces/demo/imagestreams`;
    const created = await call('POST', url, { metadata: { name: 'typed' }, spec: { tags: 'latest' } });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    // encoding/json's wording: the struct holding the field, the field path without indexes, the Go type.
    expect(created.body.message).toBe(
      'ImageStream in version "v1" cannot be handled as a ImageStream: json: cannot unmarshal string into Go struct field ImageStreamSpec.spec.tags of type []v1.TagReference',
    );
    expect((await call('GET', `${url}/typed`)).status).toBe(404);

    const before = await call('GET', `${url}/ruby`);
    const patches: [string, unknown, string][] = [
      ['application/merge-patch+json', { spec: { lookupPolicy: { local: 'yes' } } }, 'string into Go struct field ImageLookupPolicy.spec.lookupPolicy.local of type bool'],
      ['application/strategic-merge-patch+json', { metadata: { labels: { a: 1 } } }, 'number into Go struct field ObjectMeta.metadata.labels of type string'],
      ['application/json-patch+json', [{ op: 'add', path: '/spec/tags/-', value: { name: 5 } }], 'number into Go struct field TagReference.spec.tags.name of type string'],
    ];
    for (const [type, patch, message] of patches) {
      const res = await call('PATCH', `${url}/ruby`, patch, type);
      // handlers/patch.go: a patched object that does not decode is NewInvalid at `patch`.
      expect([type, res.status, res.body.reason]).toEqual([type, 422, 'Invalid']);
      expect(res.body.message).toContain(`json: cannot unmarshal ${message}`);
    }
    const put = await call('PUT', `${url}/ruby`, { ...before.body, spec: { ...before.body.spec, tags: [{ name: 'x', generation: 'one' }] } });
    expect(put.status).toBe(400);
    expect(put.body.message).toContain('json: cannot unmarshal string into Go struct field TagReference.spec.tags.generation of type int64');
    expect((await call('GET', `${url}/ruby`)).body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
  });

  it('refuses strategic merge patch directives apimachinery does not know with 400, changing nothing; replace and delete apply', async () => {
    const url = `${api.base}/namespaces/demo/imagestreams`;
    const SMP = 'application/strategic-merge-patch+json';
    const before = await call('GET', `${url}/ruby`);
    // apimachinery's mergeSliceWithSpecialElements and handleDirectiveInMergeMap (upstream answers them 500).
    const refused: [unknown, string][] = [
      [{ spec: { tags: [{ name: 'new', $patch: 'bogus' }] } }, 'unknown patch type: bogus in map: map[$patch:bogus name:new]'],
      [{ spec: { tags: [{ name: 'new', $patch: 'merge' }] } }, 'merging lists cannot yet be specified in the patch'],
      [{ spec: { $patch: 'bogus' } }, 'unknown patch type: bogus in map: map[$patch:bogus]'],
    ];
    for (const [patch, message] of refused) {
      const res = await call('PATCH', `${url}/ruby`, patch, SMP);
      expect([res.status, res.body.reason, res.body.message]).toEqual([400, 'BadRequest', message]);
    }
    expect((await call('GET', `${url}/ruby`)).body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);

    await call('POST', url, { metadata: { name: 'directives' }, spec: { tags: [{ name: 'a', from: { kind: 'DockerImage', name: 'quay.io/x/a:1' } }, { name: 'b', from: { kind: 'DockerImage', name: 'quay.io/x/b:1' } }] } });
    const deleted = await call('PATCH', `${url}/directives`, { spec: { tags: [{ name: 'a', $patch: 'delete' }] } }, SMP);
    expect(deleted.body.spec.tags.map((t: { name: string }) => t.name)).toEqual(['b']);
    const replaced = await call('PATCH', `${url}/directives`, { spec: { tags: [{ $patch: 'replace' }, { name: 'c', from: { kind: 'DockerImage', name: 'quay.io/x/c:1' } }] } }, SMP);
    expect(replaced.body.spec.tags.map((t: { name: string }) => t.name)).toEqual(['c']);
  });

  it('selects streams by spec and computed status dockerImageRepository, in lists and watches', async () => {
    const url = `${api.base}/namespaces/fs/imagestreams`;
    const list = await call('GET', url);
    const w = watchEvents(`${url}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&fieldSelector=status.dockerImageRepository%3Dregistry.local%3A5000%2Ffs%2Fwanted`);
    try {
      expect((await call('POST', url, { metadata: { name: 'other' }, spec: { dockerImageRepository: 'quay.io/x/other' } })).status).toBe(201);
      expect((await call('POST', url, { metadata: { name: 'wanted' } })).status).toBe(201);
      const byStatus = await call('GET', `${url}?fieldSelector=status.dockerImageRepository%3Dregistry.local%3A5000%2Ffs%2Fwanted`);
      expect(byStatus.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['wanted']);
      const bySpec = await call('GET', `${url}?fieldSelector=spec.dockerImageRepository%3Dquay.io%2Fx%2Fother`);
      expect(bySpec.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['other']);
      const notSpec = await call('GET', `${url}?fieldSelector=spec.dockerImageRepository!%3Dquay.io%2Fx%2Fother`);
      expect(notSpec.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['wanted']);
      await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'wanted'));
      // The event for `other` came first (lower resourceVersion) and was filtered out.
      expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'wanted']]);
      expect(w.events[0]!.object.status.dockerImageRepository).toBe('registry.local:5000/fs/wanted');
    } finally {
      w.stop();
    }
  });
});

describe('ImageStream reads are one snapshot', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it("a GET never shows tag history newer than the stream's resourceVersion, while mappings land", async () => {
    const ns = `${api.base}/namespaces/snap`;
    expect((await call('POST', `${ns}/imagestreams`, { metadata: { name: 'busy' } })).status).toBe(201);
    const seen: { rv: bigint; entries: number }[] = [];
    let writing = true;
    const writes = (async () => {
      for (let n = 1; n <= 80; n++) {
        const d = `sha256:${n.toString(16).padStart(64, '0')}`;
        const res = await call('POST', `${ns}/imagestreammappings`, { metadata: { name: 'busy' }, tag: 'latest', image: { metadata: { name: d }, dockerImageReference: `quay.io/snap/busy@${d}` } });
        expect(res.status).toBe(201);
      }
      writing = false;
    })();
    const readers = Array.from({ length: 6 }, async () => {
      while (writing) {
        const got = await call('GET', `${ns}/imagestreams/busy`);
        seen.push({ rv: BigInt(got.body.metadata.resourceVersion), entries: got.body.status?.tags?.[0]?.items?.length ?? 0 });
      }
    });
    await Promise.all([writes, ...readers]);
    // Each mapping adds one entry and moves the resourceVersion: a given version has one history length,
    // and a later version never has fewer entries.
    const byRv = new Map<bigint, number>();
    for (const s of seen) {
      expect(byRv.get(s.rv) ?? s.entries).toBe(s.entries);
      byRv.set(s.rv, s.entries);
    }
    const ordered = [...byRv].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
    expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
    expect(seen.length).toBeGreaterThan(20);
  }, 60000);
});
