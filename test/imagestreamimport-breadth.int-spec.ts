import { call } from '@app/testing';
import { registryStackFixture, waitFor } from './ingest-harness';
import { type BuiltImage, describeWithRegistry, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';

const NS = 'isi-breadth';
const insecureAnnotation = 'openshift.io/image.insecureRepository';

/**
 * ImageStreamImport cases checked against openshift-apiserver's importer and REST storage and
 * openshift-controller-manager's image stream controller, beyond imagestreamimport.int-spec.ts.
 * The fixture's registry is the configured one (REGISTRY_URL); `external` is another plain-HTTP
 * registry, reached as any registry on the internet is (HTTPS unless the import is insecure).
 */
describeWithRegistry('ImageStreamImport breadth (real registry)', () => {
  const fixture = registryStackFixture();
  let external: RunningRegistry;
  let v1: BuiltImage;
  let v2: BuiltImage;

  const api = () => fixture.stack().api;
  const post = (body: unknown) => call('POST', `${api().base}/namespaces/${NS}/imagestreamimports`, body);
  const stream = async (name: string) => (await call('GET', `${api().base}/namespaces/${NS}/imagestreams/${name}`)).body;
  const createStream = async (name: string, annotations: Record<string, string>, spec: Record<string, unknown> = {}) => {
    const res = await call('POST', `${api().base}/namespaces/${NS}/imagestreams`, { metadata: { name, annotations }, spec });
    expect(res.status).toBe(201);
  };
  const repo = () => `${external.host}/${NS}/app`;
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);

  beforeAll(async () => {
    external = await startRegistry({ logLevel: 'warn' });
    v1 = await fixture.layout().addImage('v1', { seed: 'isi-breadth-v1' });
    v2 = await fixture.layout().addImage('v2', { seed: 'isi-breadth-v2' });
    await skopeoCopy(fixture.layout().dir, 'v1', `${repo()}:v1`);
  });

  afterAll(async () => {
    await external?.stop();
  });

  // openshift-apiserver importer.go allowRegistryInsecureAccess reads only the entry's
  // importPolicy.insecure (and the cluster's registry config); oc import-image is what reads the
  // annotation, and its --insecure=false overrides it.
  it('the stream\'s insecureRepository annotation does not make an entry insecure: only its importPolicy does', async () => {
    await createStream('annotated', { [insecureAnnotation]: 'true' });
    const ref = `${repo()}:v1`;
    const secure = await post({ metadata: { name: 'annotated' }, spec: { import: true, images: [{ from: { kind: 'DockerImage', name: ref }, to: { name: 'secure' } }] } });
    expect(secure.status).toBe(201);
    const mismatch = `${ref}: Get "https://${external.host}/v2/": http: server gave HTTP response to HTTPS client`;
    expect(secure.body.status.images[0].status).toEqual({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${mismatch}`,
      reason: 'InternalError',
      details: { causes: [{ message: mismatch }] },
      code: 500,
    });
    expect(statusTag(secure.body.status.import, 'secure').conditions).toEqual([
      expect.objectContaining({ type: 'ImportSuccess', status: 'False', reason: 'InternalError', message: `Internal error occurred: ${mismatch}` }),
    ]);
    const insecure = await post({
      metadata: { name: 'annotated' },
      spec: { import: true, images: [{ from: { kind: 'DockerImage', name: ref }, to: { name: 'insecure' }, importPolicy: { insecure: true } }] },
    });
    expect(insecure.body.status.images[0].status).toEqual({ metadata: {}, status: 'Success' });
    expect(statusTag(insecure.body.status.import, 'insecure').items[0].image).toBe(v1.manifestDigest);
    expect(specTag(insecure.body.status.import, 'insecure').importPolicy).toEqual({ insecure: true, importMode: 'Legacy' });
  });

  // openshift-controller-manager imagestream_controller.go handleImageStream: a full import's
  // spec.repository carries importPolicy.insecure from the annotation, and rest.go ensureSpecTag
  // gives each tag it creates that import policy.
  it('a full import of an insecure-annotated stream creates spec tags that are insecure themselves', async () => {
    await createStream('whole', { [insecureAnnotation]: 'true' }, { dockerImageRepository: repo() });
    const s = await waitFor('the repository imported', async () => {
      const got = await stream('whole');
      return statusTag(got, 'v1')?.items?.length ? got : null;
    });
    expect(statusTag(s, 'v1').items[0].image).toBe(v1.manifestDigest);
    expect(specTag(s, 'v1')).toMatchObject({ from: { kind: 'DockerImage', name: `${repo()}:v1` }, importPolicy: { insecure: true, importMode: 'Legacy' } });
  });

  // openshift-controller-manager imagestream_controller.go: needsImport is a full (not partial)
  // import while the check annotation is missing and spec.dockerImageRepository is set, and then
  // handleImageStream puts every importable tag in the ImageStreamImport, whether its generation
  // asks for it or not.
  it('a full import (check annotation removed) also re-imports the stream\'s other DockerImage tags', async () => {
    const other = `${external.host}/${NS}/other:t`;
    await skopeoCopy(fixture.layout().dir, 'v1', other);
    await createStream('full', { [insecureAnnotation]: 'true' }, {
      dockerImageRepository: repo(),
      tags: [{ name: 'pinned', from: { kind: 'DockerImage', name: other }, importPolicy: { insecure: true } }],
    });
    await waitFor('first import', async () => {
      const got = await stream('full');
      return statusTag(got, 'v1')?.items?.length && statusTag(got, 'pinned')?.items?.length ? got : null;
    });
    expect(statusTag(await stream('full'), 'pinned').items[0].image).toBe(v1.manifestDigest);
    // The source moves on; the tag's generation does not ask for an import, the full import does.
    await skopeoCopy(fixture.layout().dir, 'v2', other);
    const removed = await call('PATCH', `${api().base}/namespaces/${NS}/imagestreams/full`, { metadata: { annotations: { 'openshift.io/image.dockerRepositoryCheck': null } } }, 'application/merge-patch+json');
    expect(removed.status).toBe(200);
    const s = await waitFor('the full import again', async () => {
      const got = await stream('full');
      return got.metadata.annotations?.['openshift.io/image.dockerRepositoryCheck'] ? got : null;
    });
    expect(statusTag(s, 'pinned').items.map((i: any) => i.image)).toEqual([v2.manifestDigest, v1.manifestDigest]);
    expect(statusTag(s, 'pinned').items[0].generation).toBe(specTag(s, 'pinned').generation);
  });

  // kube-apiserver handlers/create.go wipes the request's system fields (rest.WipeObjectMetaSystemFields:
  // uid, creationTimestamp) before openshift-apiserver's rest.go Create reads inputMeta, so its uid
  // checks never see a uid sent over HTTP; resourceVersion is kept and still checked.
  it('a uid in the request is no precondition: a stale one imports, a missing stream is created', async () => {
    const entry = { from: { kind: 'DockerImage', name: `${repo()}:v1` }, to: { name: 'v1' }, importPolicy: { insecure: true } };
    const stale = '00000000-0000-0000-0000-000000000000';
    const created = await post({ metadata: { name: 'by-uid', uid: stale }, spec: { import: true, images: [entry] } });
    expect(created.status).toBe(201);
    expect(created.body.metadata.uid).not.toBe(stale);
    const s = await stream('by-uid');
    expect(s.metadata.uid).not.toBe(stale);
    expect(statusTag(s, 'v1').items[0].image).toBe(v1.manifestDigest);
    const again = await post({ metadata: { name: 'by-uid', uid: stale }, spec: { import: true, images: [{ ...entry, to: { name: 'again' } }] } });
    expect(again.status).toBe(201);
    expect(statusTag(again.body.status.import, 'again').items[0].image).toBe(v1.manifestDigest);
    const staleRv = await post({ metadata: { name: 'by-uid', uid: s.metadata.uid, resourceVersion: '1' }, spec: { import: true, images: [entry] } });
    expect(staleRv.status).toBe(409);
  });

  // openshift-apiserver rest.go answers the request's own ImageStreamImport: only uid and
  // creationTimestamp are filled in (rest.FillObjectMetaSystemFields); oc import-image sends the
  // stream's resourceVersion, and it comes back as sent.
  it('the answer keeps the request\'s metadata.resourceVersion (the precondition it was checked against)', async () => {
    const entry = { from: { kind: 'DockerImage', name: `${repo()}:v1` }, to: { name: 'rv' }, importPolicy: { insecure: true } };
    await post({ metadata: { name: 'echo' }, spec: { import: true, images: [entry] } });
    const rv = (await stream('echo')).metadata.resourceVersion;
    const res = await post({ metadata: { name: 'echo', resourceVersion: rv, labels: { a: 'b' } }, spec: { import: false, images: [entry] } });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({ name: 'echo', namespace: NS, resourceVersion: rv, labels: { a: 'b' }, uid: expect.any(String), creationTimestamp: expect.any(String) });
  });
});
