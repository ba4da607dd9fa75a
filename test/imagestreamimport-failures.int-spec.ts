import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import {
  type BuiltImage,
  type BuiltIndex,
  deleteManifest,
  describeWithRegistry,
  OciLayout,
  type RunningRegistry,
  skopeoCopy,
  startRegistry,
} from './support/registry';

const NS = 'isi-failures';

/**
 * Per-image failures of an ImageStreamImport against a real docker-registry whose content was
 * damaged after the push, worded as openshift-apiserver's importer words them: only a manifest
 * the registry does not know is NotFound; a list entry imported with PreserveOriginal is named by
 * its own digest.
 */
describeWithRegistry('ImageStreamImport failures (real registry)', () => {
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let image: BuiltImage;
  let list: BuiltIndex;

  const post = (body: unknown) => call('POST', `${api.base}/namespaces/${NS}/imagestreamimports`, body);
  const entry = (from: string, to: string, importMode = 'Legacy') => ({
    from: { kind: 'DockerImage', name: from },
    to: { name: to },
    importPolicy: { insecure: true, importMode },
  });
  const importInto = (name: string, images: unknown[]) => post({ metadata: { name }, spec: { import: true, images } });
  const condition = (stream: any, tag: string) => (stream.status.tags as any[]).find((t) => t.tag === tag)?.conditions?.[0];

  beforeAll(async () => {
    api = await startTestApi({ registryTimeoutMs: 3000 });
    registry = await startRegistry({ logLevel: 'warn' });
    layout = await OciLayout.create();
    image = await layout.addImage('single', { seed: 'isi-failures-single' });
    list = await layout.addIndex('list', [
      { seed: 'isi-failures-list', architecture: 'amd64' },
      { seed: 'isi-failures-list', architecture: 'arm64', variant: 'v8' },
    ]);
    await skopeoCopy(layout.dir, 'single', `${registry.host}/${NS}/noconfig:v1`);
    await skopeoCopy(layout.dir, 'list', `${registry.host}/${NS}/list:v1`, { all: true });
  });

  afterAll(async () => {
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  it('a config blob the registry lost is an InternalError ("unknown blob"), not NotFound', async () => {
    const gone = await fetch(`${registry.url}/v2/${NS}/noconfig/blobs/${image.configDigest}`, { method: 'DELETE' });
    expect(gone.status).toBe(202);
    const ref = `${registry.host}/${NS}/noconfig:v1`;
    const res = await importInto('noconfig', [entry(ref, 'v1')]);
    expect(res.status).toBe(201);
    // openshift importer: formatRepositoryError turns only MANIFEST_UNKNOWN into NotFound; the
    // config read fails with distribution's ErrBlobUnknown, wrapped by NewInternalError.
    expect(res.body.status.images[0].status).toEqual({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${ref}: unknown blob`,
      reason: 'InternalError',
      details: { causes: [{ message: `${ref}: unknown blob` }] },
      code: 500,
    });
    expect(condition(res.body.status.import, 'v1')).toMatchObject({
      type: 'ImportSuccess',
      status: 'False',
      reason: 'InternalError',
      message: `Internal error occurred: ${ref}: unknown blob`,
    });
    // By digest too (the manifest itself is there).
    const byDigest = `${registry.host}/${NS}/noconfig@${image.manifestDigest}`;
    const lookup = await post({ metadata: { name: 'noconfig' }, spec: { import: false, images: [{ from: { kind: 'DockerImage', name: byDigest }, importPolicy: { insecure: true } }] } });
    expect(lookup.body.status.images[0].status).toMatchObject({ reason: 'InternalError', code: 500, message: `Internal error occurred: ${byDigest}: unknown blob` });
  });

  it('PreserveOriginal names the list entry that is missing by its digest; Legacy names the tag', async () => {
    const missing = list.images[1]!.manifestDigest;
    await deleteManifest(registry.url, `${NS}/list`, missing);
    const ref = `${registry.host}/${NS}/list:v1`;
    const entryRef = `${registry.host}/${NS}/list@${missing}`;
    const res = await importInto('list', [entry(ref, 'preserved', 'PreserveOriginal')]);
    expect(res.status).toBe(201);
    expect(res.body.status.images[0]).toEqual({
      tag: 'v1',
      status: {
        metadata: {},
        status: 'Failure',
        message: `dockerimage.image.openshift.io "${entryRef}" not found`,
        reason: 'NotFound',
        details: { name: entryRef, group: 'image.openshift.io', kind: 'dockerimage' },
        code: 404,
      },
    });
    expect(condition(res.body.status.import, 'preserved')).toMatchObject({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${entryRef}" not found` });
    // Nothing of the list was recorded.
    expect((await call('GET', `${api.base}/images/${list.indexDigest}`)).status).toBe(404);

    // Legacy reads one entry only, and reports a failure to read it under the list's own name.
    await deleteManifest(registry.url, `${NS}/list`, list.images[0]!.manifestDigest);
    const legacy = await importInto('list', [entry(ref, 'legacy')]);
    expect(legacy.body.status.images[0].status).toMatchObject({
      reason: 'NotFound',
      code: 404,
      message: `dockerimage.image.openshift.io "${ref}" not found`,
      details: { name: ref, group: 'image.openshift.io', kind: 'dockerimage' },
    });
  });
});
