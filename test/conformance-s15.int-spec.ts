import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

/**
 * Black-box checks of openshift-apiserver behaviour that no other file pins down (conformance
 * audit s15). Each is read off upstream source, cited per test.
 */
describe('image.openshift.io conformance (audit s15)', () => {
  let api: TestApi;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const stream = async (n: string, name: string) => (await call('GET', `${ns(n)}/imagestreams/${name}`)).body;
  const top = (s: any, tag: string) => s.status.tags?.find((t: { tag: string }) => t.tag === tag)?.items?.[0];
  const map = async (n: string, name: string, tag: string, image: string) => {
    const res = await call('POST', `${ns(n)}/imagestreammappings`, {
      metadata: { name },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${n}/${name}@${image}` },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
  });
  afterAll(async () => api.close());

  // openshift-apiserver validation.go ValidateImageStreamTag(+Update): tag.annotations, when set, must
  // equal metadata.annotations; imagestreamtag strategy.go PrepareForUpdate copies metadata.annotations
  // into tag.annotations first, so only the create paths (POST, and a PUT that creates the stream:
  // rest.go update() runs BeforeCreate then) can fail it.
  it('istag tag.annotations different from metadata.annotations: 422 on create, replaced by metadata.annotations on update', async () => {
    const body = (name: string) => ({
      metadata: { name, annotations: { a: 'b' } },
      tag: {
        annotations: { a: 'c' },
        from: { kind: 'DockerImage', name: 'quay.io/ann/x:1' },
        reference: true,
      },
    });
    const message = 'tag annotations must not be provided or must be equal to the object meta annotations';
    for (const [method, path] of [
      ['POST', `${ns('ann')}/imagestreamtags`],
      ['PUT', `${ns('ann')}/imagestreamtags/s:t1`],
    ] as const) {
      const res = await call(method, path, body('s:t1'));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        reason: 'Invalid',
        message: `ImageStreamTag.image.openshift.io "s:t1" is invalid: tag.annotations: Invalid value: "<map>": ${message}`,
        details: {
          name: 's:t1',
          kind: 'ImageStreamTag',
          causes: [
            {
              reason: 'FieldValueInvalid',
              field: 'tag.annotations',
              message: `Invalid value: "<map>": ${message}`,
            },
          ],
        },
      });
    }
    expect((await call('GET', `${ns('ann')}/imagestreams/s`)).status).toBe(404);

    // The stream exists: an update of it, whose tag annotations become the metadata annotations.
    expect((await call('POST', `${ns('ann')}/imagestreams`, { metadata: { name: 's' } })).status).toBe(201);
    const res = await call('PUT', `${ns('ann')}/imagestreamtags/s:t1`, body('s:t1'));
    expect(res.status).toBe(201);
    expect(res.body.tag.annotations).toEqual({ a: 'b' });
    expect((await stream('ann', 's')).spec.tags).toEqual([
      expect.objectContaining({ name: 't1', annotations: { a: 'b' } }),
    ]);
  });

  // openshift-apiserver imagestreammapping/rest.go: AddTagEventToImageStream then
  // UpdateTrackingTags(stream, tag, event), which moves only the spec tags whose from names `tag`.
  it('a mapping moves the tags that track its tag, one level deep: a tag tracking the tracker stays', async () => {
    const created = await call('POST', `${ns('chain')}/imagestreams`, {
      metadata: { name: 's' },
      spec: {
        tags: [
          { name: 'b', from: { kind: 'ImageStreamTag', name: 'a' } },
          { name: 'c', from: { kind: 'ImageStreamTag', name: 's:b' } },
        ],
      },
    });
    expect(created.status).toBe(201);
    await map('chain', 's', 'a', digest('1'));
    let s = await stream('chain', 's');
    expect([top(s, 'a')?.image, top(s, 'b')?.image, top(s, 'c')]).toEqual([
      digest('1'),
      digest('1'),
      undefined,
    ]);
    await map('chain', 's', 'a', digest('2'));
    s = await stream('chain', 's');
    expect([top(s, 'a')?.image, top(s, 'b')?.image, top(s, 'c')]).toEqual([
      digest('2'),
      digest('2'),
      undefined,
    ]);
  });

  // openshift-apiserver imagestream/strategy.go StatusStrategy.PrepareForUpdate →
  // updateObservedGenerationForStatusUpdate: a newest entry sent with generation 0 takes the stream
  // generation when the tag is new in status or its newest entry did not change (tagEventChanged:
  // other image or reference, or the stored generation is higher, so 0 over a stored one is a
  // change); otherwise the spec tag's generation, or the stream's when there is no spec tag.
  it('/status: a newest entry with generation 0 is filled in as updateObservedGenerationForStatusUpdate does', async () => {
    expect(
      (
        await call('POST', `${ns('gen')}/imagestreams`, {
          metadata: { name: 's' },
          spec: { tags: [{ name: 'spec', from: { kind: 'ImageStreamTag', name: 'pushed' } }] },
        })
      ).status,
    ).toBe(201);
    await map('gen', 's', 'pushed', digest('a'));
    await map('gen', 's', 'nospec', digest('b'));
    // Two spec changes: stream generation 3, the spec tag keeps 1.
    for (const name of ['x', 'y']) {
      const current = await stream('gen', 's');
      current.spec.tags.push({
        name,
        from: { kind: 'DockerImage', name: `quay.io/gen/${name}:1` },
        reference: true,
      });
      expect((await call('PUT', `${ns('gen')}/imagestreams/s`, current)).status).toBe(200);
    }
    const before = await stream('gen', 's');
    expect(before.metadata.generation).toBe(3);
    expect(before.spec.tags.find((t: { name: string }) => t.name === 'spec').generation).toBe(1);

    const status = structuredClone(before.status);
    const zero = (tag: string) =>
      (status.tags.find((t: { tag: string }) => t.tag === tag).items[0].generation = 0);
    zero('spec'); // unchanged image and reference, stored generation higher: changed; spec tag generation
    zero('nospec'); // changed, no spec tag: stream generation
    status.tags.push({
      tag: 'new',
      items: [
        {
          created: '2020-01-01T00:00:00Z',
          dockerImageReference: `quay.io/gen/s@${digest('c')}`,
          image: digest('c'),
          generation: 0,
        },
      ],
    });
    const res = await call('PUT', `${ns('gen')}/imagestreams/s/status`, { ...before, status });
    expect(res.status).toBe(200);
    expect([
      top(res.body, 'spec').generation,
      top(res.body, 'nospec').generation,
      top(res.body, 'new').generation,
    ]).toEqual([1, 3, 3]);
  });
});
