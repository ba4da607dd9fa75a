import { Client } from 'pg';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { type BuiltImage, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`allowed-registries tests skipped: ${skipReason}`);

const NS = 'allowed';
const INTERNAL = 'registry.local:5000';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

/**
 * allowedRegistriesForImport (IMPORT_ALLOWED_REGISTRIES) on every write path, over real Postgres,
 * HTTP and a real docker-registry: the registry is allowed as `127.0.0.1:<port>` and the same
 * registry named `localhost:<port>` is not.
 */
describeRegistry('allowedRegistriesForImport', () => {
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let pg: Client;
  let v1: BuiltImage;
  let shown: string;

  const base = () => `${api.base}/namespaces/${NS}`;
  const refused = () => `localhost:${registry.port}`;
  const notAllowed = (host: string) => `registry "${host}" not allowed by whitelist: ${shown}`;
  const causes = (body: any) => (body.details?.causes ?? []).map((c: any) => ({ reason: c.reason, field: c.field, message: c.message }));
  const dockerTag = (name: string, from: string, extra: Record<string, unknown> = {}) => ({ name, from: { kind: 'DockerImage', name: from }, ...extra });
  const createStream = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) =>
    call('POST', `${base()}/imagestreams`, { metadata: { name, ...(annotations ? { annotations } : {}) }, spec });

  beforeAll(async () => {
    registry = await startRegistry({ logLevel: 'warn' });
    api = await startTestApi({
      internalRegistryHostname: INTERNAL,
      allowedRegistriesForImport: [
        { domainName: registry.host, insecure: false },
        { domainName: 'quay.io', insecure: false },
        { domainName: '*.corp', insecure: true },
      ],
    });
    shown = `"${INTERNAL}", "${registry.host}", "quay.io:443", "*.corp:80"`;
    layout = await OciLayout.create();
    v1 = await layout.addImage('v1', { seed: 'allowed-v1' });
    await skopeoCopy(layout.dir, 'v1', `${registry.host}/${NS}/app:v1`);
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
  });

  describe('ImageStream create', () => {
    it('refuses spec.dockerImageRepository and DockerImage tags on other registries (422, Forbidden causes, nothing stored)', async () => {
      const res = await createStream('bad', { dockerImageRepository: 'evil.io/a/b', tags: [dockerTag('ok', 'quay.io/a/b:1'), dockerTag('hub', 'busybox:1')] });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { name: 'bad', group: 'image.openshift.io', kind: 'ImageStream' } });
      expect(causes(res.body)).toEqual([
        { reason: 'FieldValueForbidden', field: 'spec.dockerImageRepository', message: `Forbidden: ${notAllowed('evil.io')}` },
        { reason: 'FieldValueForbidden', field: 'spec.tags[hub].from.name', message: `Forbidden: ${notAllowed('docker.io:443')}` },
      ]);
      expect(res.body.message).toBe(
        `ImageStream.image.openshift.io "bad" is invalid: [spec.dockerImageRepository: Forbidden: ${notAllowed('evil.io')}, spec.tags[hub].from.name: Forbidden: ${notAllowed('docker.io:443')}]`,
      );
      expect((await call('GET', `${base()}/imagestreams/bad`)).status).toBe(404);
    });

    it('accepts allowed registries, the internal registry and other-kind tags', async () => {
      const res = await createStream('good', {
        dockerImageRepository: 'quay.io/a/b',
        tags: [dockerTag('local', `${registry.host}/${NS}/app:v1`), dockerTag('internal', `${INTERNAL}/x/y:1`), { name: 'ist', from: { kind: 'ImageStreamTag', name: 'good:local' } }],
      });
      expect(res.status).toBe(201);
    });

    it('reads an insecure reference (importPolicy.insecure or the insecureRepository annotation) on port 80 or 443', async () => {
      // `*.corp` is an insecure entry: port 80. A secure reference without a port is on 443.
      expect((await createStream('corp-secure', { tags: [dockerTag('t', 'git.corp/a:1')] })).status).toBe(422);
      expect((await createStream('corp-policy', { tags: [dockerTag('t', 'git.corp/a:1', { importPolicy: { insecure: true } })] })).status).toBe(201);
      expect((await createStream('corp-annotation', { tags: [dockerTag('t', 'git.corp/a:1')] }, { 'openshift.io/image.insecureRepository': 'true' })).status).toBe(201);
    });
  });

  describe('ImageStream update', () => {
    it('keeps references to repositories the stored spec already names, allowed or not', async () => {
      expect((await createStream('legacy', { tags: [dockerTag('a', 'quay.io/a/b:1')] })).status).toBe(201);
      // A stream written before the list was configured (or when it allowed more).
      await pg.query(`UPDATE image_streams SET body = jsonb_set(body, '{spec,tags,0,from,name}', '"evil.io/old/app:1"') WHERE namespace = $1 AND name = 'legacy'`, [NS]);
      const current = (await call('GET', `${base()}/imagestreams/legacy`)).body;
      expect(current.spec.tags[0].from.name).toBe('evil.io/old/app:1');

      const labelled = await call('PUT', `${base()}/imagestreams/legacy`, { ...current, metadata: { ...current.metadata, labels: { kept: 'yes' } } });
      expect(labelled.status).toBe(200);
      // Another tag of the same repository is the same repository.
      const retagged = structuredClone(labelled.body);
      retagged.spec.tags[0].from.name = 'evil.io/old/app:2';
      const moved = await call('PUT', `${base()}/imagestreams/legacy`, retagged);
      expect(moved.status).toBe(200);
      // Another repository on that registry is not.
      const other = structuredClone(moved.body);
      other.spec.tags.push(dockerTag('b', 'evil.io/other/app:1'));
      const res = await call('PUT', `${base()}/imagestreams/legacy`, other);
      expect(res.status).toBe(422);
      expect(causes(res.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.tags[b].from.name', message: `Forbidden: ${notAllowed('evil.io')}` }]);
      // A merge patch goes through the same rules.
      const patch = await call('PATCH', `${base()}/imagestreams/legacy`, { spec: { dockerImageRepository: 'evil.io/third/app' } }, 'application/merge-patch+json');
      expect(patch.status).toBe(422);
      expect(causes(patch.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.dockerImageRepository', message: `Forbidden: ${notAllowed('evil.io')}` }]);
    });
  });

  describe('ImageStreamTag and ImageTag', () => {
    it('refuses a new tag from another registry at tag.from.name / spec.from.name', async () => {
      const ist = await call('POST', `${base()}/imagestreamtags`, { metadata: { name: 'good:evil' }, tag: { from: { kind: 'DockerImage', name: 'evil.io/a/b:1' } } });
      expect(ist.status).toBe(422);
      expect(ist.body.details).toMatchObject({ kind: 'ImageStreamTag', name: 'good:evil' });
      expect(causes(ist.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'tag.from.name', message: `Forbidden: ${notAllowed('evil.io')}` }]);
      const itag = await call('POST', `${base()}/imagetags`, { metadata: { name: 'good:evil' }, spec: { name: 'evil', from: { kind: 'DockerImage', name: 'evil.io/a/b:1' } } });
      expect(itag.status).toBe(422);
      expect(itag.body.details).toMatchObject({ kind: 'ImageTag', name: 'good:evil' });
      expect(causes(itag.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.from.name', message: `Forbidden: ${notAllowed('evil.io')}` }]);
      const allowed = await call('POST', `${base()}/imagestreamtags`, { metadata: { name: 'good:quay' }, tag: { from: { kind: 'DockerImage', name: 'quay.io/a/b:2' } } });
      expect(allowed.status).toBe(201);
    });

    it('keeps the old tag repository on update', async () => {
      await pg.query(`UPDATE image_streams SET body = jsonb_set(body, '{spec,tags}', (body #> '{spec,tags}') || '[{"name":"kept","from":{"kind":"DockerImage","name":"evil.io/kept/app:1"},"importPolicy":{"importMode":"Legacy"},"referencePolicy":{"type":"Source"},"generation":1,"annotations":null}]'::jsonb) WHERE namespace = $1 AND name = 'good'`, [NS]);
      const tag = (await call('GET', `${base()}/imagetags/good:kept`)).body;
      expect(tag.spec.from.name).toBe('evil.io/kept/app:1');
      const same = await call('PUT', `${base()}/imagetags/good:kept`, { ...tag, spec: { ...tag.spec, from: { kind: 'DockerImage', name: 'evil.io/kept/app:2' } } });
      expect(same.status).toBe(200);
      const other = await call('PUT', `${base()}/imagetags/good:kept`, { ...same.body, spec: { ...same.body.spec, from: { kind: 'DockerImage', name: 'evil.io/else/app:2' } } });
      expect(other.status).toBe(422);
      expect(causes(other.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.from.name', message: `Forbidden: ${notAllowed('evil.io')}` }]);
    });
  });

  describe('new status references', () => {
    const map = (stream: string, tag: string, name: string, ref: string) =>
      call('POST', `${base()}/imagestreammappings`, { metadata: { name: stream }, tag, image: { metadata: { name }, dockerImageReference: ref } });

    it('refuses an ImageStreamMapping whose image is on another registry (422 on the stream, nothing written)', async () => {
      const res = await map('good', 'mapped', digest('a'), `evil.io/x/app@${digest('a')}`);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ reason: 'Invalid', details: { name: 'good', kind: 'ImageStream' } });
      expect(causes(res.body)).toEqual([
        { reason: 'FieldValueForbidden', field: 'status.tags[mapped].items[0].dockerImageReference', message: `Forbidden: ${notAllowed('evil.io')}` },
      ]);
      expect((await call('GET', `${api.base}/images/${digest('a')}`)).status).toBe(404);
      expect((await call('GET', `${base()}/imagestreamtags/good:mapped`)).status).toBe(404);
    });

    it('records mappings to the internal and allowed registries, and one already in the history', async () => {
      expect((await map('good', 'mapped', digest('b'), `${INTERNAL}/${NS}/good@${digest('b')}`)).status).toBe(201);
      expect((await map('good', 'quay', digest('c'), `quay.io/a/b@${digest('c')}`)).status).toBe(201);
      // A reference the stream's history holds was accepted once; it may be recorded again.
      const uid = (await pg.query(`SELECT uid::text AS uid FROM image_streams WHERE namespace = $1 AND name = 'good'`, [NS])).rows[0].uid;
      await pg.query(`UPDATE image_stream_tag_events SET docker_image_reference = $2 WHERE stream_uid = $1 AND image = $3`, [uid, `evil.io/x/app@${digest('c')}`, digest('c')]);
      expect((await map('good', 'again', digest('c'), `evil.io/x/app@${digest('c')}`)).status).toBe(201);
    });

    it('lets a spec name a repository the stream history already holds (ImageStream update)', async () => {
      // The history of `good` holds evil.io/x/app (previous test); its spec never named it.
      const current = (await call('GET', `${base()}/imagestreams/good`)).body;
      const withTag = (name: string, from: string) => ({ ...current, spec: { ...current.spec, tags: [...current.spec.tags, dockerTag(name, from)] } });
      const other = await call('PUT', `${base()}/imagestreams/good`, withTag('hist2', 'evil.io/z/app:1'));
      expect(other.status).toBe(422);
      expect(causes(other.body)).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.tags[hist2].from.name', message: `Forbidden: ${notAllowed('evil.io')}` }]);
      expect((await call('PUT', `${base()}/imagestreams/good`, withTag('hist', 'evil.io/x/app:3'))).status).toBe(200);
    });

    it('refuses a /status write that adds a reference on another registry, at every item holding it', async () => {
      const current = (await call('GET', `${base()}/imagestreams/good`)).body;
      const item = { created: '2024-01-01T00:00:00Z', dockerImageReference: `evil.io/y/app@${digest('d')}`, image: digest('d'), generation: 1 };
      const next = { ...current, status: { ...current.status, tags: [...current.status.tags, { tag: 's1', items: [item] }, { tag: 's2', items: [item] }] } };
      const res = await call('PUT', `${base()}/imagestreams/good/status`, next);
      expect(res.status).toBe(422);
      expect(causes(res.body)).toEqual([
        { reason: 'FieldValueForbidden', field: 'status.tags[s1].items[0].dockerImageReference', message: `Forbidden: ${notAllowed('evil.io')}` },
        { reason: 'FieldValueForbidden', field: 'status.tags[s2].items[0].dockerImageReference', message: `Forbidden: ${notAllowed('evil.io')}` },
      ]);
      // Writing the status back as read (references already present) is fine.
      expect((await call('PUT', `${base()}/imagestreams/good/status`, current)).status).toBe(200);
    });
  });

  describe('ImageStreamImport (every caller may create images here, so only the stream write checks)', () => {
    const isi = (name: string, from: string, importFlag = true, to: string | undefined = 'v1') => ({
      metadata: { name },
      spec: { import: importFlag, images: [{ from: { kind: 'DockerImage', name: from }, ...(to ? { to: { name: to } } : {}), importPolicy: { insecure: true } }] },
    });

    it('imports from an allowed registry', async () => {
      const res = await call('POST', `${base()}/imagestreamimports`, isi('imported', `${registry.host}/${NS}/app:v1`));
      expect(res.status).toBe(201);
      expect(res.body.status.images[0].status.status).toBe('Success');
      expect(res.body.status.import.status.tags[0].items[0].image).toBe(v1.manifestDigest);
    });

    it('refuses to write a stream tag sourced from another registry: 422 on the stream at the spec tag and the new status item, nothing written', async () => {
      const res = await call('POST', `${base()}/imagestreamimports`, isi('refused', `${refused()}/${NS}/app:v1`));
      expect(res.status).toBe(422);
      expect(res.body.details).toMatchObject({ name: 'refused', kind: 'ImageStream' });
      // Upstream's internal stream strategy validates the whole new stream: spec, then status.
      expect(causes(res.body)).toEqual([
        { reason: 'FieldValueForbidden', field: 'spec.tags[v1].from.name', message: `Forbidden: ${notAllowed(refused())}` },
        { reason: 'FieldValueForbidden', field: 'status.tags[v1].items[0].dockerImageReference', message: `Forbidden: ${notAllowed(refused())}` },
      ]);
      expect(res.body.message).toBe(
        `ImageStream.image.openshift.io "refused" is invalid: [spec.tags[v1].from.name: Forbidden: ${notAllowed(refused())}, status.tags[v1].items[0].dockerImageReference: Forbidden: ${notAllowed(refused())}]`,
      );
      expect((await call('GET', `${base()}/imagestreams/refused`)).status).toBe(404);
    });

    it('on an existing stream also lists the new items of tags that follow the imported one', async () => {
      const follow = await createStream('follow', { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] });
      expect(follow.status).toBe(201);
      const res = await call('POST', `${base()}/imagestreamimports`, isi('follow', `${refused()}/${NS}/app:v1`));
      expect(res.status).toBe(422);
      expect(res.body.details).toMatchObject({ name: 'follow', kind: 'ImageStream' });
      expect(causes(res.body)).toEqual([
        { reason: 'FieldValueForbidden', field: 'spec.tags[v1].from.name', message: `Forbidden: ${notAllowed(refused())}` },
        { reason: 'FieldValueForbidden', field: 'status.tags[latest].items[0].dockerImageReference', message: `Forbidden: ${notAllowed(refused())}` },
        { reason: 'FieldValueForbidden', field: 'status.tags[v1].items[0].dockerImageReference', message: `Forbidden: ${notAllowed(refused())}` },
      ]);
      const after = (await call('GET', `${base()}/imagestreams/follow`)).body;
      expect(after.metadata.resourceVersion).toBe(follow.body.metadata.resourceVersion);
      expect(after.status.tags ?? []).toEqual([]);
    });

    it('imports into a tag whose stored spec already names the repository (its items are exempt too)', async () => {
      expect((await createStream('legacy-import', { tags: [dockerTag('v1', 'quay.io/a/b:1')] })).status).toBe(201);
      await pg.query(`UPDATE image_streams SET body = jsonb_set(body, '{spec,tags,0,from,name}', to_jsonb($2::text)) WHERE namespace = $1 AND name = 'legacy-import'`, [
        NS,
        `${refused()}/${NS}/app:v1`,
      ]);
      const res = await call('POST', `${base()}/imagestreamimports`, isi('legacy-import', `${refused()}/${NS}/app:v1`));
      expect(res.status).toBe(201);
      expect(res.body.status.import.status.tags[0].items[0].dockerImageReference).toBe(`${refused()}/${NS}/app@${v1.manifestDigest}`);
    });

    (kubectlFound ? it : it.skip)('kubectl create -f import.yaml shows each cause, as oc shows upstream 422s', async () => {
      const kc = kubectlWorkspace(api.url, NS);
      try {
        const file = kc.write(
          'import.yaml',
          `apiVersion: image.openshift.io/v1\nkind: ImageStreamImport\nmetadata:\n  name: kc-refused\nspec:\n  import: true\n  images:\n  - from:\n      kind: DockerImage\n      name: ${refused()}/${NS}/app:v1\n    to:\n      name: v1\n    importPolicy:\n      insecure: true\n`,
        );
        const out = await kc.run(['create', '-f', file]);
        expect(out.code).toBe(1);
        expect(out.stdout).toBe('');
        expect(out.stderr).toBe(
          `The ImageStream "kc-refused" is invalid: \n` +
            `* spec.tags[v1].from.name: Forbidden: ${notAllowed(refused())}\n` +
            `* status.tags[v1].items[0].dockerImageReference: Forbidden: ${notAllowed(refused())}\n`,
        );
      } finally {
        kc.remove();
      }
    });

    it('still looks up images anywhere (import: false), as a user who may create images can upstream', async () => {
      const res = await call('POST', `${base()}/imagestreamimports`, isi('lookup', `${refused()}/${NS}/app:v1`, false));
      expect(res.status).toBe(201);
      expect(res.body.status.images[0].image.metadata.name).toBe(v1.manifestDigest);
    });
  });
});
