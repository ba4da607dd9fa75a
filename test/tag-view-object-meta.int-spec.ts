import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * ImageStreamTag and ImageTag writes validate their metadata as apimachinery's ValidateObjectMeta
 * does (openshift-apiserver validation.go ValidateImageStreamTagWithWhitelister and
 * ValidateImageTagWithWhitelister call it; on update rest.BeforeUpdate's validateCommonFields runs
 * it too): owner references, finalizers and a negative generation are refused with 422, not only
 * labels and annotations, and nothing is written.
 */
describe('tag views: object metadata validation', () => {
  let api: TestApi;
  const ns = 'view-meta';
  const path = (resource: string, name = '') => `${api.base}/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
  const badOwner = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '' }];
  const ref = (name: string) => ({ kind: 'DockerImage', name: `quay.io/view-meta/app:${name}` });
  const fields = (res: { body: any }) => (res.body.details?.causes ?? []).map((c: { field: string }) => c.field);
  const specTags = async () => ((await call('GET', path('imagestreams', 'app'))).body.spec.tags ?? []).map((t: { name: string }) => t.name);

  beforeAll(async () => {
    api = await startTestApi();
    const res = await call('POST', path('imagestreams'), {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'base', from: ref('base'), reference: true }] },
    });
    expect(res.status).toBe(201);
    const image = `sha256:${'a'.repeat(64)}`;
    const mapped = await call('POST', path('imagestreammappings'), {
      metadata: { name: 'app' },
      tag: 'pushed',
      image: { metadata: { name: image }, dockerImageReference: `quay.io/view-meta/app@${image}` },
    });
    expect(mapped.status).toBe(201);
  });
  afterAll(async () => api.close());

  it('refuses an istag create with an invalid owner reference, finalizer or generation', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ownerReferences: badOwner }, 'metadata.ownerReferences.uid'],
      [{ finalizers: ['not a finalizer!'] }, 'metadata.finalizers'],
      [{ generation: -1 }, 'metadata.generation'],
    ];
    for (const [meta, field] of cases) {
      const res = await call('POST', path('imagestreamtags'), { metadata: { name: 'app:one', ...meta }, tag: { from: ref('one'), reference: true } });
      expect(res.status).toBe(422);
      expect(res.body.reason).toBe('Invalid');
      expect(res.body.details.kind).toBe('ImageStreamTag');
      expect(fields(res)).toContain(field);
    }
    expect(await specTags()).toEqual(['base']);
  });

  it('refuses an itag create with an invalid owner reference or finalizer', async () => {
    for (const [meta, field] of [
      [{ ownerReferences: badOwner }, 'metadata.ownerReferences.uid'],
      [{ finalizers: ['not a finalizer!'] }, 'metadata.finalizers'],
    ] as [Record<string, unknown>, string][]) {
      const res = await call('POST', path('imagetags'), { metadata: { name: 'app:two', ...meta }, spec: { name: 'two', from: ref('two'), reference: true } });
      expect(res.status).toBe(422);
      expect(res.body.details.kind).toBe('ImageTag');
      expect(fields(res)).toContain(field);
    }
    expect(await specTags()).toEqual(['base']);
  });

  it('refuses an istag PUT (new tag, and on a missing stream) with an invalid owner reference', async () => {
    const put = await call('PUT', path('imagestreamtags', 'app:three'), {
      metadata: { name: 'app:three', ownerReferences: badOwner },
      tag: { from: ref('three'), reference: true },
    });
    expect(put.status).toBe(422);
    expect(fields(put)).toContain('metadata.ownerReferences.uid');
    expect(await specTags()).toEqual(['base']);

    const missing = await call('PUT', path('imagestreamtags', 'nostream:x'), {
      metadata: { name: 'nostream:x', finalizers: ['not a finalizer!'] },
      tag: { from: ref('x'), reference: true },
    });
    expect(missing.status).toBe(422);
    expect(fields(missing)).toContain('metadata.finalizers');
    expect((await call('GET', path('imagestreams', 'nostream'))).status).toBe(404);
  });

  it('accepts valid owner references and finalizers (the view does not store them)', async () => {
    const res = await call('POST', path('imagestreamtags'), {
      metadata: { name: 'app:ok', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'a1b2' }], finalizers: ['example.com/keep'] },
      tag: { from: ref('ok'), reference: true },
    });
    expect(res.status).toBe(201);
    expect(await specTags()).toEqual(['base', 'ok']);
  });
  it('refuses an istag or itag PUT naming another uid than the stream\'s: field is immutable (no 409 precondition)', async () => {
    const ist = (await call('GET', path('imagestreamtags', 'app:pushed'))).body;
    const res = await call('PUT', path('imagestreamtags', 'app:pushed'), { ...ist, metadata: { ...ist.metadata, uid: 'another' } });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'ImageStreamTag.image.openshift.io "app:pushed" is invalid: [metadata.uid: Invalid value: "another": field is immutable, ' +
        'metadata: Invalid value: "": may not update fields other than metadata.annotations]',
    );
    expect(fields(res)).toEqual(['metadata.uid', 'metadata']);

    const itag = (await call('GET', path('imagetags', 'app:pushed'))).body;
    const res2 = await call('PUT', path('imagetags', 'app:pushed'), { ...itag, metadata: { ...itag.metadata, uid: 'another' } });
    expect(res2.status).toBe(422);
    expect(fields(res2)).toEqual(['metadata.uid', 'metadata']);
    expect(res2.body.details.causes[0].message).toBe('Invalid value: "another": field is immutable');

    // The stream's own uid is no change (201: the push made no spec tag, this PUT adds one).
    const same = await call('PUT', path('imagestreamtags', 'app:pushed'), { ...ist, tag: { from: ref('pushed'), reference: true } });
    expect(same.status).toBe(201);
    expect(same.body.metadata.uid).toBe(ist.metadata.uid);
  });
});

describe('tag views: the name of a created tag is split as upstream create splits it', () => {
  let api: TestApi;
  const ns = 'view-split';
  const path = (resource: string, name = '') => `${api.base}/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
  const ref = (name: string) => ({ kind: 'DockerImage', name: `quay.io/view-split/app:${name}` });
  const specTags = async () => ((await call('GET', path('imagestreams', 'app'))).body.spec.tags ?? []).map((t: { name: string }) => t.name);

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  // library-go SplitImageStreamTag (imagestreamtag/imagetag rest.go Create): the first `:` splits,
  // the rest is the tag, an empty tag is `latest`; only a name without `:` fails.
  it('creates the tag after the first colon, `latest` for an empty one', async () => {
    const at = await call('POST', path('imagestreamtags'), { metadata: { name: 'app:a@b' }, tag: { from: ref('1'), reference: true } });
    expect(at.status).toBe(201);
    expect(at.body.metadata.name).toBe('app:a@b');
    expect(at.body.tag.name).toBe('a@b');
    // GET takes only <stream>:<tag> without `@` (ParseImageStreamTagName): such a tag is not readable there.
    expect((await call('GET', path('imagestreamtags', encodeURIComponent('app:a@b')))).status).toBe(400);

    const empty = await call('POST', path('imagestreamtags'), { metadata: { name: 'app:' }, tag: { from: ref('2'), reference: true } });
    expect(empty.status).toBe(201);
    expect(empty.body.metadata.name).toBe('app:latest');
    expect(empty.body.tag.name).toBe('latest');
    const again = await call('POST', path('imagestreamtags'), { metadata: { name: 'app:' }, tag: { from: ref('3'), reference: true } });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('imagestreamtag.image.openshift.io "app:" already exists');

    const itag = await call('POST', path('imagetags'), { metadata: { name: 'app:x:y' }, spec: { from: ref('4'), reference: true } });
    expect(itag.status).toBe(201);
    expect(itag.body.metadata.name).toBe('app:x:y');
    expect(itag.body.spec.name).toBe('x:y');

    expect(await specTags()).toEqual(['a@b', 'latest', 'x:y']);
  });

  it('answers a name without a stream as the stream store does, and one without a colon as before', async () => {
    const noStream = await call('POST', path('imagestreamtags'), { metadata: { name: ':x' }, tag: { from: ref('5'), reference: true } });
    expect(noStream.status).toBe(400);
    expect(noStream.body.message).toBe('Name parameter required.');
    const noColon = await call('POST', path('imagestreamtags'), { metadata: { name: 'nocolon' }, tag: { from: ref('6'), reference: true } });
    expect(noColon.status).toBe(400);
    expect(noColon.body.message).toBe('"nocolon" must be of the form <stream_name>:<tag>');
  });
});
