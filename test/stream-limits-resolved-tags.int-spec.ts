import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * LimitRange `openshift.io/ImageStream` `max` of `openshift.io/images` on spec writes whose tags
 * copy an image from another tag (ImageStreamTag / ImageStreamImage sources). Upstream's strategy
 * resolves those sources into the new stream's status (tagsChanged) before its limit verifier
 * counts the status images, so such a write that brings the stream over the limit is refused.
 * Here the limit was checked on the spec references alone and the resolved image was added
 * past it (an istag create from another stream's tag gave a stream limited to 1 image a second).
 */
describe('openshift.io/images limit on images that spec tags copy from other tags', () => {
  let api: TestApi;
  const ns = 'limit-resolved';
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const streams = (name = '') => `${api.base}/namespaces/${ns}/imagestreams${name ? `/${name}` : ''}`;
  const istags = (name = '') => `${api.base}/namespaces/${ns}/imagestreamtags${name ? `/${name}` : ''}`;
  const map = (stream: string, tag: string, c: string) =>
    call('POST', `${api.base}/namespaces/${ns}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(c) }, dockerImageReference: `quay.io/x/${stream}@${digest(c)}` },
    });
  const imagesOf = async (stream: string): Promise<string[]> => {
    const tags = ((await call('GET', streams(stream))).body.status?.tags ?? []) as {
      items: { image: string }[];
    }[];
    return [...new Set(tags.flatMap((t) => t.items.map((i) => i.image)))].sort();
  };
  const overImages = (name: string, used: number) =>
    `Internal error: ImageStream.image.openshift.io "${name}" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (${used} > 1)`;

  beforeAll(async () => {
    api = await startTestApi();
    // Sources: src:a holds image 1, src:b image 2 (mapped before any limit).
    await call('POST', streams(), { metadata: { name: 'src' } });
    expect((await map('src', 'a', '1')).status).toBe(201);
    expect((await map('src', 'b', '2')).status).toBe(201);
    expect(
      (
        await call('POST', `${api.url}/api/v1/namespaces/${ns}/limitranges`, {
          metadata: { name: 'streams' },
          spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '1' } }] },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await api.close();
  });

  it('an ImageStreamTag create copying a second image is 422 and writes nothing; one copying an image the stream holds passes', async () => {
    const first = await call('POST', istags(), {
      metadata: { name: 'app:one' },
      tag: { from: { kind: 'ImageStreamTag', name: 'src:a' } },
    });
    expect(first.status).toBe(201);
    // The same image again adds nothing.
    const same = await call('POST', istags(), {
      metadata: { name: 'app:same' },
      tag: { from: { kind: 'ImageStreamImage', name: `src@${digest('1')}` } },
    });
    expect(same.status).toBe(201);
    const second = await call('POST', istags(), {
      metadata: { name: 'app:two' },
      tag: { from: { kind: 'ImageStreamTag', name: 'src:b' } },
    });
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({
      reason: 'Invalid',
      details: {
        name: 'app',
        kind: 'ImageStream',
        causes: [{ reason: 'InternalError', field: '[]', message: overImages('app', 2) }],
      },
    });
    expect(await imagesOf('app')).toEqual([digest('1')]);
    expect((await call('GET', istags('app:two'))).status).toBe(404);
  });

  it('a stream create and a spec patch whose tags copy images over the limit are refused the same way', async () => {
    const created = await call('POST', streams(), {
      metadata: { name: 'both' },
      spec: {
        tags: [
          { name: 'x', from: { kind: 'ImageStreamTag', name: 'src:a' } },
          { name: 'y', from: { kind: 'ImageStreamImage', name: `src@${digest('2')}` } },
        ],
      },
    });
    expect(created.status).toBe(422);
    expect(created.body.details.causes).toEqual([
      { reason: 'InternalError', field: '[]', message: overImages('both', 2) },
    ]);
    expect((await call('GET', streams('both'))).status).toBe(404);

    expect(
      (
        await call('POST', streams(), {
          metadata: { name: 'patched' },
          spec: { tags: [{ name: 'x', from: { kind: 'ImageStreamTag', name: 'src:a' } }] },
        })
      ).status,
    ).toBe(201);
    const moved = await call(
      'PATCH',
      streams('patched'),
      { spec: { tags: [{ name: 'x', from: { kind: 'ImageStreamTag', name: 'src:b' } }] } },
      'application/merge-patch+json',
    );
    expect(moved.status).toBe(422);
    expect(moved.body.details.causes).toEqual([
      { reason: 'InternalError', field: '[]', message: overImages('patched', 2) },
    ]);
    expect(await imagesOf('patched')).toEqual([digest('1')]);
  });
});
