import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const ociIndex = 'application/vnd.oci.image.index.v1+json';
const gzipLayer = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** ImageTag (§3.6, §5.8), ImageStreamImage (§3.7, §5.9), layers and secrets (§3.8, §3.10). */
describe('imagetags, imagestreamimages, imagestreams/layers and /secrets', () => {
  let api: TestApi;
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  /** Records a push (creating the stream first when needed, as the registry does). */
  const map = async (n: string, stream: string, tag: string, image: Record<string, unknown>) => {
    const created = await call('POST', `${ns(n)}/imagestreams`, { metadata: { name: stream }, spec: {} });
    expect([201, 409]).toContain(created.status);
    const res = await call('POST', `${ns(n)}/imagestreammappings`, { metadata: { name: stream }, tag, image });
    expect(res.status).toBe(201);
  };
  const plainImage = (name: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name },
    dockerImageReference: `quay.io/x/app@${name}`,
    ...extra,
  });

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: 'registry.local:5000' });
    expect(
      (
        await call('POST', `${ns('t')}/imagestreams`, {
          metadata: { name: 'app', labels: { team: 'a' }, annotations: { owner: 'me' } },
          spec: {
            tags: [
              { name: 'spec-only', from: { kind: 'DockerImage', name: 'quay.io/x/app:1' } },
              { name: 'local', from: { kind: 'ImageStreamTag', name: 'pushed' }, referencePolicy: { type: 'Local' } },
            ],
          },
        })
      ).status,
    ).toBe(201);
    await map('t', 'app', 'pushed', plainImage(digest('1')));
    await map('t', 'app', 'pushed', plainImage(digest('2')));
  });
  afterAll(async () => api.close());

  describe('imagetags', () => {
    it('GET serves spec-only, status-only and spec+status tags; 404 for neither; 400 for bad names', async () => {
      const stream = (await call('GET', `${ns('t')}/imagestreams/app`)).body;
      const specOnly = await call('GET', `${ns('t')}/imagetags/app:spec-only`);
      expect(specOnly.status).toBe(200);
      expect(specOnly.body).toMatchObject({
        kind: 'ImageTag',
        apiVersion: 'image.openshift.io/v1',
        metadata: {
          name: 'app:spec-only',
          namespace: 't',
          uid: stream.metadata.uid,
          resourceVersion: stream.metadata.resourceVersion,
          generation: stream.metadata.generation,
          labels: { team: 'a' },
          annotations: { owner: 'me' },
        },
        spec: { name: 'spec-only', from: { kind: 'DockerImage', name: 'quay.io/x/app:1' } },
        status: null,
        image: null,
      });
      const pushed = await call('GET', `${ns('t')}/imagetags/app:pushed`);
      expect(pushed.status).toBe(200);
      expect(pushed.body.spec).toBeNull();
      expect(pushed.body.status.items.map((i: any) => i.image)).toEqual([digest('2'), digest('1')]);
      expect(pushed.body.image).toMatchObject({ metadata: { name: digest('2') }, dockerImageReference: `quay.io/x/app@${digest('2')}` });
      const local = await call('GET', `${ns('t')}/imagetags/app:local`);
      expect(local.body.image.dockerImageReference).toBe(`registry.local:5000/t/app@${digest('2')}`);
      const none = await call('GET', `${ns('t')}/imagetags/app:none`);
      expect(none.status).toBe(404);
      expect(none.body.message).toBe('imagetags.image.openshift.io "app:none" not found');
      const bad = await call('GET', `${ns('t')}/imagetags/app`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('ImageTags must be retrieved with <name>:<tag>');
    });

    it('LIST includes spec-only tags, sorted by stream then tag, without images', async () => {
      const res = await call('GET', `${ns('t')}/imagetags`);
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe('ImageTagList');
      expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(['app:local', 'app:pushed', 'app:spec-only']);
      expect(res.body.items.every((i: any) => i.image === null)).toBe(true);
      expect(res.body.items[1].status.items).toHaveLength(2);
      const byName = await call('GET', `${api.base}/imagetags?fieldSelector=metadata.name%3Dapp%3Apushed`);
      expect(byName.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['t/app:pushed']);
    });

    it('POST needs spec naming the tag, creates the stream when missing, 409 on an existing spec tag', async () => {
      const noSpec = await call('POST', `${ns('t')}/imagetags`, { metadata: { name: 'new:v1' } });
      expect(noSpec.status).toBe(422);
      expect(noSpec.body.details.causes[0]).toMatchObject({ field: 'spec', message: 'Required value: spec is a required field during creation' });
      const wrongName = await call('POST', `${ns('t')}/imagetags`, { metadata: { name: 'new:v1' }, spec: { name: 'v2' } });
      expect(wrongName.status).toBe(422);
      expect(wrongName.body.details.causes[0]).toMatchObject({ field: 'spec.name' });
      const created = await call('POST', `${ns('t')}/imagetags`, { metadata: { name: 'new:v1' }, spec: { from: { kind: 'DockerImage', name: 'quay.io/x/new:1' } } });
      expect(created.status).toBe(201);
      expect(created.body.spec).toMatchObject({ name: 'v1', generation: 1 });
      const dup = await call('POST', `${ns('t')}/imagetags`, { metadata: { name: 'new:v1' }, spec: { name: 'v1' } });
      expect(dup.status).toBe(409);
      expect(dup.body.message).toBe('imagetags.image.openshift.io "new:v1" already exists');
      // Metadata and spec are validated before the name is split (rest.BeforeCreate): a name
      // without a tag fails `spec.name` (upstream SplitImageStreamTag is not ok), no name is 422.
      const noTag = await call('POST', `${ns('t')}/imagetags`, { metadata: { name: 'new' }, spec: { name: 'new' } });
      expect(noTag.status).toBe(422);
      expect(noTag.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', message: 'Invalid value: "new": must match image tag name', field: 'spec.name' }]);
      const noName = await call('POST', `${ns('t')}/imagetags`, { metadata: {} });
      expect(noName.status).toBe(422);
      expect(noName.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.name', 'spec']);
      const generated = await call('POST', `${ns('t')}/imagetags`, { metadata: { generateName: 'new:v3' }, spec: { name: 'v3' } });
      expect(generated.status).toBe(201);
      expect(generated.body.metadata.name).toBe('new:v3');
    });

    it('PUT changes only spec; spec null removes the spec tag and keeps history; 201 for a new spec tag', async () => {
      const current = (await call('GET', `${ns('t')}/imagetags/app:pushed`)).body;
      const adopt = await call('PUT', `${ns('t')}/imagetags/app:pushed`, { ...current, spec: { name: 'pushed', from: { kind: 'DockerImage', name: 'quay.io/x/app:9' }, reference: true } });
      expect(adopt.status).toBe(201);
      expect(adopt.body.spec).toMatchObject({ name: 'pushed', reference: true });
      const again = (await call('GET', `${ns('t')}/imagetags/app:pushed`)).body;
      const relabel = await call('PUT', `${ns('t')}/imagetags/app:pushed`, { ...again, metadata: { ...again.metadata, labels: { team: 'b' } } });
      expect(relabel.status).toBe(422);
      expect(relabel.body.details.causes[0].message).toContain('may not update fields other than spec');
      const { resourceVersion: _rv, ...blindMeta } = again.metadata;
      const drop = await call('PUT', `${ns('t')}/imagetags/app:pushed`, { ...again, metadata: blindMeta, spec: null });
      expect(drop.status).toBe(200);
      expect(drop.body.spec).toBeNull();
      // reference:true recorded its pull spec on top of the pushed history, which stays.
      expect(drop.body.status.items.map((i: any) => i.image)).toEqual(['', digest('2'), digest('1')]);
      expect(drop.body.status.items[0].dockerImageReference).toBe('quay.io/x/app:9');
      const stale = await call('PUT', `${ns('t')}/imagetags/app:pushed`, { ...again, spec: null });
      expect(stale.status).toBe(409);
    });

    it('PUT of what GET answered passes when the status has only conditions or its times come back with milliseconds (compared as Go decodes them)', async () => {
      const stream = await call('POST', `${ns('rt')}/imagestreams`, { metadata: { name: 'failed' }, spec: { tags: [{ name: 'a', from: { kind: 'DockerImage', name: 'quay.io/x/a:1' } }] } });
      expect(stream.status).toBe(201);
      const condition = { type: 'ImportSuccess', status: 'False', lastTransitionTime: '2026-01-01T00:00:11Z', reason: 'NotFound', message: 'not found', generation: 1 };
      const withStatus = await call('PUT', `${ns('rt')}/imagestreams/failed/status`, { ...stream.body, status: { tags: [{ tag: 'a', items: null, conditions: [condition] }] } });
      expect(withStatus.status).toBe(200);
      const read = (await call('GET', `${ns('rt')}/imagetags/failed:a`)).body;
      expect(read.status).toMatchObject({ tag: 'a', items: null, conditions: [expect.objectContaining({ reason: 'NotFound' })] });
      const local = await call('PUT', `${ns('rt')}/imagetags/failed:a`, { ...read, spec: { ...read.spec, referencePolicy: { type: 'Local' } } });
      expect([local.status, local.body.spec?.referencePolicy]).toEqual([200, { type: 'Local' }]);
      const again = local.body;
      const millis = { ...again, status: { ...again.status, items: [], conditions: [{ ...again.status.conditions[0], lastTransitionTime: '2026-01-01T00:00:11.000Z' }] } };
      expect((await call('PUT', `${ns('rt')}/imagetags/failed:a`, { ...millis, spec: { ...again.spec, referencePolicy: { type: 'Source' } } })).status).toBe(200);
      // A status that differs is still refused.
      const latest = (await call('GET', `${ns('rt')}/imagetags/failed:a`)).body;
      const changed = await call('PUT', `${ns('rt')}/imagetags/failed:a`, { ...latest, status: { ...latest.status, conditions: [{ ...condition, reason: 'Other' }] } });
      expect([changed.status, changed.body.details?.causes?.[0]?.message]).toEqual([422, 'Invalid value: "": may not update fields other than spec']);
    });

    it('DELETE drops spec and history', async () => {
      await map('t', 'gone', 'v1', plainImage(digest('3')));
      const del = await call('DELETE', `${ns('t')}/imagetags/gone:v1`);
      expect(del.status).toBe(200);
      expect((await call('GET', `${ns('t')}/imagetags/gone:v1`)).status).toBe(404);
      expect((await call('DELETE', `${ns('t')}/imagetags/gone:v1`)).status).toBe(404);
    }, 20000);

    it("carries the stream's managedFields (kubectl get itag --show-managed-fields), as upstream newITag; istag builds its own metadata", async () => {
      const created = await call('POST', `${ns('mf')}/imagestreams?fieldManager=creator`, {
        metadata: { name: 'web' },
        spec: { tags: [{ name: 'v1', from: { kind: 'DockerImage', name: 'quay.io/x/web:1' } }] },
      });
      expect(created.status).toBe(201);
      const view = async () => (await call('GET', `${ns('mf')}/imagetags/web:v1`)).body;
      const first = await view();
      expect(first.metadata.managedFields).toEqual(created.body.metadata.managedFields);
      expect(first.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'creator', operation: 'Update' })]);
      const patched = await call('PATCH', `${ns('mf')}/imagestreams/web?fieldManager=labeller`, { metadata: { labels: { team: 'a' } } }, 'application/merge-patch+json');
      expect(patched.status).toBe(200);
      const second = await view();
      expect(second.metadata).toMatchObject({ name: 'web:v1', labels: { team: 'a' }, resourceVersion: patched.body.metadata.resourceVersion });
      expect(second.metadata.managedFields).toEqual(patched.body.metadata.managedFields);
      expect(second.metadata.managedFields.map((m: any) => m.manager)).toEqual(['creator', 'labeller']);
      // The list shows them too (newITag per item); a GET-then-PUT of the view with them is no metadata change.
      const listed = (await call('GET', `${ns('mf')}/imagetags`)).body.items.find((i: any) => i.metadata.name === 'web:v1');
      expect(listed.metadata.managedFields).toEqual(patched.body.metadata.managedFields);
      const put = await call('PUT', `${ns('mf')}/imagetags/web:v1`, { ...second, spec: { ...second.spec, reference: true } });
      expect(put.status).toBe(200);
      expect(put.body.metadata.managedFields).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'labeller' })]));
      await map('mf', 'web', 'pushed', plainImage(digest('9')));
      const istag = await call('GET', `${ns('mf')}/imagestreamtags/web:pushed`);
      expect(istag.status).toBe(200);
      expect(istag.body.metadata.managedFields).toBeUndefined();
    });
  });

  describe('imagestreamimages', () => {
    beforeAll(async () => {
      const p = (c: string) => `sha256:${c}${'0'.repeat(63)}`;
      await map('i', 'lib', 'a', plainImage(p('a')));
      await call('POST', `${api.base}/images`, plainImage(p('c'), { dockerImageReference: `quay.io/x/lib@${p('c')}` }));
      await map('i', 'lib', 'list', {
        ...plainImage(`sha256:ab${'0'.repeat(62)}`),
        dockerImageManifestMediaType: ociIndex,
        dockerImageManifests: [
          { digest: p('c'), mediaType: schema2, manifestSize: 10, architecture: 'amd64', os: 'linux' },
          { digest: p('d'), mediaType: schema2, manifestSize: 10, architecture: 'arm64', os: 'linux' },
        ],
      });
      await call('PATCH', `${ns('i')}/imagestreams/lib`, { metadata: { annotations: { note: 'x' } } }, 'application/merge-patch+json');
    });

    it('finds an image by full name, digest hex or prefix, and children of manifest lists', async () => {
      const full = `sha256:c${'0'.repeat(63)}`;
      for (const id of [full, 'c000', 'sha256:c0']) {
        const res = await call('GET', `${ns('i')}/imagestreamimages/lib@${id}`);
        expect({ id, status: res.status }).toEqual({ id, status: 200 });
        expect(res.body).toMatchObject({
          kind: 'ImageStreamImage',
          apiVersion: 'image.openshift.io/v1',
          metadata: { name: `lib@${id}`, namespace: 'i', annotations: { note: 'x' } },
          image: { metadata: { name: full }, dockerImageReference: `quay.io/x/lib@${full}` },
        });
        expect(res.body.metadata.uid).toBeUndefined();
      }
    });

    it('404 for unknown ids (also children without an Image), 400 for bad names', async () => {
      const unknown = await call('GET', `${ns('i')}/imagestreamimages/lib@ffff`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe('imagestreamimage.image.openshift.io "lib@ffff" not found');
      const childWithoutImage = await call('GET', `${ns('i')}/imagestreamimages/lib@d000`);
      expect(childWithoutImage.status).toBe(404);
      for (const bad of ['lib', 'lib@a@b', '@a']) {
        const res = await call('GET', `${ns('i')}/imagestreamimages/${encodeURIComponent(bad)}`);
        expect(res.status).toBe(400);
        expect(res.body.message).toBe('ImageStreamImages must be retrieved with <name>@<id>');
      }
      expect((await call('GET', `${ns('i')}/imagestreamimages/nope@a`)).status).toBe(404);
    });

    it('a prefix matching several images answers one of them, as upstream (no 409): the first by name whose Image exists', async () => {
      // `a` matches sha256:a000… and sha256:ab00…, both in the history: upstream takes whichever
      // its map iteration ends on, never a conflict.
      const ambiguous = await call('GET', `${ns('i')}/imagestreamimages/lib@a`);
      expect(ambiguous.status).toBe(200);
      expect(ambiguous.body.metadata.name).toBe('lib@a');
      expect(ambiguous.body.image.metadata.name).toBe(`sha256:a${'0'.repeat(63)}`);
      // `sha256:` matches every image of the stream, children of its lists too.
      const all = await call('GET', `${ns('i')}/imagestreamimages/lib@sha256:`);
      expect(all.status).toBe(200);
      expect(all.body.image.metadata.name).toBe(`sha256:a${'0'.repeat(63)}`);
    });
  });

  describe('imagestreams/{name}/layers and /secrets', () => {
    it('lists every blob and image reachable through the stream, recursively through manifest lists', async () => {
      const l = (c: string) => `sha256:${c.repeat(64)}`;
      const child = digest('c');
      await call('POST', `${api.base}/images`, {
        metadata: { name: child },
        dockerImageReference: `quay.io/x/layers@${child}`,
        dockerImageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        dockerImageMetadata: { Id: l('9') },
        dockerImageLayers: [{ name: l('7'), size: 70, mediaType: gzipLayer }],
      });
      await map('l', 'layers', 'single', {
        ...plainImage(digest('5')),
        dockerImageManifestMediaType: schema2,
        dockerImageMetadata: { Id: l('8') },
        dockerImageLayers: [
          { name: l('6'), size: 60, mediaType: gzipLayer },
          { name: l('7'), size: 70, mediaType: gzipLayer },
        ],
      });
      await map('l', 'layers', 'multi', {
        ...plainImage(digest('4')),
        dockerImageManifestMediaType: ociIndex,
        dockerImageManifests: [
          { digest: child, mediaType: 'application/vnd.oci.image.manifest.v1+json', manifestSize: 10, architecture: 'amd64', os: 'linux' },
          { digest: digest('d'), mediaType: schema2, manifestSize: 10, architecture: 'arm64', os: 'linux' },
        ],
      });
      const stream = (await call('GET', `${ns('l')}/imagestreams/layers`)).body;
      const res = await call('GET', `${ns('l')}/imagestreams/layers/layers`);
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe('ImageStreamLayers');
      expect(res.body.metadata).toMatchObject({ name: 'layers', namespace: 'l', uid: stream.metadata.uid, resourceVersion: stream.metadata.resourceVersion });
      expect(res.body.images).toEqual({
        [digest('5')]: { imageMissing: false, layers: [l('6'), l('7')], config: l('8') },
        [digest('4')]: { imageMissing: false, layers: null, config: null, manifests: [child, digest('d')] },
        [child]: { imageMissing: false, layers: [l('7')], config: l('9') },
        [digest('d')]: { imageMissing: true, layers: null, config: null },
      });
      expect(res.body.blobs).toEqual({
        [l('6')]: { size: 60, mediaType: gzipLayer },
        [l('7')]: { size: 70, mediaType: gzipLayer },
        [l('8')]: { size: null, mediaType: 'application/vnd.docker.container.image.v1+json' },
        [l('9')]: { size: null, mediaType: 'application/vnd.oci.image.config.v1+json' },
        [digest('5')]: { size: null, mediaType: schema2 },
        [digest('4')]: { size: null, mediaType: ociIndex },
        [child]: { size: null, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      });
      // A deleted Image shows up as missing; nothing else about the stream changes.
      expect((await call('DELETE', `${api.base}/images/${digest('5')}`)).status).toBe(200);
      const after = await call('GET', `${ns('l')}/imagestreams/layers/layers`);
      expect(after.body.images[digest('5')]).toEqual({ imageMissing: true, layers: null, config: null });
      expect((await call('GET', `${ns('l')}/imagestreams/nope/layers`)).status).toBe(404);
    });

    it('a schema2/OCI image without a DockerImage Id names an empty config blob: the view is refused (422), as upstream ValidateImageStreamLayers', async () => {
      const bare = digest('b');
      await map('l', 'bare', 'latest', {
        ...plainImage(bare),
        dockerImageManifestMediaType: schema2,
        dockerImageLayers: [{ name: `sha256:${'6'.repeat(64)}`, size: 60, mediaType: gzipLayer }],
      });
      const res = await call('GET', `${ns('l')}/imagestreams/bare/layers`);
      expect(res.status).toBe(422);
      expect(res.body.message).toBe(`.image.openshift.io "" is invalid: images[${bare}].config: Invalid value: "": config cannot be an empty string`);
      expect(res.body.details).toEqual({
        group: 'image.openshift.io',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "": config cannot be an empty string', field: `images[${bare}].config` }],
      });
    });

    it('answers the namespace`s pull secrets (none here) for any stream name, at the Secret list`s resourceVersion', async () => {
      const res = await call('GET', `${ns('l')}/imagestreams/whatever/secrets`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ kind: 'SecretList', apiVersion: 'image.openshift.io/v1', metadata: { resourceVersion: expect.any(String) }, items: [] });
      expect((await call('PUT', `${ns('l')}/imagestreams/whatever/secrets`, {})).status).toBe(405);
    });

    it('reads its query as the Secret list options it forwards: bad selectors are 400 as kube-apiserver words them', async () => {
      const secrets = (query: string) => call('GET', `${ns('l')}/imagestreams/whatever/secrets?${query}`);
      const badLabels = await secrets('labelSelector=a%20in%20(');
      expect(badLabels.status).toBe(400);
      expect(badLabels.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: "unable to parse requirement: found '', expected: ',', ')' or identifier" });
      // kube-apiserver's own field label conversion for Secrets: type and the metadata fields.
      const badField = await secrets('fieldSelector=spec.x%3Dy');
      expect(badField.status).toBe(400);
      expect(badField.body.message).toBe('field label not supported: spec.x');
      const fine = await secrets('fieldSelector=type%3Dkubernetes.io%2Fdockerconfigjson,metadata.name!%3Dx&labelSelector=a%3Db');
      expect(fine.status).toBe(200);
      expect(fine.body.items).toEqual([]);
    });

    it('discovery lists the subresources and short names', async () => {
      const res = await call('GET', `${api.url}/apis/image.openshift.io/v1`);
      const byName = new Map(res.body.resources.map((r: any) => [r.name, r]));
      expect(byName.get('imagestreams/layers')).toEqual({ name: 'imagestreams/layers', singularName: '', namespaced: true, kind: 'ImageStreamLayers', verbs: ['get'] });
      expect(byName.get('imagestreams/secrets')).toMatchObject({ kind: 'SecretList', verbs: ['get'] });
      expect(byName.get('imagestreams/status')).toMatchObject({ kind: 'ImageStream', verbs: ['get', 'patch', 'update'] });
      expect(byName.get('imagestreamtags')).toMatchObject({ singularName: 'imagestreamtag', shortNames: ['istag'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'] });
      expect(byName.get('imagetags')).toMatchObject({ shortNames: ['itag'] });
      expect(byName.get('imagestreamimages')).toMatchObject({ shortNames: ['isimage'], verbs: ['get'] });
      expect(byName.get('imagestreams')).toMatchObject({ shortNames: ['is'], categories: ['all'] });
    });
  });
});
