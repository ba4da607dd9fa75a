import { digestOf } from '@app/registry';
import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const schema2 = 'application/vnd.docker.distribution.manifest.v2+json';
const dockerList = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** A Docker manifest list of one arm64 child, and its digest. */
function manifestList(seed: string) {
  const raw = JSON.stringify({
    schemaVersion: 2,
    mediaType: dockerList,
    manifests: [{ mediaType: schema2, digest: digestOf(seed), size: 42, platform: { architecture: 'arm64', os: 'linux' } }],
  });
  return { raw, name: digestOf(raw), child: digestOf(seed) };
}

/** Image, ImageSignature and ImageStreamMapping rules of openshift-apiserver's image strategies, where earlier tests left gaps. */
describe('Image strategy fidelity (openshift-apiserver registry/image, imagestreammapping)', () => {
  let api: TestApi;
  const images = () => `${api.base}/images`;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  describe('Images take no part in garbage collection (DefaultGarbageCollectionPolicy Unsupported)', () => {
    it('a delete asking for Foreground or Orphan removes the image at once: a success Status, one DELETED event, no finalizer', async () => {
      for (const [c, query, body] of [
        ['a', '', { propagationPolicy: 'Foreground' }],
        ['b', '', { propagationPolicy: 'Orphan' }],
        ['c', '?orphanDependents=true', undefined],
      ] as const) {
        const name = digest(c);
        const created = await call('POST', images(), { metadata: { name }, dockerImageReference: `example.com/a/b@${name}` });
        expect(created.status).toBe(201);
        const watch = watchEvents(`${images()}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}&fieldSelector=metadata.name%3D${name}`);
        await watch.opened;
        const deleted = await call('DELETE', `${images()}/${name}${query}`, body);
        expect([c, deleted.status, deleted.body.kind, deleted.body.status, deleted.body.details?.uid]).toEqual([
          c,
          200,
          'Status',
          'Success',
          created.body.metadata.uid,
        ]);
        await watch.waitFor((events) => events.some((e) => e.type === 'DELETED'));
        watch.stop();
        expect(watch.events.map((e) => [e.type, e.object.metadata.finalizers ?? []])).toEqual([['DELETED', []]]);
        expect((await call('GET', `${images()}/${name}`)).status).toBe(404);
      }
    });

    it('an orphan or foregroundDeletion finalizer the image carries is dropped by the delete; other finalizers still hold it', async () => {
      const carried = digest('d');
      await call('POST', images(), { metadata: { name: carried, finalizers: ['orphan'] }, dockerImageReference: `example.com/a/b@${carried}` });
      const gone = await call('DELETE', `${images()}/${carried}`);
      expect([gone.status, gone.body.kind]).toEqual([200, 'Status']);
      expect((await call('GET', `${images()}/${carried}`)).status).toBe(404);

      const held = digest('e');
      await call('POST', images(), { metadata: { name: held, finalizers: ['example.com/hold', 'foregroundDeletion'] }, dockerImageReference: `example.com/a/b@${held}` });
      const marked = await call('DELETE', `${images()}/${held}`, { propagationPolicy: 'Foreground' });
      expect([marked.status, marked.body.kind, marked.body.metadata.finalizers]).toEqual([200, 'Image', ['example.com/hold']]);
      expect(marked.body.metadata.deletionTimestamp).toEqual(expect.any(String));
      const released = await call('PATCH', `${images()}/${held}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
      expect(released.status).toBe(200);
      expect((await call('GET', `${images()}/${held}`)).status).toBe(404);
    });
  });

  it('a generation the client sets is kept on create (the image strategy sets none), cannot be changed by updates, and moves once when finalizers hold a delete', async () => {
    const name = digest('5');
    const negative = await call('POST', images(), { metadata: { name, generation: -1 }, dockerImageReference: `a.com/b/c@${name}` });
    expect([negative.status, negative.body.details?.causes?.map((c: { field: string }) => c.field)]).toEqual([422, ['metadata.generation']]);
    const created = await call('POST', images(), { metadata: { name, generation: 3, finalizers: ['example.com/hold'] }, dockerImageReference: `a.com/b/c@${name}` });
    expect([created.status, created.body.metadata.generation]).toEqual([201, 3]);
    const updated = await call('PUT', `${images()}/${name}`, { ...created.body, metadata: { ...created.body.metadata, generation: 9, labels: { a: 'b' } } });
    expect([updated.status, updated.body.metadata.generation, updated.body.metadata.labels]).toEqual([200, 3, { a: 'b' }]);
    const marked = await call('DELETE', `${images()}/${name}`);
    expect([marked.status, marked.body.metadata.generation]).toEqual([200, 4]);
    await call('PATCH', `${images()}/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', `${images()}/${name}`)).status).toBe(404);
  });

  describe('manifest lists on create (image PrepareForCreate)', () => {
    it('a list sent without its media type gets Id and Created but no children and no media type: distribution reads it as schema1', async () => {
      const list = manifestList('no-type');
      const res = await call('POST', images(), { metadata: { name: list.name }, dockerImageReference: `quay.io/x/app@${list.name}`, dockerImageManifest: list.raw });
      expect(res.status).toBe(201);
      expect([res.body.dockerImageManifests, res.body.dockerImageManifestMediaType, res.body.dockerImageMetadata.Id]).toEqual([undefined, undefined, list.name]);
      expect(res.body.dockerImageMetadata.Created).toEqual(expect.any(String));
    });
  });

  describe('ImageStreamMapping creates its Image through the Image strategy (rest.go CreateImage)', () => {
    const ns = () => `${api.base}/namespaces/isf`;
    beforeAll(async () => {
      expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    });

    it('an Image the strategy makes invalid (a list\'s children beside layers) is 422 for the Image, after the stream lookup; nothing is written', async () => {
      const list = manifestList('mapped');
      const image = {
        metadata: { name: list.name },
        dockerImageReference: `quay.io/x/app@${list.name}`,
        dockerImageManifest: list.raw,
        dockerImageManifestMediaType: dockerList,
        dockerImageLayers: [{ name: digestOf('layer'), size: 1, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }],
      };
      const missing = await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'nostream' }, tag: 'v1', image });
      expect([missing.status, missing.body.details?.kind]).toEqual([404, 'imagestreammappings']);
      const refused = await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'app' }, tag: 'v1', image });
      expect([refused.status, refused.body.reason, refused.body.details?.kind, refused.body.details?.name]).toEqual([422, 'Invalid', 'Image', list.name]);
      expect(refused.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['dockerImageLayers']);
      expect(refused.body.message).toContain('dockerImageLayers should not be set when dockerImageManifests is set');
      expect((await call('GET', `${images()}/${list.name}`)).status).toBe(404);
      expect((await call('GET', `${ns()}/imagestreams/app`)).body.status.tags).toBeUndefined();
    });

    it('the mapping\'s own ObjectMeta and its Image\'s are validated as apimachinery validates them (ValidateImageStreamMapping): 422, nothing written', async () => {
      const name = digest('7');
      const res = await call('POST', `${ns()}/imagestreammappings`, {
        metadata: { name: 'app', labels: { 'bad key!': 'v' }, finalizers: ['bad finalizer'] },
        tag: 'v3',
        image: { metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n' }], finalizers: ['orphan', 'foregroundDeletion'] }, dockerImageReference: `a.com/b/c@${name}` },
      });
      expect([res.status, res.body.details?.kind]).toEqual([422, 'ImageStreamMapping']);
      expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual([
        'metadata.labels',
        'metadata.finalizers',
        // core ValidateObjectMeta's own rule after apimachinery's: no domain, not a standard finalizer.
        'metadata.finalizers[0]',
        'image.metadata.ownerReferences.uid',
        'image.metadata.finalizers',
      ]);
      expect((await call('GET', `${images()}/${name}`)).status).toBe(404);
    });

    it('the Image a mapping creates keeps the generation, finalizers and owner references sent with it, as the image store keeps them', async () => {
      const name = digest('6');
      const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: '6f0c0e59-61b4-4bd6-9d3b-6a6e6b9f3c11' };
      const res = await call('POST', `${ns()}/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'v4',
        image: { metadata: { name, generation: 2, finalizers: ['example.com/keep'], ownerReferences: [owner] }, dockerImageReference: `a.com/b/c@${name}` },
      });
      expect(res.status).toBe(201);
      const stored = (await call('GET', `${images()}/${name}`)).body;
      expect([stored.metadata.generation, stored.metadata.finalizers, stored.metadata.ownerReferences]).toEqual([2, ['example.com/keep'], [owner]]);
      const deleted = await call('DELETE', `${images()}/${name}`);
      expect([deleted.status, deleted.body.kind, deleted.body.metadata.deletionTimestamp]).toEqual([200, 'Image', expect.any(String)]);
      expect((await call('PATCH', `${images()}/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
      expect((await call('GET', `${images()}/${name}`)).status).toBe(404);
    });

    it('a mapping without an image (null or absent) has an empty one, as the Go struct: its name and reference are reported, not `image`', async () => {
      for (const body of [{ metadata: { name: 'app' }, tag: 'v5' }, { metadata: { name: 'app' }, tag: 'v5', image: null }]) {
        const res = await call('POST', `${ns()}/imagestreammappings`, body);
        expect([res.status, res.body.details?.causes?.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)]).toEqual([
          422,
          ['image.metadata.name FieldValueRequired', 'image.dockerImageReference FieldValueRequired'],
        ]);
      }
    });

    it('an Image that exists is left as stored, whatever the mapping says of it; the tag event takes the mapping\'s reference', async () => {
      const name = digest('f');
      await call('POST', images(), { metadata: { name, labels: { stored: 'yes' } }, dockerImageReference: `example.com/stored/one@${name}` });
      const before = (await call('GET', `${images()}/${name}`)).body;
      const mapped = await call('POST', `${ns()}/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'v2',
        image: { metadata: { name, labels: { mapped: 'yes' }, annotations: { a: 'b' } }, dockerImageReference: `example.com/mapped/two@${name}`, dockerImageMetadata: { Size: 9 } },
      });
      expect(mapped.status).toBe(201);
      expect((await call('GET', `${images()}/${name}`)).body).toEqual(before);
      const tag = (await call('GET', `${ns()}/imagestreams/app`)).body.status.tags.find((t: { tag: string }) => t.tag === 'v2');
      expect(tag.items.map((i: { image: string; dockerImageReference: string }) => [i.image, i.dockerImageReference])).toEqual([[name, `example.com/mapped/two@${name}`]]);
    });
  });

  it('a signature embedded in an Image has its ObjectMeta validated as a cluster-scoped object\'s (upstream validateImageSignature): 422, nothing stored', async () => {
    const name = digest('9');
    const res = await call('POST', images(), {
      metadata: { name },
      dockerImageReference: `a.com/b/c@${name}`,
      signatures: [
        {
          metadata: { name: `${name}@s`, namespace: 'ns1', finalizers: ['bad finalizer'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n' }] },
          type: 't',
          content: 'YQ==',
        },
      ],
    });
    expect([res.status, res.body.details?.kind]).toEqual([422, 'Image']);
    expect(res.body.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)).toEqual([
      'signatures[0].metadata.namespace FieldValueForbidden',
      'signatures[0].metadata.ownerReferences.uid FieldValueInvalid',
      'signatures[0].metadata.finalizers FieldValueInvalid',
      'signatures[0].metadata.finalizers[0] FieldValueInvalid',
    ]);
    expect((await call('GET', `${images()}/${name}`)).status).toBe(404);
    const created = await call('POST', images(), { metadata: { name }, dockerImageReference: `a.com/b/c@${name}` });
    expect(created.status).toBe(201);
    const viaResource = await call('POST', `${api.base}/imagesignatures`, { metadata: { name: `${name}@s`, finalizers: ['bad finalizer'] }, type: 't', content: 'YQ==' });
    expect([viaResource.status, viaResource.body.details?.kind, viaResource.body.details?.causes?.map((c: { field: string }) => c.field)]).toEqual([
      422,
      'ImageSignature',
      ['metadata.finalizers', 'metadata.finalizers[0]'],
    ]);
  });
});
