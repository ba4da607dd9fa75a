import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const strategic = 'application/strategic-merge-patch+json';
const emptyImageMetadata = { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} };

/**
 * Upstream wire details of streams and their tag views: pull-spec length (§4), omitted empty
 * fields, image-less istags, ImageTag update naming, 404s through imagestreamimages, tag
 * resolution wording (§5.4.2) and the /status path (§5.2).
 */
describe('stream and tag-view fidelity', () => {
  let api: TestApi;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const createStream = async (n: string, body: Record<string, unknown>) => {
    const res = await call('POST', `${ns(n)}/imagestreams`, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  const map = async (n: string, stream: string, tag: string, image: string) => {
    const res = await call('POST', `${ns(n)}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${n}/${stream}@${image}` },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it("a spec tag's empty annotations map reads back as null, as upstream's protobuf storage returns it (the field has no omitempty)", async () => {
    const tags = [
      { name: 'empty', annotations: {}, from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } },
      { name: 'kept', annotations: { a: 'b' }, from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } },
      { name: 'unset', from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } },
    ];
    const created = await createStream('annot', { metadata: { name: 's' }, spec: { tags } });
    const read = (await call('GET', `${ns('annot')}/imagestreams/s`)).body;
    for (const stream of [created, read]) {
      expect(stream.spec.tags.map((t: { name: string; annotations: unknown }) => [t.name, t.annotations])).toEqual([
        ['empty', null],
        ['kept', { a: 'b' }],
        ['unset', null],
      ]);
    }
    const patched = await call('PATCH', `${ns('annot')}/imagestreams/s`, { spec: { tags: [{ name: 'kept', annotations: { a: null } }] } }, strategic);
    expect(patched.body.spec.tags.find((t: { name: string }) => t.name === 'kept').annotations).toBeNull();
  });

  it('a pull spec whose name, registry domain included, is over 255 characters is 422', async () => {
    const name = `quay.io/${'a'.repeat(250)}`;
    const res = await call('POST', `${ns('len')}/imagestreams`, { metadata: { name: 'app' }, spec: { tags: [{ name: 't', from: { kind: 'DockerImage', name } }] } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.tags[t].from.name', message: `Invalid value: "${name}": repository name must not be more than 255 characters` },
    ]);
  });

  it('spec-tag fields upstream omits when empty are not echoed (stream, istag, itag)', async () => {
    await createStream('omit', { metadata: { name: 'app' }, spec: {} });
    await map('omit', 'app', 'src', digest('1'));
    const sent = {
      from: { kind: 'ImageStreamTag', name: 'src', namespace: '' },
      reference: false,
      importPolicy: { insecure: false, scheduled: false },
    };
    const expected = {
      name: 'copy',
      annotations: null,
      from: { kind: 'ImageStreamTag', name: 'src' },
      generation: 2,
      importPolicy: { importMode: 'Legacy' },
      referencePolicy: { type: 'Source' },
    };
    const created = await call('POST', `${ns('omit')}/imagestreamtags`, { metadata: { name: 'app:copy' }, tag: sent });
    expect(created.status).toBe(201);
    expect(created.body.tag).toEqual(expected);
    expect((await call('GET', `${ns('omit')}/imagestreamtags/app:copy`)).body.tag).toEqual(expected);
    expect((await call('GET', `${ns('omit')}/imagetags/app:copy`)).body.spec).toEqual(expected);
    const stream = (await call('GET', `${ns('omit')}/imagestreams/app`)).body;
    expect(stream.spec.tags).toEqual([expected]);
    const viaStream = await call(
      'PATCH',
      `${ns('omit')}/imagestreams/app`,
      { spec: { tags: [{ name: 'other', ...sent, from: { ...sent.from, uid: '', fieldPath: '' } }] } },
      strategic,
    );
    expect(viaStream.body.spec.tags.find((t: { name: string }) => t.name === 'other')).toEqual({ ...expected, name: 'other', generation: 3 });
  });

  it('an image-less istag and istag list items carry the DockerImage metadata document and version', async () => {
    await createStream('empty', { metadata: { name: 'app' }, spec: {} });
    await map('empty', 'app', 'pushed', digest('2'));
    const created = await call('POST', `${ns('empty')}/imagestreamtags`, { metadata: { name: 'app:later' }, tag: { from: { kind: 'ImageStreamTag', name: 'nothing-yet' } } });
    expect(created.status).toBe(201);
    expect(created.body.image).toEqual({ metadata: {}, dockerImageMetadata: emptyImageMetadata, dockerImageMetadataVersion: '1.0' });
    const put = await call('PUT', `${ns('empty')}/imagestreamtags/app:later`, { metadata: { name: 'app:later' }, tag: { from: { kind: 'ImageStreamTag', name: 'still-nothing' } } });
    expect(put.status).toBe(200);
    expect(put.body.image).toEqual({ metadata: {}, dockerImageMetadata: emptyImageMetadata, dockerImageMetadataVersion: '1.0' });
    const list = await call('GET', `${ns('empty')}/imagestreamtags`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].image).toEqual({
      metadata: { name: digest('2') },
      dockerImageReference: `quay.io/empty/app@${digest('2')}`,
      dockerImageMetadata: emptyImageMetadata,
      dockerImageMetadataVersion: '1.0',
    });
  });

  it('ImageTag update: an empty spec.name is 422 (only create fills it in)', async () => {
    // Sources without history: the tag has no status, so only spec.name can be wrong.
    const source = (name: string) => ({ kind: 'ImageStreamTag', name });
    await createStream('itag', { metadata: { name: 's' }, spec: { tags: [{ name: 't', from: source('none-1') }] } });
    const res = await call('PUT', `${ns('itag')}/imagetags/s:t`, { metadata: { name: 's:t' }, spec: { name: '', from: source('none-2') } });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('ImageTag.image.openshift.io "s:t" is invalid: spec.name: Invalid value: "": must match image tag name');
    const created = await call('POST', `${ns('itag')}/imagetags`, { metadata: { name: 's:new' }, spec: { name: '', from: source('none-3') } });
    expect(created.status).toBe(201);
    expect(created.body.spec.name).toBe('new');
  });

  it('imagestreamimages 404s name the requested resource: a missing stream or Image', async () => {
    const noStream = await call('GET', `${ns('isi')}/imagestreamimages/nostream@aaaa`);
    expect(noStream.status).toBe(404);
    expect(noStream.body.message).toBe('imagestreamimages.image.openshift.io "nostream" not found');
    expect(noStream.body.details).toEqual({ name: 'nostream', group: 'image.openshift.io', kind: 'imagestreamimages' });
    await createStream('isi', { metadata: { name: 'app' }, spec: {} });
    await map('isi', 'app', 'gone', digest('3'));
    expect((await call('DELETE', `${api.base}/images/${digest('3')}`)).status).toBe(200);
    const noImage = await call('GET', `${ns('isi')}/imagestreamimages/app@${digest('3')}`);
    expect(noImage.status).toBe(404);
    expect(noImage.body.message).toBe(`imagestreamimages.image.openshift.io "${digest('3')}" not found`);
    expect(noImage.body.details.kind).toBe('imagestreamimages');
  });

  it('tag resolution errors use upstream wording', async () => {
    await createStream('res', { metadata: { name: 'lib' }, spec: {} });
    await map('res', 'lib', 'v1', digest('4'));
    const missing = await call('POST', `${ns('res')}/imagestreams`, {
      metadata: { name: 'x' },
      spec: { tags: [{ name: 'a', from: { kind: 'ImageStreamTag', name: 'nos:m' } }] },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe(
      'ImageStream.image.openshift.io "x" is invalid: []: Internal error: imagestreams "x" is invalid: spec.tags[a].from.name: Not found: "nos:m"',
    );
    const unmatched = await call('POST', `${ns('res')}/imagestreams`, {
      metadata: { name: 'y' },
      spec: { tags: [{ name: 'b', from: { kind: 'ImageStreamImage', name: 'lib@ffff' } }] },
    });
    expect(unmatched.status).toBe(422);
    expect(unmatched.body.details.causes[0]).toEqual({
      reason: 'InternalError',
      field: '[]',
      message:
        'Internal error: imagestreams "y" is invalid: spec.tags[b].from.name: Invalid value: "lib@ffff": error generating tag event: imagestreamimage.image.openshift.io "ffff" not found',
    });
  });

  it('a scheduled ImageStreamTag/ImageStreamImage tag without from.name gets both causes (ValidateImageStreamTagReference)', async () => {
    for (const kind of ['ImageStreamTag', 'ImageStreamImage']) {
      const res = await call('POST', `${ns('sched')}/imagestreams`, {
        metadata: { name: 'app' },
        spec: { tags: [{ name: 'a', from: { kind }, importPolicy: { scheduled: true } }] },
      });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        { reason: 'FieldValueRequired', field: 'spec.tags[a].from.name', message: 'Required value' },
        {
          reason: 'FieldValueInvalid',
          field: 'spec.tags[a].importPolicy.scheduled',
          message: 'Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import',
        },
      ]);
    }
  });

  describe('imagestreams/{name}/status', () => {
    const status = (n: string) => `${ns('st')}/imagestreams/${n}/status`;
    const tagOf = (s: any, tag: string) => s.status.tags.find((t: { tag: string }) => t.tag === tag);
    const ref = (image: string) => `quay.io/st/app@${image}`;

    it('a new top item without generation takes the spec tag generation when the top changed', async () => {
      await createStream('st', { metadata: { name: 'app' }, spec: { tags: [{ name: 'one', from: { kind: 'DockerImage', name: ref(digest('5')) }, reference: true }] } });
      const current = (await call('GET', `${ns('st')}/imagestreams/app`)).body;
      const grown = await call('PUT', `${ns('st')}/imagestreams/app`, {
        ...current,
        spec: { ...current.spec, tags: [...current.spec.tags, { name: 'two', from: { kind: 'DockerImage', name: ref(digest('6')) }, reference: true }] },
      });
      expect(grown.body.metadata.generation).toBe(2);
      expect(grown.body.spec.tags.find((t: { name: string }) => t.name === 'one').generation).toBe(1);
      const before = tagOf(grown.body, 'one').items;
      const res = await call(
        'PATCH',
        status('app'),
        { status: { tags: [{ tag: 'one', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: ref(digest('7')), image: digest('7'), generation: 0 }, ...before] }] } },
        strategic,
      );
      expect(res.status).toBe(200);
      expect(tagOf(res.body, 'one').items.map((i: { image: string; generation: number }) => [i.image, i.generation])).toEqual([
        [digest('7'), 1],
        ['', 1],
      ]);
    });

    it('an identical write keeps the resourceVersion and emits no watch event', async () => {
      const current = (await call('GET', `${ns('st')}/imagestreams/app`)).body;
      const rv = current.metadata.resourceVersion;
      const w = watchEvents(`${ns('st')}/imagestreams?watch=true&resourceVersion=${rv}`);
      try {
        const same = await call('PUT', status('app'), current);
        expect(same.status).toBe(200);
        expect(same.body.metadata.resourceVersion).toBe(rv);
        const patched = await call('PATCH', status('app'), { status: { tags: current.status.tags } }, 'application/merge-patch+json');
        expect(patched.body.metadata.resourceVersion).toBe(rv);
        await call('PATCH', `${ns('st')}/imagestreams/app`, { metadata: { labels: { after: 'noop' } } }, 'application/merge-patch+json');
        await w.waitFor((e) => e.some((x) => x.object.metadata.labels?.after === 'noop'));
        expect(w.events.map((e) => e.type)).toEqual(['MODIFIED']);
      } finally {
        w.stop();
        await w.done;
      }
    });
  });
});
