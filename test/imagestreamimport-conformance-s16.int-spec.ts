import type { AppConfig } from '@app/config';
import { call, testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { waitFor } from './support/poll';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { type BuiltImage, type BuiltIndex, describeWithRegistry, OciLayout, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';

const NS = 'isi-s16';
const checkAnnotation = 'openshift.io/image.dockerRepositoryCheck';

/**
 * Black-box conformance of ImageStreamImport and DockerImage spec-tag imports against
 * openshift-apiserver (registry/imagestreamimport/rest.go, importer/importer.go) and
 * openshift-controller-manager's image stream controller, with a real docker-registry filled by
 * skopeo. Cases not already in imagestreamimport*.int-spec.ts / dockerimage-spec-tag-import.
 */
describeWithRegistry('ImageStreamImport conformance s16 (real registry)', () => {
  let api: TestApi;
  let config: AppConfig;
  let worker: WorkerProcess | null = null;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let one: BuiltImage;
  let two: BuiltImage;
  let three: BuiltImage;
  let lone: BuiltImage;
  let multi: BuiltIndex;

  const host = () => registry.host;
  const post = (body: unknown) => call('POST', `${api.base}/namespaces/${NS}/imagestreamimports`, body);
  const stream = (name: string) => call('GET', `${api.base}/namespaces/${NS}/imagestreams/${name}`);
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);
  const entry = (from: string, to?: string, extra: Record<string, unknown> = {}) => ({
    from: { kind: 'DockerImage', name: from },
    ...(to ? { to: { name: to } } : {}),
    importPolicy: { insecure: true },
    ...extra,
  });
  const images = (name: string, list: unknown[], importFlag = true) => post({ metadata: { name }, spec: { import: importFlag, images: list } });
  const repository = (name: string, from: string, extra: Record<string, unknown> = {}, importFlag = true, list?: unknown[]) =>
    post({
      metadata: { name },
      spec: { import: importFlag, ...(list ? { images: list } : {}), repository: { from: { kind: 'DockerImage', name: from }, importPolicy: { insecure: true }, ...extra } },
    });

  beforeAll(async () => {
    // A small bulk limit, so a repository import reports additionalTags (maxImagesBulkImportedPerRepository).
    process.env['IMPORT_MAX_REPOSITORY_TAGS'] = '2';
    registry = await startRegistry({ logLevel: 'warn' });
    const base: Partial<AppConfig> = { queuePrefix: testQueuePrefix(), registryTimeoutMs: 3000 };
    api = await startTestApi(base);
    config = testConfig(api.databaseUrl, base);
    layout = await OciLayout.create();
    one = await layout.addImage('one', { seed: 's16-one' });
    two = await layout.addImage('two', { seed: 's16-two' });
    three = await layout.addImage('three', { seed: 's16-three' });
    lone = await layout.addImage('lone', { seed: 's16-lone' });
    multi = await layout.addIndex('multi', [
      { seed: 's16-multi', architecture: 'amd64' },
      { seed: 's16-multi', architecture: 'arm64', variant: 'v8' },
    ]);
    // Repository "many": latest, two minor versions, a full version and another tag (library-go order: latest, 1.1, 1.0, 2.0.0, zeta).
    for (const [ref, tag] of [
      ['one', 'latest'],
      ['two', '1.0'],
      ['three', '1.1'],
      ['one', '2.0.0'],
      ['two', 'zeta'],
    ] as const) {
      await skopeoCopy(layout.dir, ref, `${host()}/${NS}/many:${tag}`);
    }
    await skopeoCopy(layout.dir, 'one', `${host()}/${NS}/app:v1`);
    await skopeoCopy(layout.dir, 'lone', `${host()}/${NS}/lone:v1`);
    await skopeoCopy(layout.dir, 'two', `${host()}/${NS}/app:v2`);
    await skopeoCopy(layout.dir, 'multi', `${host()}/${NS}/multi:v1`, { all: true });
  });

  afterAll(async () => {
    delete process.env['IMPORT_MAX_REPOSITORY_TAGS'];
    await worker?.close();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  describe('repository imports', () => {
    it('takes the first maxImagesBulkImportedPerRepository tags in library-go order; the rest are additionalTags', async () => {
      const repo = `${host()}/${NS}/many`;
      const res = await repository('bulk', repo, { referencePolicy: { type: 'Local' }, importPolicy: { insecure: true, scheduled: true } });
      expect(res.status).toBe(201);
      const status = res.body.status.repository;
      expect(status.status).toEqual({ metadata: {}, status: 'Success' });
      expect(status.images.map((i: any) => i.tag)).toEqual(['latest', '1.1']);
      expect(status.additionalTags).toEqual(['1.0', '2.0.0', 'zeta']);
      expect(status.images[1].image).toMatchObject({ metadata: { name: three.manifestDigest }, dockerImageReference: `${repo}@${three.manifestDigest}` });
      const s = res.body.status.import;
      expect(s.metadata.generation).toBe(1);
      expect(s.metadata.annotations[checkAnnotation]).toMatch(/Z$/);
      expect(s.spec.tags.map((t: any) => t.name)).toEqual(['1.1', 'latest']);
      // rest.go importSuccessful/ensureSpecTag: from `<repo>:<tag>`, the request's policies, generation = the write's.
      expect(specTag(s, '1.1')).toEqual({
        name: '1.1',
        annotations: null,
        from: { kind: 'DockerImage', name: `${repo}:1.1` },
        generation: 1,
        importPolicy: { insecure: true, scheduled: true, importMode: 'Legacy' },
        referencePolicy: { type: 'Local' },
      });
      expect(statusTag(s, '1.1').items).toEqual([
        { created: expect.any(String), dockerImageReference: `${repo}@${three.manifestDigest}`, image: three.manifestDigest, generation: 1 },
      ]);
      expect(statusTag(s, '1.0')).toBeUndefined();
    });

    it('a tag of the repository already imported by spec.images in the same request is reported with the repository\'s images, not as additional', async () => {
      // importer.go importFromRepository: an additional tag found in the request's image cache
      // (same repository and import mode) is appended to the repository's tags.
      const repo = `${host()}/${NS}/many`;
      const res = await repository('bulk-cached', repo, {}, true, [entry(`${repo}:2.0.0`, 'mine')]);
      expect(res.status).toBe(201);
      const status = res.body.status.repository;
      expect(status.images.map((i: any) => i.tag)).toEqual(['latest', '1.1', '2.0.0']);
      expect(status.images[2]).toMatchObject({ status: { status: 'Success' }, image: { metadata: { name: one.manifestDigest }, dockerImageReference: `${repo}@${one.manifestDigest}` } });
      expect(status.additionalTags).toEqual(['1.0', 'zeta']);
      // So the repository writes that tag too.
      const s = res.body.status.import;
      expect(s.spec.tags.map((t: any) => t.name)).toEqual(['1.1', '2.0.0', 'latest', 'mine']);
      expect(specTag(s, '2.0.0').from).toEqual({ kind: 'DockerImage', name: `${repo}:2.0.0` });
      expect(statusTag(s, '2.0.0').items[0]).toMatchObject({ image: one.manifestDigest, dockerImageReference: `${repo}@${one.manifestDigest}` });
      // Found in another import mode, it stays additional (the cache key has the mode).
      const other = await repository('bulk-cached', repo, {}, false, [entry(`${repo}:2.0.0`, undefined, { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } })]);
      expect(other.body.status.repository.additionalTags).toEqual(['1.0', '2.0.0', 'zeta']);
    });

    it('a repository the registry does not know: NotFound at status.repository; import=true still creates the stream, checked and empty', async () => {
      const repo = `${host()}/${NS}/nowhere`;
      const res = await repository('norepo', repo);
      expect(res.status).toBe(201);
      expect(res.body.status.repository).toEqual({
        status: {
          metadata: {},
          status: 'Failure',
          message: `dockerimage.image.openshift.io "${repo}" not found`,
          reason: 'NotFound',
          details: { name: repo, group: 'image.openshift.io', kind: 'dockerimage' },
          code: 404,
        },
      });
      // rest.go Create: a missing stream is created whatever the import found.
      const s = res.body.status.import;
      expect(s).toMatchObject({ metadata: { name: 'norepo', namespace: NS, generation: 1 } });
      expect(s.metadata.annotations[checkAnnotation]).toMatch(/Z$/);
      expect((await stream('norepo')).status).toBe(200);
    });

    // library-go's registry client connects lazily (Context.Repository pings nothing), so the
    // failure comes out of the tag listing, stored as it is (no `<ref>: ` before it, which
    // formatRepositoryError adds for images only).
    it('an unreachable registry and a plain-HTTP one read securely fail at status.repository as InternalError, the error as it is', async () => {
      const down = await repository('down', '127.0.0.1:1/isi-s16/app', {}, false);
      expect(down.body.status.repository.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
      expect(down.body.status.repository.status.message).toMatch(/^Internal error occurred: Get "https?:\/\/127\.0\.0\.1:1\/v2\/": dial tcp 127\.0\.0\.1:1: connect: connection refused$/);
      const repo = `${host()}/${NS}/app`;
      const plain = await repository('plain', repo, { importPolicy: {} }, false);
      const mismatch = `Get "https://${host()}/v2/": http: server gave HTTP response to HTTPS client`;
      expect(plain.body.status.repository).toEqual({
        status: { metadata: {}, status: 'Failure', message: `Internal error occurred: ${mismatch}`, reason: 'InternalError', details: { causes: [{ message: mismatch }] }, code: 500 },
      });
    });

    it('importMode of a repository import: PreserveOriginal keeps each list with its children, Legacy one platform', async () => {
      const repo = `${host()}/${NS}/multi`;
      const [amd, arm] = multi.images as [BuiltImage, BuiltImage];
      const preserved = await repository('multi-repo', repo, { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } });
      expect(preserved.status).toBe(201);
      const [entry] = preserved.body.status.repository.images;
      expect(entry).toMatchObject({ tag: 'v1', image: { metadata: { name: multi.indexDigest }, dockerImageReference: `${repo}@${multi.indexDigest}` } });
      expect(entry.manifests.map((m: any) => [m.metadata.name, m.dockerImageReference])).toEqual([
        [amd.manifestDigest, `${repo}@${amd.manifestDigest}`],
        [arm.manifestDigest, `${repo}@${arm.manifestDigest}`],
      ]);
      const s = preserved.body.status.import;
      expect(specTag(s, 'v1').importPolicy).toEqual({ insecure: true, importMode: 'PreserveOriginal' });
      expect(statusTag(s, 'v1').items[0].image).toBe(multi.indexDigest);
      for (const d of [amd.manifestDigest, arm.manifestDigest]) expect((await call('GET', `${api.base}/images/${d}`)).status).toBe(200);
      const legacy = await repository('multi-repo', repo, {}, false);
      expect(legacy.body.status.repository.images[0]).toMatchObject({ tag: 'v1', image: { metadata: { name: amd.manifestDigest }, dockerImageReference: `${repo}@${amd.manifestDigest}` } });
      expect(legacy.body.status.repository.images[0].manifests).toBeUndefined();
    });

    it('includeManifest: the raw manifest for a lookup, none once written', async () => {
      const repo = `${host()}/${NS}/app`;
      const lookup = await repository('manifests', repo, { includeManifest: true }, false);
      const v1 = lookup.body.status.repository.images.find((i: any) => i.tag === 'v1');
      expect(v1.image.dockerImageManifest).toBe(one.manifest.toString());
      expect(v1.image.dockerImageConfig).toBe(one.config.toString());
      const written = await repository('manifests', repo, { includeManifest: true });
      for (const i of written.body.status.repository.images) {
        expect(i.image.dockerImageManifest).toBeUndefined();
        expect(i.image.dockerImageConfig).toBeUndefined();
      }
    });
  });

  describe('spec.images', () => {
    it('import=true with only an entry without a target tag still creates the stream (checked, no tags)', async () => {
      const res = await images('digest-only', [entry(`${host()}/${NS}/lone@${lone.manifestDigest}`)]);
      expect(res.status).toBe(201);
      expect(res.body.status.images[0]).toMatchObject({ status: { status: 'Success' }, image: { metadata: { name: lone.manifestDigest } } });
      const s = res.body.status.import;
      expect(s.metadata).toMatchObject({ name: 'digest-only', generation: 1 });
      expect(s.metadata.annotations[checkAnnotation]).toMatch(/Z$/);
      expect(s.spec.tags ?? []).toEqual([]);
      expect((await stream('digest-only')).status).toBe(200);
      // rest.go createImages skips an entry without `to`: its Image is not created.
      expect((await call('GET', `${api.base}/images/${lone.manifestDigest}`)).status).toBe(404);
    });

    it('an existing stream without the check annotation gets it from an import that changes nothing else (generation kept)', async () => {
      const created = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, { metadata: { name: 'unchecked' }, spec: {} });
      expect(created.status).toBe(201);
      const res = await images('unchecked', [entry(`${host()}/${NS}/app@${one.manifestDigest}`)]);
      expect(res.status).toBe(201);
      const s = res.body.status.import;
      expect(s.metadata.annotations[checkAnnotation]).toMatch(/Z$/);
      expect(s.metadata.generation).toBe(created.body.metadata.generation);
      expect(BigInt(s.metadata.resourceVersion)).toBeGreaterThan(BigInt(created.body.metadata.resourceVersion));
      // Now checked and unchanged: the next such import does not write, even in a later second
      // (the check time has second precision: a rewrite within the same second would go unseen).
      await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
      const again = await images('unchecked', [entry(`${host()}/${NS}/app@${one.manifestDigest}`)]);
      expect(again.body.status.import.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
    });

    it('import=false on an existing stream changes nothing (no annotation, no generation, no resourceVersion)', async () => {
      const created = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, { metadata: { name: 'lookup-only' }, spec: {} });
      const res = await images('lookup-only', [entry(`${host()}/${NS}/app:v1`, 'v1')], false);
      expect(res.status).toBe(201);
      expect(res.body.status.import).toBeUndefined();
      const s = (await stream('lookup-only')).body;
      expect(s.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
      expect(s.metadata.annotations?.[checkAnnotation]).toBeUndefined();
      expect(s.spec.tags ?? []).toEqual([]);
    });

    it('a Legacy manifest list import names the chosen platform image by the list\'s repository; PreserveOriginal children by theirs', async () => {
      const repo = `${host()}/${NS}/multi`;
      const [amd, arm] = multi.images as [BuiltImage, BuiltImage];
      const res = await images('platforms', [
        entry(`${repo}:v1`, 'legacy'),
        entry(`${repo}:v1`, 'preserved', { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } }),
      ]);
      expect(res.status).toBe(201);
      const [legacy, preserved] = res.body.status.images;
      expect(legacy.image).toMatchObject({ metadata: { name: amd.manifestDigest }, dockerImageReference: `${repo}@${amd.manifestDigest}` });
      expect(legacy.manifests).toBeUndefined();
      expect(preserved.image).toMatchObject({ metadata: { name: multi.indexDigest }, dockerImageReference: `${repo}@${multi.indexDigest}` });
      expect(preserved.manifests.map((m: any) => m.dockerImageReference)).toEqual([`${repo}@${amd.manifestDigest}`, `${repo}@${arm.manifestDigest}`]);
      const s = res.body.status.import;
      expect(statusTag(s, 'legacy').items[0]).toMatchObject({ image: amd.manifestDigest, dockerImageReference: `${repo}@${amd.manifestDigest}` });
      expect(statusTag(s, 'preserved').items[0]).toMatchObject({ image: multi.indexDigest, dockerImageReference: `${repo}@${multi.indexDigest}` });
      expect(specTag(s, 'legacy').importPolicy).toEqual({ insecure: true, importMode: 'Legacy' });
      expect(specTag(s, 'preserved').importPolicy).toEqual({ insecure: true, importMode: 'PreserveOriginal' });
    });

    it('an index with an attestation-like unknown/unknown entry: Legacy still takes linux/amd64, PreserveOriginal imports every entry', async () => {
      const attested = await layout.addIndex('attested', [
        { seed: 's16-att', architecture: 'unknown', os: 'unknown' },
        { seed: 's16-att', architecture: 'amd64' },
      ]);
      const repo = `${host()}/${NS}/attested`;
      await skopeoCopy(layout.dir, 'attested', `${repo}:v1`, { all: true });
      const [unknown, amd] = attested.images as [BuiltImage, BuiltImage];
      const res = await images('attested', [entry(`${repo}:v1`, 'legacy'), entry(`${repo}:v1`, 'all', { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } })], false);
      expect(res.body.status.images[0].image.metadata.name).toBe(amd.manifestDigest);
      expect(res.body.status.images[1].image.dockerImageManifests.map((m: any) => [m.architecture, m.os])).toEqual([['unknown', 'unknown'], ['amd64', 'linux']]);
      expect(res.body.status.images[1].manifests.map((m: any) => [m.metadata.name, m.dockerImageMetadata.Architecture])).toEqual([
        [unknown.manifestDigest, 'unknown'],
        [amd.manifestDigest, 'amd64'],
      ]);
    });

    it('a Docker manifest list (skopeo --format v2s2): the same, with Docker media types', async () => {
      const repo = `${host()}/${NS}/dockerlist`;
      await skopeoCopy(layout.dir, 'multi', `${repo}:v1`, { all: true, format: 'v2s2' });
      const res = await images('dockerlist', [entry(`${repo}:v1`, 'legacy'), entry(`${repo}:v1`, 'all', { importPolicy: { insecure: true, importMode: 'PreserveOriginal' } })]);
      expect(res.status).toBe(201);
      const [legacy, all] = res.body.status.images;
      expect(legacy.image).toMatchObject({ dockerImageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json', dockerImageMetadata: { Architecture: 'amd64' } });
      expect(all.image.dockerImageManifestMediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
      expect(all.image.dockerImageManifests.map((m: any) => [m.mediaType, m.architecture, m.variant])).toEqual([
        ['application/vnd.docker.distribution.manifest.v2+json', 'amd64', undefined],
        ['application/vnd.docker.distribution.manifest.v2+json', 'arm64', 'v8'],
      ]);
      expect(all.manifests.map((m: any) => m.metadata.name)).toEqual(all.image.dockerImageManifests.map((m: any) => m.digest));
      expect(legacy.image.metadata.name).toBe(all.manifests[0].metadata.name);
      expect(statusTag(res.body.status.import, 'all').items[0].image).toBe(all.image.metadata.name);
    });

    it('`to` names a spec tag that follows another tag: an image it does not show yet makes it a DockerImage tag', async () => {
      const repo = `${host()}/${NS}/app`;
      const first = await images('follows', [entry(`${repo}:v2`, 'v2')]);
      expect(first.status).toBe(201);
      const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreamtags/follows:latest`, {
        metadata: { name: 'follows:latest' },
        tag: { from: { kind: 'ImageStreamTag', name: 'v2' }, referencePolicy: { type: 'Local' } },
      });
      expect(put.status).toBe(201);
      const before = (await stream('follows')).body;
      expect(statusTag(before, 'latest').items[0].image).toBe(two.manifestDigest);

      const res = await images('follows', [entry(`${repo}:v1`, 'latest')]);
      expect(res.status).toBe(201);
      const s = res.body.status.import;
      // ensureSpecTag(reset): the spec tag now names the imported source; its reference policy stays.
      expect(specTag(s, 'latest')).toMatchObject({
        from: { kind: 'DockerImage', name: `${repo}:v1` },
        importPolicy: { insecure: true, importMode: 'Legacy' },
        referencePolicy: { type: 'Local' },
        generation: s.metadata.generation,
      });
      expect(statusTag(s, 'latest').items.map((i: any) => i.image)).toEqual([one.manifestDigest, two.manifestDigest]);
      // The tag it followed is untouched.
      expect(statusTag(s, 'v2').items.map((i: any) => i.image)).toEqual([two.manifestDigest]);
      expect(specTag(s, 'v2').from).toEqual({ kind: 'DockerImage', name: `${repo}:v2` });
    });

    // importer.go importImages groups the entries by repository: the first entry naming a
    // repository decides whether the whole repository is read insecurely; each spec tag keeps its own policy.
    it('entries of one repository are read as insecure as the first of them says', async () => {
      const repo = `${host()}/${NS}/app`;
      const secure = { importPolicy: {} };
      const res = await images('insecure-first', [entry(`${repo}:v1`, 'a'), entry(`${repo}:v2`, 'b', secure)], false);
      expect(res.body.status.images.map((i: any) => i.status.status)).toEqual(['Success', 'Success']);
      const written = await images('insecure-first', [entry(`${repo}:v1`, 'a'), entry(`${repo}:v2`, 'b', secure)]);
      expect(specTag(written.body.status.import, 'b').importPolicy).toEqual({ importMode: 'Legacy' });
      expect(statusTag(written.body.status.import, 'b').items[0].image).toBe(two.manifestDigest);
      const reversed = await images('insecure-first', [entry(`${repo}:v2`, 'b', secure), entry(`${repo}:v1`, 'a')], false);
      expect(reversed.body.status.images.map((i: any) => i.status.reason)).toEqual(['InternalError', 'InternalError']);
      expect(reversed.body.status.images[1].status.message).toBe(`Internal error occurred: ${repo}:v1: Get "https://${host()}/v2/": http: server gave HTTP response to HTTPS client`);
    });

    it('a stale metadata.resourceVersion: 409 Conflict on imagestream (singular), as rest.go words it', async () => {
      const current = (await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, { metadata: { name: 'stale' }, spec: {} })).body;
      const res = await post({ metadata: { name: 'stale', resourceVersion: '999999' }, spec: { import: true, images: [entry(`${host()}/${NS}/app:v2`, 'v2')] } });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Operation cannot be fulfilled on imagestream.image.openshift.io "stale": the image stream was updated from "999999" to "${current.metadata.resourceVersion}"`,
        reason: 'Conflict',
        details: { name: 'stale', group: 'image.openshift.io', kind: 'imagestream' },
        code: 409,
      });
    });

    it('a reference by tag and digest reads the digest and writes the tag it names', async () => {
      const ref = `${host()}/${NS}/app:v1@${two.manifestDigest}`;
      const res = await images('tag-and-digest', [entry(ref)]);
      expect(res.status).toBe(201);
      expect(res.body.spec.images[0].to).toEqual({ name: 'v1' });
      expect(res.body.status.images[0].tag).toBeUndefined();
      expect(res.body.status.images[0].image).toMatchObject({ metadata: { name: two.manifestDigest }, dockerImageReference: `${host()}/${NS}/app@${two.manifestDigest}` });
      const s = res.body.status.import;
      expect(specTag(s, 'v1').from).toEqual({ kind: 'DockerImage', name: ref });
      expect(statusTag(s, 'v1').items[0]).toMatchObject({ image: two.manifestDigest, dockerImageReference: `${host()}/${NS}/app@${two.manifestDigest}` });
    });

    it('`to` names a spec tag that follows another tag and already shows the image: it keeps following, with the request\'s import policy', async () => {
      const repo = `${host()}/${NS}/app`;
      expect((await images('follows-same', [entry(`${repo}:v2`, 'v2')])).status).toBe(201);
      const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreamtags/follows-same:latest`, {
        metadata: { name: 'follows-same:latest' },
        tag: { from: { kind: 'ImageStreamTag', name: 'v2' } },
      });
      expect(put.status).toBe(201);
      const res = await images('follows-same', [entry(`${repo}:v2`, 'latest')]);
      expect(res.status).toBe(201);
      // hasTagChanged is false (same pull spec and image, spec generation not newer): no reset, only importPolicy.
      const s = res.body.status.import;
      expect(specTag(s, 'latest')).toMatchObject({ from: { kind: 'ImageStreamTag', name: 'v2' }, importPolicy: { insecure: true, importMode: 'Legacy' } });
      expect(statusTag(s, 'latest').items).toHaveLength(1);
      // Scheduled, it is an ImageStreamTag tag the stream's validation refuses to schedule.
      const scheduled = await images('follows-same', [entry(`${repo}:v2`, 'latest', { importPolicy: { insecure: true, scheduled: true } })]);
      expect(scheduled.status).toBe(422);
      expect(scheduled.body.details).toMatchObject({ kind: 'ImageStream', name: 'follows-same' });
      expect(scheduled.body.details.causes).toEqual([
        { reason: 'FieldValueInvalid', field: 'spec.tags[latest].importPolicy.scheduled', message: 'Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import' },
      ]);
    });

    it('importPolicy.scheduled from the request lands on the spec tag', async () => {
      const res = await images('sched', [entry(`${host()}/${NS}/app:v1`, 'v1', { importPolicy: { insecure: true, scheduled: true } })]);
      expect(specTag(res.body.status.import, 'v1').importPolicy).toEqual({ insecure: true, scheduled: true, importMode: 'Legacy' });
    });

    it('validation: repository kind, importMode and a missing name, by field', async () => {
      const res = await post({
        metadata: { name: 'bad' },
        spec: { import: true, images: [{ from: { kind: 'DockerImage' } }], repository: { from: { kind: 'ImageStreamTag', name: 'x:y' }, importPolicy: { importMode: 'Nope' } } },
      });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'bad', group: 'image.openshift.io', kind: 'ImageStreamImport' } });
      expect(res.body.details.causes).toEqual([
        { reason: 'FieldValueRequired', field: 'spec.images[0].from.name', message: 'Required value' },
        { reason: 'FieldValueInvalid', field: 'spec.repository.from.kind', message: 'Invalid value: "ImageStreamTag": only DockerImage is supported' },
        { reason: 'FieldValueInvalid', field: 'spec.repository.importPolicy.importMode', message: `Invalid value: "Nope": invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'` },
      ]);
      expect(res.body.message).toBe(
        `ImageStreamImport.image.openshift.io "bad" is invalid: [spec.images[0].from.name: Required value, spec.repository.from.kind: Invalid value: "ImageStreamTag": only DockerImage is supported, spec.repository.importPolicy.importMode: Invalid value: "Nope": invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal']`,
      );
      expect((await stream('bad')).status).toBe(404);
    });

    // ValidateImageStreamImport ends with ValidateObjectMeta(&isi.ObjectMeta, true, ValidateImageStreamName, ...).
    it('validation: the import\'s own metadata (generateName makes no name; labels, annotations, finalizers, owners)', async () => {
      const images = [entry(`${host()}/${NS}/app:v1`, 'v1')];
      const generated = await post({ metadata: { generateName: 'gen-' }, spec: { import: true, images } });
      expect(generated.status).toBe(422);
      // NewInvalid with the empty name: the message quotes it, details omit it (omitempty).
      expect(generated.body.details.name).toBeUndefined();
      expect(generated.body.message).toMatch(/^ImageStreamImport\.image\.openshift\.io "" is invalid: \[metadata\.generateName: /);
      expect(generated.body.details.causes).toEqual([
        { reason: 'FieldValueInvalid', field: 'metadata.generateName', message: 'Invalid value: "gen-": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"' },
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
      const meta = await post({
        metadata: { name: 'meta', labels: { 'bad key!': 'x' }, annotations: { 'a/b/c': 'y' }, finalizers: ['Bad Finalizer'], ownerReferences: [{ apiVersion: 'v1', kind: 'Pod' }] },
        spec: { import: false, images },
      });
      expect(meta.status).toBe(422);
      expect(meta.body.details.causes.map((c: any) => c.field)).toEqual([
        'metadata.labels',
        'metadata.annotations',
        'metadata.ownerReferences.name',
        'metadata.ownerReferences.uid',
        'metadata.finalizers',
        'metadata.finalizers[0]',
      ]);
      expect((await stream('meta')).status).toBe(404);
    });

    it('a name whose \'namespace/name\' is over 255 characters is the stream\'s rule: a lookup answers, an import is refused on the stream', async () => {
      const name = 'a'.repeat(256 - NS.length - 1);
      const lookup = await images(name, [entry(`${host()}/${NS}/app:v1`, 'v1')], false);
      expect(lookup.status).toBe(201);
      expect(lookup.body.status.images[0].status.status).toBe('Success');
      const written = await images(name, [entry(`${host()}/${NS}/app:v1`, 'v1')]);
      expect(written.status).toBe(422);
      expect(written.body).toMatchObject({ reason: 'Invalid', details: { kind: 'ImageStream', name } });
      expect(written.body.details.causes).toEqual([
        { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": 'namespace/name' cannot be longer than 255 characters` },
      ]);
    });
  });

  // rest.go Create: when the stream write fails on a LimitRange (quotautil.IsErrorLimitExceeded),
  // recordLimitExceededStatus puts ImportSuccess=False (the error's reason and message) on each tag
  // the import added to the status, and writes that onto the stream as it was; the answer is the error.
  it('an import over an openshift.io/ImageStream limit: 422, and the new tags of an existing stream record the refusal', async () => {
    const ns = 'isi-s16-limited';
    const repo = `${host()}/${NS}/app`;
    const url = `${api.base}/namespaces/${ns}/imagestreamimports`;
    const first = await call('POST', url, { metadata: { name: 'capped' }, spec: { import: true, images: [entry(`${repo}:v1`, 'v1')] } });
    expect(first.status).toBe(201);
    const before = first.body.status.import;
    const limit = await call('POST', `${api.url}/api/v1/namespaces/${ns}/limitranges`, {
      metadata: { name: 'one-image' },
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '1' } }] },
    });
    expect(limit.status).toBe(201);
    const refused = await call('POST', url, {
      metadata: { name: 'capped' },
      spec: { import: true, images: [entry(`${repo}:v2`, 'v2'), entry(`${repo}:v2`, 'v1'), entry(`${repo}:nope`, 'nope')] },
    });
    expect(refused.status).toBe(422);
    const message =
      'ImageStream.image.openshift.io "capped" is invalid: []: Internal error: ImageStream.image.openshift.io "capped" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (2 > 1)';
    expect(refused.body).toMatchObject({ reason: 'Invalid', code: 422, message });
    const s = (await call('GET', `${api.base}/namespaces/${ns}/imagestreams/capped`)).body;
    // The spec is the stream's as it was; v1 (already in the status) keeps its history, without a condition.
    expect(s.spec).toEqual(before.spec);
    expect(s.metadata.generation).toBe(before.metadata.generation);
    expect(statusTag(s, 'v1')).toEqual(statusTag(before, 'v1'));
    const condition = { type: 'ImportSuccess', status: 'False', reason: 'Invalid', message, generation: before.metadata.generation + 1, lastTransitionTime: expect.any(String) };
    expect(statusTag(s, 'v2')).toEqual({ tag: 'v2', items: null, conditions: [condition] });
    // A failed entry's tag is new in the status too: the refusal replaces its own failure.
    expect(statusTag(s, 'nope')).toEqual({ tag: 'nope', items: null, conditions: [condition] });
  });

  // The stream strategy's VerifyLimits compares the stored stream with the one the import
  // writes: a new spec reference counts even when the image is already in the stream.
  it('an import adding a spec reference over openshift.io/image-tags is refused, even with no new image', async () => {
    const ns = 'isi-s16-tags';
    const url = `${api.base}/namespaces/${ns}/imagestreamimports`;
    const first = await call('POST', url, { metadata: { name: 'tags' }, spec: { import: true, images: [entry(`${host()}/${NS}/app:v1`, 'v1')] } });
    expect(first.status).toBe(201);
    const limit = await call('POST', `${api.url}/api/v1/namespaces/${ns}/limitranges`, {
      metadata: { name: 'one-reference' },
      spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/image-tags': '1' } }] },
    });
    expect(limit.status).toBe(201);
    // Another repository holding the same image: the history gains no image, the spec a reference.
    const refused = await call('POST', url, { metadata: { name: 'tags' }, spec: { import: true, images: [entry(`${host()}/${NS}/many:latest`, 'other')] } });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe(
      'ImageStream.image.openshift.io "tags" is invalid: []: Internal error: ImageStream.image.openshift.io "tags" is forbidden: requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (2 > 1)',
    );
    const s = (await call('GET', `${api.base}/namespaces/${ns}/imagestreams/tags`)).body;
    expect(s.spec).toEqual(first.body.status.import.spec);
    expect(statusTag(s, 'other').conditions).toEqual([expect.objectContaining({ reason: 'Invalid', message: refused.body.message, generation: s.metadata.generation + 1 })]);
    // Re-importing the tag it has adds no reference: fine.
    expect((await call('POST', url, { metadata: { name: 'tags' }, spec: { import: true, images: [entry(`${host()}/${NS}/app:v1`, 'v1')] } })).status).toBe(201);
  });

  (kubectlFound ? it : it.skip)('kubectl create -f prints `imagestreamimport.image.openshift.io/<name> created`', async () => {
    const ws = kubectlWorkspace(api.url, NS);
    try {
      const file = ws.write(
        'isi.yaml',
        `apiVersion: image.openshift.io/v1\nkind: ImageStreamImport\nmetadata:\n  name: kc16\nspec:\n  import: true\n  images:\n  - from: {kind: DockerImage, name: "${host()}/${NS}/app:v2"}\n    to: {name: v2}\n    importPolicy: {insecure: true}\n`,
      );
      const out = await ws.run(['create', '-f', file]);
      expect(out.stderr).toBe('');
      expect(out.stdout).toBe('imagestreamimport.image.openshift.io/kc16 created\n');
      expect(out.code).toBe(0);
      expect(statusTag((await stream('kc16')).body, 'v2').items[0].image).toBe(two.manifestDigest);
    } finally {
      ws.remove();
    }
  });

  describe('background import of DockerImage spec tags', () => {
    beforeAll(async () => {
      worker = await bootstrapWorker(config);
    });

    it('a spec tag whose import the stream\'s LimitRange refuses ends with that refusal as its condition, and is not retried', async () => {
      const ns = 'isi-s16-bg-limited';
      const streams = `${api.base}/namespaces/${ns}/imagestreams`;
      // The limit first (one image: a's import is within it): the worker learns of new LimitRanges
      // within a second (README, Quota and limits), long before b asks for its import.
      expect((await call('POST', `${api.url}/api/v1/namespaces/${ns}/limitranges`, { metadata: { name: 'one' }, spec: { limits: [{ type: 'openshift.io/ImageStream', max: { 'openshift.io/images': '1' } }] } })).status).toBe(201);
      const created = await call('POST', streams, { metadata: { name: 'bg' }, spec: { tags: [{ name: 'a', from: { kind: 'DockerImage', name: `${host()}/${NS}/app:v1` }, importPolicy: { insecure: true } }] } });
      expect(created.status).toBe(201);
      await waitFor('a imported', async () => statusTag((await call('GET', `${streams}/bg`)).body, 'a')?.items?.length);
      await new Promise((r) => setTimeout(r, 1200));
      const put = await call('PUT', `${api.base}/namespaces/${ns}/imagestreamtags/bg:b`, { metadata: { name: 'bg:b' }, tag: { from: { kind: 'DockerImage', name: `${host()}/${NS}/app:v2` }, importPolicy: { insecure: true } } });
      expect(put.status).toBe(201);
      const s = await waitFor('b refused', async () => {
        const got = (await call('GET', `${streams}/bg`)).body;
        return statusTag(got, 'b')?.conditions?.length ? got : null;
      }, 8000);
      expect(statusTag(s, 'b')).toEqual({
        tag: 'b',
        items: null,
        conditions: [
          {
            type: 'ImportSuccess',
            status: 'False',
            reason: 'Invalid',
            message: 'ImageStream.image.openshift.io "bg" is invalid: []: Internal error: ImageStream.image.openshift.io "bg" is forbidden: requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (2 > 1)',
            generation: specTag(s, 'b').generation + 1,
            lastTransitionTime: expect.any(String),
          },
        ],
      });
      // The condition's generation is past the spec tag's: nothing asks for the import again.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await call('GET', `${streams}/bg`)).body.metadata.resourceVersion).toBe(s.metadata.resourceVersion);
    });

    it('importMode of the spec tag: PreserveOriginal records the list, Legacy one platform', async () => {
      const repo = `${host()}/${NS}/multi`;
      const created = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, {
        metadata: { name: 'bg-multi' },
        spec: {
          tags: [
            { name: 'all', from: { kind: 'DockerImage', name: `${repo}:v1` }, importPolicy: { insecure: true, importMode: 'PreserveOriginal' } },
            { name: 'one', from: { kind: 'DockerImage', name: `${repo}:v1` }, importPolicy: { insecure: true } },
          ],
        },
      });
      expect(created.status).toBe(201);
      const s = await waitFor('both tags imported', async () => {
        const got = (await stream('bg-multi')).body;
        return statusTag(got, 'all')?.items?.length && statusTag(got, 'one')?.items?.length ? got : null;
      });
      expect(statusTag(s, 'all').items[0]).toMatchObject({ image: multi.indexDigest, dockerImageReference: `${repo}@${multi.indexDigest}`, generation: s.metadata.generation });
      expect(statusTag(s, 'one').items[0]).toMatchObject({ image: multi.images[0]!.manifestDigest, generation: s.metadata.generation });
      expect(specTag(s, 'all').importPolicy).toEqual({ insecure: true, importMode: 'PreserveOriginal' });
      expect(specTag(s, 'one').importPolicy).toEqual({ insecure: true, importMode: 'Legacy' });
      const list = await call('GET', `${api.base}/images/${multi.indexDigest}`);
      expect(list.body.dockerImageManifests.map((m: any) => m.digest)).toEqual(multi.images.map((i) => i.manifestDigest));

      // Changing only the importMode is a tag change (imagestream strategy tagRefChanged): the tag
      // gets the new stream generation and is imported again, now as the list.
      const tags = s.spec.tags.map((t: any) => (t.name === 'one' ? { ...t, importPolicy: { insecure: true, importMode: 'PreserveOriginal' } } : t));
      const put = await call('PUT', `${api.base}/namespaces/${NS}/imagestreams/bg-multi`, { ...s, spec: { ...s.spec, tags } });
      expect(put.status).toBe(200);
      expect(specTag(put.body, 'one').generation).toBe(put.body.metadata.generation);
      expect(specTag(put.body, 'all').generation).toBe(specTag(s, 'all').generation);
      const moved = await waitFor('the tag imported again', async () => {
        const got = (await stream('bg-multi')).body;
        return statusTag(got, 'one')?.items?.[0]?.image === multi.indexDigest ? got : null;
      });
      expect(statusTag(moved, 'one').items.map((i: any) => i.image)).toEqual([multi.indexDigest, multi.images[0]!.manifestDigest]);
      expect(statusTag(moved, 'one').items[0].generation).toBe(specTag(moved, 'one').generation);
      expect(statusTag(moved, 'all').items).toHaveLength(1);
    });
  });
});
