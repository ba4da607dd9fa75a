import { call } from '@app/testing';
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
});
