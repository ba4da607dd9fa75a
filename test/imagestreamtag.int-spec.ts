import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

/** An image-less istag's image (and a list item's, plus name and pull spec): upstream's v1 conversion of an empty Image. */
const emptyImage = {
  metadata: {},
  dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0', Id: '', Created: null, ContainerConfig: {} },
  dockerImageMetadataVersion: '1.0',
};
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const jsonMerge = 'application/merge-patch+json';

/** ImageStreamTag semantics (reference §3.5, §5.4, §5.7, §5.12, §5.13) over HTTP. */
describe('imagestreamtags', () => {
  let api: TestApi;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const istag = (n: string, name: string) => `${ns(n)}/imagestreamtags/${name}`;

  const createStream = async (n: string, body: Record<string, unknown>) => {
    const res = await call('POST', `${ns(n)}/imagestreams`, body);
    expect(res.status).toBe(201);
    return res.body;
  };
  const map = async (n: string, stream: string, tag: string, image: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', `${ns(n)}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/${n}/${stream}@${image}`, ...extra },
    });
    expect(res.status).toBe(201);
  };
  const stream = async (n: string, name: string) => (await call('GET', `${ns(n)}/imagestreams/${name}`)).body;
  const statusTag = (s: any, tag: string) => s.status.tags?.find((t: { tag: string }) => t.tag === tag);

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
    await createStream('get', {
      metadata: { name: 'ruby', labels: { team: 'web' } },
      spec: {
        lookupPolicy: { local: true },
        tags: [
          { name: 'local', annotations: { description: 'pull through' }, from: { kind: 'ImageStreamTag', name: '3.1' }, referencePolicy: { type: 'Local' } },
          { name: 'spec-only', from: { kind: 'DockerImage', name: 'quay.io/get/ruby:9' } },
          { name: 'ref', from: { kind: 'DockerImage', name: 'quay.io/get/ruby:ref' }, reference: true },
        ],
      },
    });
    await map('get', 'ruby', '3.1', digest('a'), {
      metadata: { name: digest('a'), annotations: { own: 'yes' } },
      dockerImageManifest: '{"schemaVersion":2}',
      dockerImageLayers: [{ name: digest('1'), size: 10, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
    });
  });
  afterAll(async () => api.close());

  describe('GET', () => {
    it('rejects names that are not <stream>:<tag> with 400', async () => {
      for (const bad of ['foo', 'a:b:c', 'a@b', 'a:b@c', ':b', 'a:']) {
        const res = await call('GET', istag('get', encodeURIComponent(bad)));
        expect({ bad, status: res.status, message: res.body.message }).toEqual({
          bad,
          status: 400,
          message: 'ImageStreamTags must be retrieved with <name>:<tag>',
        });
      }
    });

    it('answers 404 for a missing stream (named after the stream), a spec-only tag and an image-less reference tag', async () => {
      const noStream = await call('GET', istag('get', 'nope:latest'));
      expect(noStream.status).toBe(404);
      expect(noStream.body.details).toEqual({ name: 'nope', group: 'image.openshift.io', kind: 'imagestreamtags' });
      for (const tag of ['spec-only', 'ref', 'never']) {
        const res = await call('GET', istag('get', `ruby:${tag}`));
        expect(res.status).toBe(404);
        expect(res.body.message).toBe(`imagestreamtags.image.openshift.io "ruby:${tag}" not found`);
      }
    });

    it('answers 404 naming the image, under imagestreamtags, when the current Image is gone (the store names the requested resource)', async () => {
      await createStream('get-gone', { metadata: { name: 'app' } });
      await map('get-gone', 'app', 'v1', digest('9'));
      expect((await call('DELETE', `${api.base}/images/${digest('9')}`)).status).toBe(200);
      const res = await call('GET', istag('get-gone', 'app:v1'));
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`imagestreamtags.image.openshift.io "${digest('9')}" not found`);
      expect(res.body.details).toEqual({ name: digest('9'), group: 'image.openshift.io', kind: 'imagestreamtags' });
    });

    it('names an image that is not a digest as a tag in local pull specs (library-go NameString: `repo:<id>`)', async () => {
      await createStream('get-v1', { metadata: { name: 'app' }, spec: { tags: [{ name: 'local', referencePolicy: { type: 'Local' } }] } });
      const managed = { metadata: { name: 'v1id', annotations: { 'openshift.io/image.managed': 'true' } }, dockerImageReference: 'quay.io/get-v1/app:old' };
      await map('get-v1', 'app', 'local', 'v1id', managed);
      const res = await call('GET', istag('get-v1', 'app:local'));
      expect(res.status).toBe(200);
      expect(res.body.image.dockerImageReference).toBe('registry.local:5000/get-v1/app:v1id');
      // A managed Image mapped again into another stream gets that stream's pull spec the same way.
      await createStream('get-v1', { metadata: { name: 'other' } });
      await map('get-v1', 'other', 'latest', 'v1id', managed);
      expect(statusTag(await stream('get-v1', 'other'), 'latest').items[0].dockerImageReference).toBe('registry.local:5000/get-v1/other:v1id');
      // A mapping without a reference gets the internal registry's, named the same way (was `@v1id2`, refused as invalid).
      const bare = await call('POST', `${ns('get-v1')}/imagestreammappings`, { metadata: { name: 'other' }, tag: 'bare', image: { metadata: { name: 'v1id2' } } });
      expect(bare.status).toBe(201);
      expect((await call('GET', `${api.base}/images/v1id2`)).body.dockerImageReference).toBe('registry.local:5000/get-v1/other:v1id2');
    });

    it('serves the tag with the stream identity, the full image and the source pull spec', async () => {
      const s = await stream('get', 'ruby');
      const res = await call('GET', istag('get', 'ruby:3.1'));
      expect(res.status).toBe(200);
      const top = statusTag(s, '3.1').items[0];
      expect(res.body).toMatchObject({
        kind: 'ImageStreamTag',
        apiVersion: 'image.openshift.io/v1',
        metadata: {
          name: 'ruby:3.1',
          namespace: 'get',
          uid: s.metadata.uid,
          resourceVersion: s.metadata.resourceVersion,
          creationTimestamp: top.created,
          labels: { team: 'web' },
        },
        tag: null,
        generation: top.generation,
        lookupPolicy: { local: true },
      });
      expect(res.body.image).toMatchObject({
        metadata: { name: digest('a'), annotations: { own: 'yes' } },
        dockerImageReference: `quay.io/get/ruby@${digest('a')}`,
        dockerImageLayers: [{ name: digest('1'), size: 10 }],
        dockerImageMetadata: { kind: 'DockerImage', apiVersion: 'image.openshift.io/1.0' },
      });
      expect(res.body.image.dockerImageManifest).toBeUndefined();
      expect(res.body.image.dockerImageConfig).toBeUndefined();
    });

    it('resolves referencePolicy Local to <status.dockerImageRepository>@<digest> and merges tag annotations', async () => {
      const res = await call('GET', istag('get', 'ruby:local'));
      expect(res.status).toBe(200);
      expect(res.body.image.dockerImageReference).toBe(`registry.local:5000/get/ruby@${digest('a')}`);
      expect(res.body.metadata.annotations).toEqual({ description: 'pull through' });
      expect(res.body.image.metadata.annotations).toEqual({ own: 'yes', description: 'pull through' });
      expect(res.body.tag).toMatchObject({ name: 'local', referencePolicy: { type: 'Local' }, from: { kind: 'ImageStreamTag', name: '3.1' } });
    });

    it('carries the tag conditions', async () => {
      const s = await stream('get', 'ruby');
      const condition = { type: 'ImportSuccess', status: 'False', reason: 'NotFound', message: 'gone', lastTransitionTime: '2025-01-01T00:00:00Z', generation: 1 };
      const tags = s.status.tags.map((t: any) => (t.tag === '3.1' ? { ...t, conditions: [condition] } : t));
      const put = await call('PUT', `${ns('get')}/imagestreams/ruby/status`, { ...s, status: { ...s.status, tags } });
      expect(put.status).toBe(200);
      const res = await call('GET', istag('get', 'ruby:3.1'));
      expect(res.body.conditions).toEqual([condition]);
    });
  });

  describe('LIST', () => {
    beforeAll(async () => {
      await createStream('list-a', { metadata: { name: 'app', labels: { tier: 'front' } }, spec: { tags: [{ name: 'spec-only', from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } }] } });
      await createStream('list-a', { metadata: { name: 'base' }, spec: {} });
      await createStream('list-b', { metadata: { name: 'app' }, spec: {} });
      await map('list-a', 'app', 'v2', digest('b'));
      await map('list-a', 'app', 'v1', digest('c'));
      await map('list-a', 'base', 'latest', digest('d'));
      await map('list-b', 'app', 'latest', digest('e'));
      // History does not multiply list entries: the newest event of each tag only.
      await map('list-a', 'app', 'v1', digest('f'));
    });

    it('lists tags with an image, sorted by stream then tag, without spec-only tags (paging: kubectl-sweep.int-spec.ts)', async () => {
      const res = await call('GET', `${ns('list-a')}/imagestreamtags`);
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe('ImageStreamTagList');
      expect(res.body.metadata.continue).toBeUndefined();
      expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(['app:v1', 'app:v2', 'base:latest']);
      const v1 = res.body.items[0];
      expect(v1.kind).toBeUndefined();
      expect(v1.image).toEqual({ ...emptyImage, metadata: { name: digest('f') }, dockerImageReference: `quay.io/list-a/app@${digest('f')}` });
      expect(v1.metadata.labels).toEqual({ tier: 'front' });
    });

    it('lists across namespaces and applies label and field selectors to the tag objects', async () => {
      const all = await call('GET', `${api.base}/imagestreamtags`);
      const names = all.body.items.filter((i: any) => i.metadata.namespace.startsWith('list-')).map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`);
      expect(names).toEqual(['list-a/app:v1', 'list-a/app:v2', 'list-a/base:latest', 'list-b/app:latest']);
      const labelled = await call('GET', `${ns('list-a')}/imagestreamtags?labelSelector=tier%3Dfront`);
      expect(labelled.body.items.map((i: any) => i.metadata.name)).toEqual(['app:v1', 'app:v2']);
      const byName = await call('GET', `${api.base}/imagestreamtags?fieldSelector=metadata.name%3Dapp%3Alatest`);
      expect(byName.body.items.map((i: any) => i.metadata.namespace)).toEqual(['list-b']);
      const bad = await call('GET', `${ns('list-a')}/imagestreamtags?fieldSelector=spec.foo%3Dx`);
      expect(bad.status).toBe(400);
    });

    it('has no watch', async () => {
      const res = await call('GET', `${ns('list-a')}/imagestreamtags?watch=true`);
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({
        reason: 'MethodNotAllowed',
        message: 'watch is not supported on resources of kind "imagestreamtags.image.openshift.io"',
        details: { group: 'image.openshift.io', kind: 'imagestreamtags' },
      });
    });
  });

  describe('writes', () => {
    // First in this block: rolled-back writes below leave version gaps the change feed waits out.
    it('every tag write is an ImageStream MODIFIED event', async () => {
      await createStream('ev', { metadata: { name: 'app' }, spec: {} });
      const w = watchEvents(`${ns('ev')}/imagestreams?watch=true`);
      try {
        await w.waitFor((e) => e.some((x) => x.type === 'ADDED'));
        expect((await call('PUT', istag('ev', 'app:t'), { metadata: { name: 'app:t' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/ev/app:1' } } })).status).toBe(201);
        await w.waitFor((e) => e.some((x) => x.type === 'MODIFIED' && x.object.spec.tags?.[0]?.name === 't'));
        expect((await call('DELETE', istag('ev', 'app:t'))).status).toBe(200);
        await w.waitFor((e) => e.some((x) => x.type === 'MODIFIED' && !x.object.spec.tags));
      } finally {
        w.stop();
        await w.done;
      }
    });

    it('POST creates the stream when missing; a second POST of the same spec tag is 409', async () => {
      const body = { metadata: { name: 'fresh:v1' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/fresh:1' }, reference: true } };
      const res = await call('POST', `${ns('w')}/imagestreamtags`, body);
      expect(res.status).toBe(201);
      expect(res.body.tag).toMatchObject({ name: 'v1', generation: 1, reference: true, referencePolicy: { type: 'Source' }, importPolicy: { importMode: 'Legacy' } });
      expect(res.body.image).toEqual(emptyImage);
      const s = await stream('w', 'fresh');
      expect(res.body.metadata.uid).toBe(s.metadata.uid);
      // reference:true DockerImage tags record their pull spec at once (no Image, so istag GET is 404).
      expect(statusTag(s, 'v1').items[0]).toMatchObject({ dockerImageReference: 'quay.io/w/fresh:1', image: '' });
      const again = await call('POST', `${ns('w')}/imagestreamtags`, body);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ reason: 'AlreadyExists', message: 'imagestreamtag.image.openshift.io "fresh:v1" already exists' });
    });

    it('POST validates the name and the tag reference', async () => {
      const bad = await call('POST', `${ns('w')}/imagestreamtags`, { metadata: { name: 'nocolon' }, tag: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('"nocolon" must be of the form <stream_name>:<tag>');
      // Metadata is validated before the name is split (rest.BeforeCreate): no name is 422, and a
      // generateName is the name (the istag strategy's GenerateName returns the base unchanged).
      const noName = await call('POST', `${ns('w')}/imagestreamtags`, { metadata: {}, tag: null });
      expect(noName.status).toBe(422);
      expect(noName.body.details.causes).toEqual([
        { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
      ]);
      const generated = await call('POST', `${ns('w')}/imagestreamtags`, { metadata: { generateName: 'gen:v1' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/a/gen:1' } } });
      expect(generated.status).toBe(201);
      expect(generated.body.metadata.name).toBe('gen:v1');
      const invalid = await call('POST', `${ns('w')}/imagestreamtags`, { metadata: { name: 'x:y' }, tag: { from: { kind: 'Nope', name: 'a' } } });
      expect(invalid.status).toBe(422);
      expect(invalid.body.details).toMatchObject({ kind: 'ImageStreamTag', causes: [{ field: 'tag.from.kind' }] });
      const annotations = await call('POST', `${ns('w')}/imagestreamtags`, {
        metadata: { name: 'x:y', annotations: { a: '1' } },
        tag: { annotations: { a: '2' }, from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } },
      });
      expect(annotations.status).toBe(422);
      expect(annotations.body.details.causes[0].field).toBe('tag.annotations');
      expect((await call('GET', `${ns('w')}/imagestreams/x`)).status).toBe(404);
    });

    it('blind PUT creates a missing stream (201), changes an existing spec tag (200) and adds a new one (201)', async () => {
      await map('w', 'fresh', 'src', digest('1'));
      const created = await call('PUT', istag('w', 'blind:latest'), { metadata: { name: 'blind:latest' }, tag: { from: { kind: 'ImageStreamImage', name: `fresh@${digest('1').slice(7, 19)}` } } });
      expect(created.status).toBe(201);
      expect(created.body.image.metadata.name).toBe(digest('1'));
      const s1 = await stream('w', 'blind');
      expect(s1.metadata.generation).toBe(1);
      const changed = await call('PUT', istag('w', 'blind:latest'), { metadata: { name: 'blind:latest' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/other:2' } } });
      expect(changed.status).toBe(200);
      expect(changed.body.tag).toMatchObject({ from: { kind: 'DockerImage', name: 'quay.io/w/other:2' }, generation: 2 });
      expect(changed.body.metadata.resourceVersion).toBe((await stream('w', 'blind')).metadata.resourceVersion);
      const added = await call('PUT', istag('w', 'blind:second'), { metadata: { name: 'blind:second' }, tag: { from: { kind: 'ImageStreamTag', name: 'fresh:src' } } });
      expect(added.status).toBe(201);
      expect(added.body.image.dockerImageReference).toBe(`quay.io/w/fresh@${digest('1')}`);
      const noop = await call('PUT', istag('w', 'blind:second'), { metadata: { name: 'blind:second' }, tag: { from: { kind: 'ImageStreamTag', name: 'fresh:src' } } });
      expect(noop.status).toBe(200);
      expect(noop.body.metadata.resourceVersion).toBe(added.body.metadata.resourceVersion);
    });

    it('PUT: a stale resourceVersion is 409, one on a missing stream 404, a status-only tag without `tag` 400', async () => {
      const current = await call('PUT', istag('w', 'rv:t'), { metadata: { name: 'rv:t' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/rv:1' } } });
      expect(current.status).toBe(201);
      const stale = await call('PUT', istag('w', 'rv:t'), { metadata: { name: 'rv:t', resourceVersion: '1' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/rv:2' } } });
      expect(stale.status).toBe(409);
      expect(stale.body.message).toBe(
        `Operation cannot be fulfilled on imagestreamtags.image.openshift.io "rv:t": another caller has updated the resource version to ${current.body.metadata.resourceVersion}`,
      );
      const fresh = await call('PUT', istag('w', 'rv:t'), { metadata: { name: 'rv:t', resourceVersion: current.body.metadata.resourceVersion }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/rv:2' } } });
      expect(fresh.status).toBe(200);
      const missing = await call('PUT', istag('w', 'gone:t'), { metadata: { name: 'gone:t', resourceVersion: '5' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/rv:2' } } });
      expect(missing.status).toBe(404);
      await map('w', 'rv', 'pushed', digest('2'));
      const noTag = await call('PUT', istag('w', 'rv:pushed'), { metadata: { name: 'rv:pushed', annotations: { a: 'b' } } });
      expect(noTag.status).toBe(400);
      expect(noTag.body.message).toBe('imagestreamtag pushed is not a spec tag in imagestream w/rv, cannot be updated');
    });

    it('PUT may change only tag and annotations; annotations become the spec tag annotations', async () => {
      await createStream('w', { metadata: { name: 'meta', labels: { team: 'a' } }, spec: { tags: [{ name: 't', from: { kind: 'DockerImage', name: 'quay.io/w/m:1' } }] } });
      const labels = await call('PUT', istag('w', 'meta:t'), { metadata: { name: 'meta:t', labels: { team: 'b' } }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/m:1' } } });
      expect(labels.status).toBe(422);
      expect(labels.body.details.causes[0]).toMatchObject({ field: 'metadata', message: 'Invalid value: "": may not update fields other than metadata.annotations' });
      // Old clients leave labels out: they default to the stream's.
      const annotated = await call('PUT', istag('w', 'meta:t'), {
        metadata: { name: 'meta:t', annotations: { note: 'hi' } },
        tag: { from: { kind: 'DockerImage', name: 'quay.io/w/m:1' } },
        lookupPolicy: { local: true },
        generation: 99,
      });
      expect(annotated.status).toBe(200);
      expect(annotated.body.metadata.annotations).toEqual({ note: 'hi' });
      const s = await stream('w', 'meta');
      expect(s.spec.tags[0].annotations).toEqual({ note: 'hi' });
      expect(s.spec.lookupPolicy).toEqual({ local: false });
    });

    it('PATCH (merge and JSON) edits the current view, also of a spec-only tag', async () => {
      await createStream('w', { metadata: { name: 'patched' }, spec: { tags: [{ name: 't', from: { kind: 'DockerImage', name: 'quay.io/w/p:1' } }] } });
      const merge = await call('PATCH', istag('w', 'patched:t'), { tag: { referencePolicy: { type: 'Local' } } }, jsonMerge);
      expect(merge.status).toBe(200);
      expect(merge.body.tag.referencePolicy).toEqual({ type: 'Local' });
      const json = await call('PATCH', istag('w', 'patched:t'), [{ op: 'replace', path: '/tag/from/name', value: 'quay.io/w/p:2' }], 'application/json-patch+json');
      expect(json.status).toBe(200);
      expect((await stream('w', 'patched')).spec.tags[0]).toMatchObject({ from: { name: 'quay.io/w/p:2' }, referencePolicy: { type: 'Local' } });
      const stale = await call('PATCH', istag('w', 'patched:t'), { metadata: { resourceVersion: '1' }, tag: { reference: true } }, jsonMerge);
      expect(stale.status).toBe(409);
    });

    it('dryRun=All writes nothing', async () => {
      const res = await call('PUT', `${istag('w', 'dry:t')}?dryRun=All`, { metadata: { name: 'dry:t' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/w/d:1' } } });
      expect(res.status).toBe(201);
      expect(res.body.tag.name).toBe('t');
      expect((await call('GET', `${ns('w')}/imagestreams/dry`)).status).toBe(404);
      // On an existing stream the answer keeps the stream's resourceVersion (kubectl diff shows no change to it).
      await createStream('w', { metadata: { name: 'dry2' }, spec: { tags: [{ name: 't', from: { kind: 'DockerImage', name: 'quay.io/w/d:1' } }] } });
      const before = (await stream('w', 'dry2')).metadata.resourceVersion;
      const patched = await call('PATCH', `${istag('w', 'dry2:t')}?dryRun=All`, { tag: { from: { name: 'quay.io/w/d:2' } } }, jsonMerge);
      expect(patched.status).toBe(200);
      expect(patched.body.tag.from.name).toBe('quay.io/w/d:2');
      expect(patched.body.metadata.resourceVersion).toBe(before);
      const after = await stream('w', 'dry2');
      expect([after.metadata.resourceVersion, after.spec.tags[0].from.name]).toEqual([before, 'quay.io/w/d:1']);
    });

    it('DELETE removes the spec tag and the history (Images stay); then 404; uid precondition', async () => {
      await createStream('d', { metadata: { name: 'app' }, spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] } });
      await map('d', 'app', 'v1', digest('7'));
      await map('d', 'app', 'v1', digest('8'));
      const before = await stream('d', 'app');
      const wrongUid = await call('DELETE', istag('d', 'app:latest'), { preconditions: { uid: 'nope' } });
      expect(wrongUid.status).toBe(409);
      expect(wrongUid.body.message).toContain('the UID precondition was not met');
      const del = await call('DELETE', istag('d', 'app:latest'), { preconditions: { uid: before.metadata.uid } });
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      const after = await stream('d', 'app');
      expect(after.spec.tags).toBeUndefined();
      expect(statusTag(after, 'latest')).toBeUndefined();
      expect(after.metadata.generation).toBe(before.metadata.generation + 1);
      // A status-only tag (pushed, no spec tag) is deletable too.
      const statusOnly = await call('DELETE', istag('d', 'app:v1'));
      expect(statusOnly.status).toBe(200);
      expect((await stream('d', 'app')).status.tags).toBeUndefined();
      expect((await call('GET', `${api.base}/images/${digest('8')}`)).status).toBe(200);
      const again = await call('DELETE', istag('d', 'app:v1'));
      expect(again.status).toBe(404);
      const noStream = await call('DELETE', istag('d', 'none:v1'));
      expect(noStream.status).toBe(404);
    });

  });

  describe('tag tracking (spec tags that reference other tags)', () => {
    it('aliases in the same stream follow every move; ImageStreamTag copies from other streams are taken once', async () => {
      await createStream('track', { metadata: { name: 'src' }, spec: {} });
      await map('track', 'src', 'v1', digest('1'));
      await createStream('track', {
        metadata: { name: 'dst' },
        spec: {
          tags: [
            { name: 'copy', from: { kind: 'ImageStreamTag', name: 'src:v1' } },
            { name: 'alias', from: { kind: 'ImageStreamTag', name: 'pushed' } },
          ],
        },
      });
      expect((await call('GET', istag('track', 'dst:copy'))).body.image.metadata.name).toBe(digest('1'));
      await map('track', 'src', 'v1', digest('2'));
      await map('track', 'dst', 'pushed', digest('3'));
      expect((await call('GET', istag('track', 'dst:copy'))).body.image.metadata.name).toBe(digest('1'));
      expect((await call('GET', istag('track', 'dst:alias'))).body.image.metadata.name).toBe(digest('3'));
      // Re-pointing the copy (a changed from; generation 0 does not copy again) takes the new source.
      const s = await stream('track', 'dst');
      const tags = s.spec.tags.map((t: any) => (t.name === 'copy' ? { ...t, from: { kind: 'ImageStreamImage', name: `src@${digest('2')}` } } : t));
      expect((await call('PUT', `${ns('track')}/imagestreams/dst`, { ...s, spec: { ...s.spec, tags } })).status).toBe(200);
      expect((await call('GET', istag('track', 'dst:copy'))).body.image.metadata.name).toBe(digest('2'));
    });

    it('an alias written `<stream>:` follows `latest`, one naming its own namespace follows too (upstream UpdateTrackingTags)', async () => {
      await createStream('track-latest', {
        metadata: { name: 'app' },
        spec: {
          tags: [
            { name: 'head', from: { kind: 'ImageStreamTag', name: 'app:' } },
            { name: 'same-ns', from: { kind: 'ImageStreamTag', name: 'latest', namespace: 'track-latest' } },
          ],
        },
      });
      await map('track-latest', 'app', 'latest', digest('4'));
      expect((await call('GET', istag('track-latest', 'app:head'))).body.image?.metadata.name).toBe(digest('4'));
      expect((await call('GET', istag('track-latest', 'app:same-ns'))).body.image?.metadata.name).toBe(digest('4'));
    });

    it('cross-namespace sources must exist (422); ImageStreamImage sources match by prefix; ambiguity is 422', async () => {
      const missing = await call('PUT', istag('track', 'x:y'), { metadata: { name: 'x:y' }, tag: { from: { kind: 'ImageStreamTag', name: 'nope:v1', namespace: 'elsewhere' } } });
      expect(missing.status).toBe(422);
      expect(missing.body.details.causes[0]).toMatchObject({ reason: 'InternalError', field: '[]' });
      expect(missing.body.details.causes[0].message).toContain('spec.tags[y].from.name: Not found: "nope:v1"');
      await createStream('other-ns', { metadata: { name: 'lib' }, spec: {} });
      await map('other-ns', 'lib', 'a', `sha256:ab${'0'.repeat(62)}`);
      await map('other-ns', 'lib', 'b', `sha256:ac${'0'.repeat(62)}`);
      const cross = await call('PUT', istag('track', 'x:y'), { metadata: { name: 'x:y' }, tag: { from: { kind: 'ImageStreamImage', name: 'lib@ab', namespace: 'other-ns' } } });
      expect(cross.status).toBe(201);
      expect(cross.body.image.metadata.name).toBe(`sha256:ab${'0'.repeat(62)}`);
      const ambiguous = await call('PUT', istag('track', 'x:z'), { metadata: { name: 'x:z' }, tag: { from: { kind: 'ImageStreamImage', name: 'lib@a', namespace: 'other-ns' } } });
      expect(ambiguous.status).toBe(422);
      expect(ambiguous.body.details.causes[0].message).toContain('multiple images match the prefix "a"');
    });

    it('rewrites internal-registry pull specs of the source stream to the destination stream', async () => {
      await createStream('track', { metadata: { name: 'pushed' }, spec: {} });
      const d = digest('9');
      const res = await call('POST', `${ns('track')}/imagestreammappings`, {
        metadata: { name: 'pushed' },
        tag: 'v1',
        image: { metadata: { name: d }, dockerImageReference: `registry.local:5000/track/pushed@${d}` },
      });
      expect(res.status).toBe(201);
      const copy = await call('PUT', istag('track', 'consumer:v1'), { metadata: { name: 'consumer:v1' }, tag: { from: { kind: 'ImageStreamTag', name: 'pushed:v1' } } });
      expect(copy.body.image.dockerImageReference).toBe(`registry.local:5000/track/consumer@${d}`);
      const ref = await call('PUT', istag('track', 'consumer:ref'), { metadata: { name: 'consumer:ref' }, tag: { from: { kind: 'ImageStreamTag', name: 'pushed:v1' }, reference: true } });
      expect(ref.body.image.dockerImageReference).toBe(`registry.local:5000/track/pushed@${d}`);
      // A tag-form pull spec of the source (an image not named by a digest) moves the same way.
      const byName = await call('POST', `${ns('track')}/imagestreammappings`, { metadata: { name: 'pushed' }, tag: 'v0', image: { metadata: { name: 'legacy1' } } });
      expect(byName.status).toBe(201);
      const copied = await call('PUT', istag('track', 'consumer:v0'), { metadata: { name: 'consumer:v0' }, tag: { from: { kind: 'ImageStreamTag', name: 'pushed:v0' } } });
      expect(copied.body.image.dockerImageReference).toBe('registry.local:5000/track/consumer:legacy1');
    });

    it('a tracked source without history resolves later through the alias, not at write time', async () => {
      const res = await call('PUT', istag('track', 'later:latest'), { metadata: { name: 'later:latest' }, tag: { from: { kind: 'ImageStreamTag', name: 'v1' } } });
      expect(res.status).toBe(201);
      expect(res.body.image).toEqual(emptyImage);
      await map('track', 'later', 'v1', digest('5'));
      expect((await call('GET', istag('track', 'later:latest'))).body.image.metadata.name).toBe(digest('5'));
    });
  });

  it('tag views over a stream with 50,000 history entries answer each tag from its newest entry (their cost: bench:api, big database)', async () => {
    await createStream('cost', { metadata: { name: 'big' }, spec: {} });
    await map('cost', 'big', 'latest', digest('0'));
    const uid = (await stream('cost', 'big')).metadata.uid;
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    try {
      await pg.query(
        `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
         SELECT $1, 't' || (g % 10), now(), 'quay.io/cost/big@sha256:' || lpad(g::text, 64, '0'), 'sha256:' || lpad(g::text, 64, '0'), 1
           FROM generate_series(1, 50000) g`,
        [uid],
      );
      await pg.query('ANALYZE image_stream_tag_events');
    } finally {
      await pg.end();
    }
    await map('cost', 'big', 'latest', digest('9'));
    const whole = await call('GET', `${ns('cost')}/imagestreams/big`);
    expect(whole.body.status.tags).toHaveLength(11);
    const one = await call('GET', istag('cost', 'big:latest'));
    expect(one.body.image.metadata.name).toBe(digest('9'));
    // The t* entries name Images that were never stored: the view reads the newest entry, then 404.
    expect((await call('GET', istag('cost', 'big:t1'))).status).toBe(404);
    const list = await call('GET', `${ns('cost')}/imagestreamtags`);
    expect(list.body.items).toHaveLength(11);
    expect(list.body.items.find((i: any) => i.metadata.name === 'big:t3').image.metadata.name).toBe(`sha256:${'49993'.padStart(64, '0')}`);
  }, 30000);
});
