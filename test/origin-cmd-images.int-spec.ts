import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { AppConfig } from '@app/config';
import { call, testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, type KubectlRun, type KubectlWorkspace, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { type BuiltImage, type BuiltIndex, OciLayout, registryUnavailableReason, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';

/**
 * OpenShift's own command-line acceptance tests for image streams (openshift/origin
 * test/extended/testdata/cmd/test/cmd/images.sh, image-lookup.sh, get.sh, printer.sh and
 * test/extended/images/{oc_tag,imagestream}.go), replayed at the API level: each `oc` step is
 * sent as what `oc` puts on the wire (`oc tag` PUTs an ImageStreamTag, `oc create imagestreamtag`
 * POSTs one, `oc import-image` POSTs an ImageStreamImport, `oc set image-lookup` patches
 * lookupPolicy), through kubectl where kubectl can say it. Images come from a local registry;
 * imports from docker.io or quay.io fail as an import without network does.
 */
const skipReason = kubectlFound ? registryUnavailableReason() : '`kubectl` is not on PATH';
const suite = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`test/origin-cmd-images.int-spec.ts skipped: ${skipReason}`);

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The TagReference `oc` serializes (Go: name, annotations and generation without omitempty). */
function goTag(fields: Record<string, unknown>): Record<string, unknown> {
  return { name: '', annotations: null, generation: null, importPolicy: {}, referencePolicy: { type: '' }, ...fields };
}

/** The ImageStreamTag `oc` serializes: an empty `image` and `lookupPolicy` always go along. */
function goIstag(namespace: string, name: string, tag: Record<string, unknown> | null, annotations?: Record<string, string>): Record<string, unknown> {
  return {
    kind: 'ImageStreamTag',
    apiVersion: 'image.openshift.io/v1',
    metadata: { name, namespace, creationTimestamp: null, ...(annotations ? { annotations } : {}) },
    tag,
    generation: 0,
    lookupPolicy: { local: false },
    image: { metadata: { creationTimestamp: null }, dockerImageMetadata: null, dockerImageLayers: null },
  };
}

suite(skipReason ? `origin cmd images replay (skipped: ${skipReason})` : 'origin cmd images replay (kubectl, registry)', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let ws: KubectlWorkspace;
  let older: BuiltImage;
  let newer: BuiltImage;
  let multiarch: BuiltIndex;

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => ws.run(args, input);
  const ok = (args: string[], input?: string): Promise<string> => ws.ok(args, input);
  const file = (name: string, text: string): string => ws.write(name, text);
  const ns = (n: string) => `${api.base}/namespaces/${n}`;
  const repo = () => `${registry.host}/library/mysql`;
  const getStream = async (n: string, name: string) => (await call('GET', `${ns(n)}/imagestreams/${name}`)).body;
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  /** `oc tag`: a blind PUT of the ImageStreamTag. */
  const ocTag = (n: string, name: string, tag: Record<string, unknown>) => call('PUT', `${ns(n)}/imagestreamtags/${name}`, goIstag(n, name, goTag(tag)));
  /** Waits until the istag answers (the worker imported the tag it follows). */
  const istagReady = async (n: string, name: string) => {
    const res = await pollUntil(
      () => call('GET', `${ns(n)}/imagestreamtags/${name}`),
      (r) => r.status === 200,
      20000,
    );
    expect(res.status).toBe(200);
    return res.body;
  };
  /** Creates the centos7 sample's mysql stream, its DockerImage tags pointing at the local registry. */
  const createMysqlStream = async (n: string) => {
    const yaml = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: mysql
  annotations: {openshift.io/display-name: MySQL}
spec:
  tags:
  - {name: latest, from: {kind: ImageStreamTag, name: "5.7"}, referencePolicy: {type: Local}}
  - {name: "5.5", from: {kind: DockerImage, name: "${repo()}:5.5"}, referencePolicy: {type: Local}}
  - {name: "5.6", from: {kind: DockerImage, name: "${repo()}:5.6"}, referencePolicy: {type: Local}}
  - {name: "5.7", from: {kind: DockerImage, name: "${repo()}:5.7"}, referencePolicy: {type: Local}}
`;
    expect(await ok(['create', '-n', n, '-f', file(`mysql-${n}.yaml`, yaml)])).toBe('imagestream.image.openshift.io/mysql created\n');
  };
  /** Waits until the worker has imported every tag of namespace n's mysql stream. */
  const mysqlStreamReady = async (n: string) => {
    // The worker imports the tags together: wait for them together.
    await Promise.all(['5.5', '5.6', '5.7', 'latest'].map((tag) => istagReady(n, `mysql:${tag}`)));
  };

  /** The namespaces whose tests start from the mysql stream (`createMysqlStream`), created in beforeAll. */
  const MYSQL_NAMESPACES = ['istagops', 'createistag', 'octag', 'importimage', 'lookup', 'gets', 'describe', 'resolve', 'resolve-rules'];

  beforeAll(async () => {
    registry = await startRegistry({ logLevel: 'warn' });
    // The local registry is the configured one: names on its host are read through REGISTRY_URL over HTTP.
    // It is also the integrated registry (`oc registry info`): streams' repositories live on it.
    const overrides: Partial<AppConfig> = {
      queuePrefix: testQueuePrefix(),
      registryTimeoutMs: 3000,
      registryUrl: registry.url,
      internalRegistryHostname: registry.host,
    };
    api = await startTestApi(overrides);
    worker = await bootstrapWorker(testConfig(api.databaseUrl, overrides));
    layout = await OciLayout.create();
    older = await layout.addImage('older', { seed: 'origin-cmd-mysql-older', env: ['MYSQL_VERSION=5'], cmd: ['run-mysqld'] });
    newer = await layout.addImage('newer', { seed: 'origin-cmd-mysql-newer', env: ['MYSQL_VERSION=8'] });
    multiarch = await layout.addIndex('multiarch', [
      { seed: 'origin-cmd-multi-amd64', architecture: 'amd64', os: 'linux' },
      { seed: 'origin-cmd-multi-s390x', architecture: 's390x', os: 'linux' },
    ]);
    // The copies are independent pushes: the first of `older` alone (its blobs), then all the rest at once.
    await skopeoCopy(layout.dir, 'older', `${repo()}:5.5`);
    await Promise.all([
      ...['5.6', '5.7', 'latest'].map((tag) => skopeoCopy(layout.dir, 'older', `${repo()}:${tag}`)),
      skopeoCopy(layout.dir, 'newer', `${repo()}:8`),
      skopeoCopy(layout.dir, 'multiarch', `${registry.host}/bparees/multiplatformtest:latest`, { all: true }),
    ]);
    ws = kubectlWorkspace(api.url, 'cmd');
    // Each test that needs the mysql stream has a namespace of its own that nothing else touches:
    // create them all at once here (the worker's imports overlap) instead of one after another in
    // the tests, then wait for one namespace's tags at a time (by then most are imported already).
    await Promise.all(MYSQL_NAMESPACES.map(createMysqlStream));
    for (const n of MYSQL_NAMESPACES) await mysqlStreamReady(n);
  }, 120000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
    ws?.remove();
  });

  it('images: create an Image from a file (1.0 metadata, no layers), get, delete', async () => {
    const image = {
      kind: 'Image',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name: 'test', creationTimestamp: null },
      dockerImageReference: 'registry.redhat.io/ubi8/ruby-27:latest',
      dockerImageMetadata: { kind: 'DockerImage', apiVersion: '1.0', Id: '', ContainerConfig: {}, Config: {} },
      dockerImageLayers: [],
      dockerImageMetadataVersion: '1.0',
    };
    expect(await ok(['create', '-f', file('test-image.json', JSON.stringify(image))])).toBe('image.image.openshift.io/test created\n');
    expect(await ok(['get', 'images', 'test', '-o', 'jsonpath={.dockerImageReference}'])).toBe('registry.redhat.io/ubi8/ruby-27:latest');
    expect(await ok(['delete', 'images', 'test'])).toBe('image.image.openshift.io "test" deleted\n');
    expect((await kubectl(['get', 'images', 'test'])).stderr).toContain('images.image.openshift.io "test" not found');
  });

  it('a List of sample streams: tags sorted by name, imports without network fail as conditions, dockerRepositoryCheck set, no istag', async () => {
    const list = {
      kind: 'List',
      apiVersion: 'v1',
      items: [
        {
          apiVersion: 'image.openshift.io/v1',
          kind: 'ImageStream',
          metadata: { name: 'wildfly', annotations: { 'openshift.io/display-name': 'WildFly' } },
          spec: {
            tags: [
              { name: 'latest', annotations: { tags: 'builder,wildfly,java' }, from: { kind: 'ImageStreamTag', name: '21.0' }, referencePolicy: { type: 'Local' } },
              { name: '21.0', annotations: { version: '21.0' }, from: { kind: 'DockerImage', name: 'quay.io/wildfly/wildfly-centos7:21.0.0' }, referencePolicy: { type: 'Local' } },
            ],
          },
        },
        {
          apiVersion: 'image.openshift.io/v1',
          kind: 'ImageStream',
          metadata: { name: 'perl' },
          spec: {
            tags: [
              { name: 'latest', from: { kind: 'ImageStreamTag', name: '5.30-ubi8' }, referencePolicy: { type: 'Local' } },
              // As the sample file writes them: a null generation and an empty import policy.
              { name: '5.30-ubi8', from: { kind: 'DockerImage', name: 'registry.access.redhat.com/ubi8/perl-530:latest' }, generation: null, importPolicy: {}, referencePolicy: { type: 'Local' } },
            ],
          },
        },
      ],
    };
    expect(await ok(['create', '-n', 'samples', '-f', file('samples.json', JSON.stringify(list))])).toBe(
      'imagestream.image.openshift.io/wildfly created\nimagestream.image.openshift.io/perl created\n',
    );
    const failed = await pollUntil(
      () => getStream('samples', 'wildfly'),
      (s) => statusTag(s, '21.0')?.conditions?.[0]?.generation === specTag(s, '21.0')?.generation,
      20000,
    );
    expect(failed.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toMatch(DATE);
    expect(failed.spec.tags.map((t: any) => t.name)).toEqual(['21.0', 'latest']);
    expect(failed.metadata.generation).toBe(2);
    expect(statusTag(failed, '21.0')).toMatchObject({ items: null, conditions: [{ type: 'ImportSuccess', status: 'False', reason: 'InternalError', generation: 2 }] });
    expect(statusTag(failed, '21.0').conditions[0].message).toMatch(/^Internal error occurred: quay\.io\/wildfly\/wildfly-centos7:21\.0\.0: /);
    const latest = await kubectl(['get', 'istag', '-n', 'samples', 'wildfly:latest']);
    expect(latest.stderr).toBe('Error from server (NotFound): imagestreamtags.image.openshift.io "wildfly:latest" not found\n');
    expect(await ok(['get', 'is', '-n', 'samples', 'perl', '-o', 'jsonpath={.spec.tags[*].name}'])).toBe('5.30-ubi8 latest');
    // oc delete istag of a tag that never got an image: the spec tag goes, its alias stays.
    expect(await ok(['delete', 'istag', '-n', 'samples', 'perl:5.30-ubi8'])).toBe('imagestreamtag.image.openshift.io "perl:5.30-ubi8" deleted\n');
    const perl = await getStream('samples', 'perl');
    expect(perl.spec.tags.map((t: any) => t.name)).toEqual(['latest']);
    expect(statusTag(perl, '5.30-ubi8')).toBeUndefined();
  });

  it('image stream tag operations: generation, tag source, annotate, patch to a DockerImage source', async () => {
    const n = 'istagops';
    // The mysql stream of namespace n was created in beforeAll.
    const get = (path: string) => ok(['get', '-n', n, 'istag/mysql:latest', '-o', `jsonpath={${path}}`]);
    // Each group of gets reads one state: one kubectl process per get, the group's at once.
    const gets = (...paths: string[]) => Promise.all(paths.map(get));
    expect(await gets('.generation', '.tag.from.kind', '.tag.from.name', '.image.dockerImageMetadata.Config.Env[0]')).toEqual(['2', 'ImageStreamTag', '5.7', 'MYSQL_VERSION=5']);
    await ok(['annotate', '-n', n, 'istag/mysql:latest', 'foo=bar']);
    expect(await gets('.metadata.annotations.foo', '.tag.annotations.foo')).toEqual(['bar', 'bar']);
    await ok(['annotate', '-n', n, 'istag/mysql:latest', 'foo-']);
    const [annotations, tagAnnotations] = await gets('.metadata.annotations', '.tag.annotations');
    expect(annotations).not.toContain('bar');
    expect(tagAnnotations).not.toContain('bar');
    expect(await ok(['patch', '-n', n, 'istag/mysql:latest', `-p={"tag":{"from":{"kind":"DockerImage","name":"${repo()}:8"}}}`])).toBe(
      'imagestreamtag.image.openshift.io/mysql:latest patched\n',
    );
    const [kind, name, generation] = await gets('.tag.from.kind', '.tag.from.name', '.tag.generation');
    expect([kind, name]).toEqual(['DockerImage', `${repo()}:8`]);
    expect(generation).not.toBe('2');
    // The new source is imported: the tag moves to the other image.
    const moved = await pollUntil(
      () => call('GET', `${ns(n)}/imagestreamtags/mysql:latest`),
      (r) => r.body?.image?.metadata?.name === newer.manifestDigest,
      20000,
    );
    expect(moved.body.image.metadata.name).toBe(newer.manifestDigest);
    expect(moved.body.generation).toBe(moved.body.tag.generation);
  });

  it('oc create imagestreamtag: every flag as oc sends it, and the errors it reports', async () => {
    const n = 'createistag';
    // The mysql stream of namespace n was created in beforeAll.
    const create = (name: string, tag: Record<string, unknown> | null, annotations?: Record<string, string>) =>
      call('POST', `${ns(n)}/imagestreamtags`, goIstag(n, name, tag === null ? null : goTag(tag), annotations));
    const from = (kind: string, name: string) => ({ from: { kind, name } });
    const created = [
      await create('tag:1', from('ImageStreamTag', 'mysql:5.5')),
      await create('tag:2', from('DockerImage', `${repo()}:latest`)),
      await create('tag:3', { annotations: { foo: 'bar' } }, { foo: 'bar' }),
      await create('tag:4', from('ImageStreamTag', '2')),
      await create('tag:5', from('ImageStreamTag', 'tag:2')),
      await create('tag:6', { ...from('DockerImage', `${repo()}:latest`), reference: true }),
      await create('tag:7', { ...from('ImageStreamTag', 'tag:2'), referencePolicy: { type: 'Local' } }),
      await create('tag:8', { ...from('DockerImage', `${repo()}:latest`), importPolicy: { insecure: true } }),
      await create('tag:9', { ...from('DockerImage', `${repo()}:latest`), importPolicy: { scheduled: true }, referencePolicy: { type: 'Local' } }),
      await create('tag-b:1', from('ImageStreamTag', 'mysql:5.5')),
      await create('tag-c:1', { annotations: { 'annotation.with.dots': 'are.ok' } }, { 'annotation.with.dots': 'are.ok' }),
    ];
    expect(created.map((r) => r.status)).toEqual(Array(created.length).fill(201));
    // A name without a tag is reported in the words upstream's create uses.
    const noTag = await create('tag-c', from('DockerImage', `${repo()}:latest`));
    expect(noTag.status).toBe(400);
    expect(noTag.body.message).toBe('"tag-c" must be of the form <stream_name>:<tag>');
    const again = await create('tag:1', from('ImageStreamTag', 'mysql:5.5'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'AlreadyExists', message: 'imagestreamtag.image.openshift.io "tag:1" already exists', details: { name: 'tag:1', kind: 'imagestreamtag' } });

    const tag2 = await istagReady(n, 'tag:2');
    expect(tag2.image.dockerImageReference).toBe(`${repo()}@${older.manifestDigest}`);
    expect((await istagReady(n, 'tag:1')).image.dockerImageReference).toMatch(/mysql@sha256:/);
    expect((await istagReady(n, 'tag-b:1')).image.metadata.name).toBe(older.manifestDigest);
    expect((await istagReady(n, 'tag:4')).image.metadata.name).toBe(tag2.image.metadata.name);
    expect((await istagReady(n, 'tag:5')).image.metadata.name).toBe(tag2.image.metadata.name);
    await istagReady(n, 'tag:8');
    const jsonpath = (expr: string) => ok(['get', '-n', n, 'is/tag', '-o', `jsonpath=${expr}`]);
    // Reads of one state: one kubectl process each, all at once.
    expect(
      await Promise.all([
        jsonpath('{.spec.tags[?(@.name=="3")].annotations.foo}'),
        jsonpath('{.spec.tags[?(@.name=="4")].from.name}'),
        jsonpath('{.spec.tags[?(@.name=="6")].reference}'),
        jsonpath('{.spec.tags[?(@.name=="7")].referencePolicy.type}'),
        jsonpath('{.spec.tags[?(@.name=="8")].importPolicy.insecure}'),
        jsonpath('{.spec.tags[?(@.name=="9")].importPolicy.scheduled}'),
        // An unset reference policy is defaulted to Source, as the server's defaulting does.
        jsonpath('{.spec.tags[?(@.name=="1")].referencePolicy.type}'),
        ok(['get', '-n', n, 'is/tag-c', '-o', 'jsonpath={.spec.tags[0].annotations}']),
      ]),
    ).toEqual(['bar', '2', 'true', 'Local', 'true', 'true', 'Source', '{"annotation.with.dots":"are.ok"}']);
  });

  it('oc tag: aliases, copies of the current image, docker sources, labels, references, new streams', async () => {
    const n = 'octag';
    // The mysql stream of namespace n was created in beforeAll.
    const digest = older.manifestDigest;
    const kindOf = async (stream: string, tag: string) => specTag(await getStream(n, stream), tag)?.from?.kind;
    // --alias: the spec tag follows the source tag (ImageStreamTag) or image (ImageStreamImage); an unknown source tag is fine.
    expect((await ocTag(n, 'mysql:tag1', { from: { kind: 'ImageStreamTag', name: 'mysql:latest' }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect((await ocTag(n, 'mysql:tag2', { from: { kind: 'ImageStreamImage', name: `mysql@${digest}` }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect((await ocTag(n, 'mysql:tag3', { from: { kind: 'ImageStreamTag', name: 'mysql:notfound' }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect((await ocTag(n, 'mysql:tag8', { from: { kind: 'DockerImage', name: `${repo()}:latest` }, generation: 0, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(await kindOf('mysql', 'tag1')).toBe('ImageStreamTag');
    expect(await kindOf('mysql', 'tag2')).toBe('ImageStreamImage');
    expect(await kindOf('mysql', 'tag3')).toBe('ImageStreamTag');
    expect(await kindOf('mysql', 'tag8')).toBe('DockerImage');
    expect((await istagReady(n, 'mysql:tag1')).image.metadata.name).toBe(digest);
    expect((await call('GET', `${ns(n)}/imagestreamtags/mysql:tag3`)).status).toBe(404);

    // Labels: an image can be labelled; an istag carries its stream's labels.
    await ok(['label', 'image', digest, 'foo=bar']);
    expect(await ok(['get', 'image', digest, '--show-labels'])).toContain('foo=bar');
    await ok(['label', '-n', n, 'is/mysql', 'labelA=value']);
    expect((await ocTag(n, 'mysql:labeled', { from: { kind: 'ImageStreamImage', name: `mysql@${digest}` }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(await ok(['get', '-n', n, 'istag/mysql:labeled', '-o', 'jsonpath={.metadata.labels.labelA}'])).toBe('value');

    // Copying an external image keeps its pull spec; --reference keeps the tag a reference.
    expect((await ocTag(n, 'newrepo:latest', { from: { kind: 'DockerImage', name: 'registry-1.docker.io/openshift/origin:v1.0.4' }, generation: 0, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(await kindOf('newrepo', 'latest')).toBe('DockerImage');
    expect((await ocTag(n, 'newrepo:latest', { from: { kind: 'ImageStreamImage', name: `mysql@${digest}` }, referencePolicy: { type: 'Source' } })).status).toBe(200);
    const newrepo = await getStream(n, 'newrepo');
    expect(specTag(newrepo, 'latest').from.kind).toBe('ImageStreamImage');
    expect(statusTag(newrepo, 'latest').items[0].dockerImageReference).toBe(`${repo()}@${digest}`);
    expect((await ocTag(n, 'reference:latest', { from: { kind: 'ImageStreamImage', name: `mysql@${digest}` }, reference: true, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(specTag(await getStream(n, 'reference'), 'latest')).toMatchObject({ from: { kind: 'ImageStreamImage' }, reference: true });

    // Across namespaces: the source namespace rides in from.namespace, both ways.
    const other = 'octag-2';
    expect((await ocTag(other, 'newrepo:latest', { from: { kind: 'ImageStreamImage', name: `mysql@${digest}`, namespace: n }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(await ok(['get', '-n', other, 'istag/newrepo:latest', '-o', 'jsonpath={.image.dockerImageReference}'])).toBe(`${repo()}@${digest}`);
    const back = await ocTag(n, 'mysql:tag1', { from: { kind: 'ImageStreamImage', name: `newrepo@${digest}`, namespace: other }, referencePolicy: { type: 'Source' } });
    expect(back.status).toBe(200);
    expect(specTag(await getStream(other, 'newrepo'), 'latest').name).toBe('latest');

    // --scheduled, then --insecure (which drops scheduled: oc sends the whole import policy).
    await ocTag(n, 'newrepo:latest', { from: { kind: 'DockerImage', name: 'mysql:5.7' }, generation: 0, importPolicy: { scheduled: true }, referencePolicy: { type: 'Source' } });
    expect(await ok(['get', '-n', n, 'is/newrepo', '-o', 'jsonpath={.spec.tags[0].importPolicy.scheduled}'])).toBe('true');
    await ocTag(n, 'newrepo:latest', { from: { kind: 'DockerImage', name: 'mysql:5.7' }, generation: 0, importPolicy: { insecure: true }, referencePolicy: { type: 'Source' } });
    const policy = specTag(await getStream(n, 'newrepo'), 'latest').importPolicy;
    expect(policy).toEqual({ insecure: true, importMode: 'Legacy' });

    // Streams that do not exist are created by the tag.
    for (const stream of ['tagtest1', 'tagtest2']) {
      expect((await kubectl(['get', '-n', n, 'imagestreams', stream])).stderr).toContain('not found');
      expect((await ocTag(n, `${stream}:latest`, { from: { kind: 'ImageStreamImage', name: `mysql@${digest}` }, referencePolicy: { type: 'Source' } })).status).toBe(201);
      expect(await kindOf(stream, 'latest')).toBe('ImageStreamImage');
    }
    expect(await ok(['delete', '-n', n, 'is/tagtest1', 'is/tagtest2'])).toBe(
      'imagestream.image.openshift.io "tagtest1" deleted\nimagestream.image.openshift.io "tagtest2" deleted\n',
    );
  });

  it('oc tag -d and oc delete istag: spec-only tags go too; a missing stream or tag is 404', async () => {
    const n = 'deltag';
    const stream = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: test-stream}
spec:
  tags:
  - name: latest
  - name: installable
    from: {kind: DockerImage, name: "openshift/origin:v1.0.6"}
    annotations: {io.openshift.generate.job: "true"}
`;
    await ok(['create', '-n', n, '-f', file('test-stream.yaml', stream)]);
    // oc tag -d sends DELETE imagestreamtags/<stream>:<tag> first.
    expect((await call('DELETE', `${ns(n)}/imagestreamtags/test-stream:latest`)).body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await getStream(n, 'test-stream')).spec.tags.map((t: any) => t.name)).toEqual(['installable']);
    const gone = await kubectl(['delete', '-n', n, 'istag', 'test-stream:latest']);
    expect(gone.stderr).toBe('Error from server (NotFound): imagestreamtags.image.openshift.io "test-stream:latest" not found\n');
    const noStream = await kubectl(['delete', '-n', n, 'istag', 'nostream:latest']);
    expect(noStream.stderr).toBe('Error from server (NotFound): imagestreamtags.image.openshift.io "nostream" not found\n');
    expect(await ok(['delete', '-n', n, 'is/test-stream'])).toBe('imagestream.image.openshift.io "test-stream" deleted\n');
  });

  it('merge tags on apply: kubectl apply of a changed stream merges spec tags by name', async () => {
    const n = 'merge-tags';
    const ruby = {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStream',
      metadata: { name: 'ruby', annotations: { 'openshift.io/display-name': 'Ruby' } },
      spec: {
        tags: [
          { name: 'latest', from: { kind: 'ImageStreamTag', name: '2.7' }, referencePolicy: { type: 'Local' } },
          { name: '2.7-ubi8', annotations: { version: '2.7' }, from: { kind: 'DockerImage', name: 'registry.access.redhat.com/ubi8/ruby-27:latest' }, referencePolicy: { type: 'Local' } },
        ],
      },
    };
    await ok(['create', '-n', n, '-f', file('ruby.json', JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [ruby] }))]);
    expect(await ok(['get', '-n', n, 'is', 'ruby', '-o', 'jsonpath={.spec.tags[*].name}'])).toBe('2.7-ubi8 latest');
    const modified = {
      kind: 'ImageStream',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name: 'ruby', annotations: { 'openshift.io/display-name': 'Ruby' } },
      spec: {
        tags: [
          { name: '2.7', annotations: { version: '2.7 patched' }, from: { kind: 'DockerImage', name: 'registry.centos.org/centos/ruby-27-centos7:latest' } },
          { name: 'newtag', from: { kind: 'DockerImage', name: 'registry.centos.org/centos/ruby-27-centos7:latest' } },
        ],
      },
    };
    const applied = await kubectl(['apply', '-n', n, '-f', file('modified-ruby.json', JSON.stringify(modified))]);
    expect(applied.stdout).toBe('imagestream.image.openshift.io/ruby configured\n');
    expect(await ok(['get', '-n', n, 'is', 'ruby', '-o', 'jsonpath={.spec.tags[*].name}'])).toBe('2.7 2.7-ubi8 latest newtag');
    expect(await ok(['get', '-n', n, 'is', 'ruby', '-o', 'jsonpath={.spec.tags[0].annotations.version}'])).toBe('2.7 patched');
  });

  it('import-image: re-import of an existing tag, a new tag and a new stream from an unreachable registry', async () => {
    const n = 'importimage';
    // The mysql stream of namespace n was created in beforeAll.
    const isi = (name: string, resourceVersion: string | undefined, images: unknown[]) => ({
      kind: 'ImageStreamImport',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name, namespace: n, creationTimestamp: null, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: { import: true, images },
      status: {},
    });
    // oc import-image mysql:5.6: the existing tag's source, its generation reset to 0.
    let current = await getStream(n, 'mysql');
    const reimport = await call('POST', `${ns(n)}/imagestreamimports`, isi('mysql', current.metadata.resourceVersion, [
      { from: { kind: 'DockerImage', name: `${repo()}:5.6` }, to: { name: '5.6' }, importPolicy: {}, referencePolicy: { type: 'Local' } },
    ]));
    expect(reimport.status).toBe(201);
    expect(reimport.body.status.images[0]).toMatchObject({ status: { status: 'Success' }, tag: '5.6', image: { metadata: { name: older.manifestDigest } } });
    current = await getStream(n, 'mysql');
    expect(current.spec.tags.map((t: any) => `${t.name}=${t.from.kind}`)).toEqual(['5.5=DockerImage', '5.6=DockerImage', '5.7=DockerImage', 'latest=ImageStreamTag']);
    expect(current.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toMatch(DATE);

    // oc import-image mysql:external --from=docker.io/mysql: no network, so a Failure; the spec tag is still written.
    const external = await call('POST', `${ns(n)}/imagestreamimports`, isi('mysql', current.metadata.resourceVersion, [
      { from: { kind: 'DockerImage', name: 'docker.io/mysql' }, to: { name: 'external' }, importPolicy: {}, referencePolicy: { type: '' } },
    ]));
    expect(external.status).toBe(201);
    expect(external.body.status.images[0].status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(external.body.status.images[0].status.message).toMatch(/^Internal error occurred: docker\.io\/library\/mysql:latest: /);
    expect((await kubectl(['get', '-n', n, 'istag/mysql:external'])).stderr).toBe(
      'Error from server (NotFound): imagestreamtags.image.openshift.io "mysql:external" not found\n',
    );
    const withExternal = await getStream(n, 'mysql');
    expect(specTag(withExternal, 'external')).toMatchObject({ from: { kind: 'DockerImage', name: 'docker.io/mysql' } });
    expect(statusTag(withExternal, 'external').conditions[0]).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'InternalError' });
    expect(await ok(['get', '-n', n, 'itag/mysql:external', '-o', 'jsonpath={.spec.from.name}'])).toBe('docker.io/mysql');

    // oc import-image mysql-new-single:latest --from=docker.io/mysql:latest --confirm: a stream with one tag.
    const single = await call('POST', `${ns(n)}/imagestreamimports`, isi('mysql-new-single', undefined, [
      { from: { kind: 'DockerImage', name: 'docker.io/mysql:latest' }, to: { name: 'latest' }, importPolicy: {}, referencePolicy: { type: '' } },
    ]));
    expect(single.status).toBe(201);
    expect(await ok(['get', '-n', n, 'is/mysql-new-single', '-o', 'jsonpath={.spec.tags[*].name}'])).toBe('latest');
    expect(await ok(['delete', '-n', n, 'is/mysql-new-single'])).toBe('imagestream.image.openshift.io "mysql-new-single" deleted\n');
  });

  it('image-lookup: oc set image-lookup patches lookupPolicy, istags show it, an unchanged patch changes nothing', async () => {
    const n = 'lookup';
    // The mysql stream of namespace n was created in beforeAll.
    expect(await ok(['patch', '-n', n, 'is/mysql', '-p', '{"spec":{"lookupPolicy":{"local":true}}}'])).toBe('imagestream.image.openshift.io/mysql patched\n');
    expect(await ok(['patch', '-n', n, 'is/mysql', '-p', '{"spec":{"lookupPolicy":{"local":true}}}'])).toBe('imagestream.image.openshift.io/mysql patched (no change)\n');
    expect(await ok(['get', '-n', n, 'istag/mysql:latest', '-o', 'jsonpath={.lookupPolicy.local}'])).toBe('true');
    expect(await ok(['get', '-n', n, 'is', '-o', 'custom-columns=NAME:.metadata.name,LOCAL:.spec.lookupPolicy.local', '--no-headers'])).toMatch(/^mysql\s+true\n$/);
    await ok(['patch', '-n', n, 'is/mysql', '-p', '{"spec":{"lookupPolicy":{"local":false}}}']);
    expect(await ok(['get', '-n', n, 'is', '-o', 'custom-columns=NAME:.metadata.name,LOCAL:.spec.lookupPolicy.local', '--no-headers'])).toMatch(/^mysql\s+false\n$/);
    // oc tag nginx:latest alternate:latest copies the image; the new stream's lookup policy is its own.
    expect((await ocTag(n, 'alternate:latest', { from: { kind: 'ImageStreamImage', name: `mysql@${older.manifestDigest}` }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(await ok(['get', '-n', n, 'istag/alternate:latest', '-o', 'jsonpath={.lookupPolicy.local}'])).toBe('false');
  });

  it('get: table columns for is and istag, `get all` and mixed kinds prefix the resource', async () => {
    const n = 'gets';
    // The mysql stream of namespace n was created in beforeAll.
    await ok(['create', '-n', n, '-f', file('testimg1.yaml', 'apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: testimg1}\n')]);
    // Reads of one state: one kubectl process each, all at once.
    const [isTable, all, istagTable, istagWide] = await Promise.all([
      ok(['get', 'is', '-n', n]),
      ok(['get', 'all', '-n', n]),
      ok(['get', 'istag', '-n', n]),
      ok(['get', 'istag', '-n', n, '-o', 'wide']),
    ]);
    const is = isTable.split('\n');
    expect(is[0]).toMatch(/^NAME\s+IMAGE REPOSITORY\s+TAGS\s+UPDATED$/);
    expect(is.find((l) => l.startsWith('mysql '))).toMatch(/^mysql\s+(\S+\s+)?[0-9.,a-z]+\s+\S+/);
    expect(isTable).not.toContain('imagestream.image.openshift.io/testimg1');
    expect(all).toContain('imagestream.image.openshift.io/testimg1');
    expect(all).toContain('imagestream.image.openshift.io/mysql');
    const istags = istagTable.split('\n');
    expect(istags[0]).toMatch(/^NAME\s+IMAGE REFERENCE\s+UPDATED$/);
    expect(istags.filter((l) => l.startsWith('mysql:')).map((l) => l.split(/\s+/)[0])).toEqual(['mysql:5.5', 'mysql:5.6', 'mysql:5.7', 'mysql:latest']);
    expect(istagWide.split('\n')[0]).toMatch(/^NAME\s+IMAGE REFERENCE\s+UPDATED\s+IMAGE NAME$/);
  });

  it('ImageStream API (imagestream.go): mappings with plain image names, immutable images, istag update conflicts', async () => {
    const n = 'isapi';
    expect((await call('POST', `${ns(n)}/imagestreams`, { metadata: { name: 'test' } })).status).toBe(201);
    const mapping = { metadata: { name: 'test' }, tag: 'newer', image: { metadata: { name: 'image1' }, dockerImageReference: 'some/other/name' } };
    expect((await call('POST', `${ns(n)}/imagestreammappings`, mapping)).status).toBe(201);
    expect((await call('POST', `${ns(n)}/imagestreammappings`, mapping)).status).toBe(201);
    const image = { metadata: { name: 'image-4242' }, dockerImageMetadata: { Config: { Env: ['A=B'] } } };
    expect((await call('POST', `${api.base}/images`, image)).status).toBe(422);
    expect((await call('POST', `${api.base}/images`, { ...image, dockerImageReference: 'some/other/name' })).status).toBe(201);
    const newest = { metadata: { name: 'test' }, tag: 'newest', image: { ...image, dockerImageReference: 'different' } };
    expect((await call('POST', `${ns(n)}/imagestreammappings`, newest)).status).toBe(201);
    expect((await call('GET', `${api.base}/images/image-4242`)).body.dockerImageReference).toBe('some/other/name');
    expect((await getStream(n, 'test')).spec.tags ?? []).toEqual([]);
    const istag = async (tag: string) => (await call('GET', `${ns(n)}/imagestreamtags/test:${tag}`)).body;
    expect(await istag('newer')).toMatchObject({ metadata: { name: 'test:newer' }, image: { metadata: { uid: expect.any(String) }, dockerImageReference: 'some/other/name' } });
    expect(await istag('newest')).toMatchObject({ metadata: { name: 'test:newest' }, image: { dockerImageReference: 'different' } });
    expect((await call('POST', `${ns(n)}/imagestreammappings`, { metadata: { name: 'test' }, tag: 'anothertag', image: { ...image, dockerImageReference: 'some/other/name' } })).status).toBe(201);
    expect((await call('GET', `${ns(n)}/imagestreamtags/test:doesnotexist`)).status).toBe(404);
    const rv = (await istag('anothertag')).metadata.resourceVersion as string;
    const update = (resourceVersion: string) =>
      call('PUT', `${ns(n)}/imagestreamtags/test:brandnew`, { metadata: { name: 'test:brandnew', resourceVersion }, tag: { from: { kind: 'ImageStreamTag', name: 'newest' } } });
    const stale = await update(`${rv}0`);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', details: { name: 'test:brandnew', kind: 'imagestreamtags' } });
    const fresh = await update(rv);
    expect(fresh.status).toBe(201);
    expect(fresh.body).toMatchObject({ metadata: { name: 'test:brandnew' }, tag: { from: { name: 'newest' } }, image: { metadata: { uid: expect.any(String) } } });
  });

  it('a List of an Image, a stream and a mapping (stable-busybox) is created in order; history and metadata read back', async () => {
    const n = 'busybox';
    const digest = `sha256:${'b'.repeat(64)}`;
    const yaml = `kind: List
apiVersion: v1
metadata: {}
items:
- apiVersion: image.openshift.io/v1
  kind: Image
  metadata: {name: "${digest}", creationTimestamp: 2016-07-27T15:12:10Z, resourceVersion: "504", uid: 7d6849b4-540c-11e6-809f-525400f25e34}
  dockerImageReference: busybox@${digest}
  dockerImageMetadataVersion: "1.0"
  dockerImageMetadata: {apiVersion: "1.0", kind: DockerImage, Architecture: amd64, Id: "sha256:${'2'.repeat(64)}", Size: 669049, Created: 2016-06-23T23:23:37Z, Config: {Cmd: [sh]}}
  dockerImageLayers:
  - {mediaType: application/vnd.docker.image.rootfs.diff.tar.gzip, name: "sha256:${'3'.repeat(64)}", size: 667590}
  dockerImageManifestMediaType: application/vnd.docker.distribution.manifest.v2+json
- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata:
    annotations: {openshift.io/image.dockerRepositoryCheck: 2016-07-27T16:08:39Z}
    generation: 1
    name: busybox
    resourceVersion: "505"
    uid: 7d687e72-540c-11e6-809f-525400f25e34
- apiVersion: image.openshift.io/v1
  kind: ImageStreamMapping
  metadata: {name: busybox}
  tag: latest
  image:
    metadata: {name: "${digest}"}
    dockerImageReference: busybox@${digest}
`;
    const created = await kubectl(['create', '-n', n, '-f', file('stable-busybox.yaml', yaml)]);
    expect(created.code).toBe(0);
    expect(created.stdout.split('\n').slice(0, 2)).toEqual([`image.image.openshift.io/${digest} created`, 'imagestream.image.openshift.io/busybox created']);
    const s = await getStream(n, 'busybox');
    expect(s.metadata.uid).not.toBe('7d687e72-540c-11e6-809f-525400f25e34');
    expect(s.metadata.annotations['openshift.io/image.dockerRepositoryCheck']).toBe('2016-07-27T16:08:39Z');
    expect(statusTag(s, 'latest').items).toEqual([expect.objectContaining({ image: digest, dockerImageReference: `busybox@${digest}`, generation: 1 })]);
    const ist = (await call('GET', `${ns(n)}/imagestreamtags/busybox:latest`)).body;
    expect(ist.image.dockerImageMetadata).toMatchObject({ Architecture: 'amd64', Size: 669049, Config: { Cmd: ['sh'] } });
  });
  it('describe and isimage: the fields oc describe prints are there; an image is found by a 15-character prefix', async () => {
    const n = 'describe';
    // The mysql stream of namespace n was created in beforeAll.
    const ist = await istagReady(n, 'mysql:latest');
    // oc describe istag prints Environment, Image Created, Image Name and Layers from these.
    expect(ist.image.dockerImageMetadata.Config.Env).toEqual(['MYSQL_VERSION=5']);
    expect(ist.image.dockerImageMetadata.Created).toMatch(DATE);
    expect(ist.image.dockerImageLayers.length).toBeGreaterThan(0);
    expect((await kubectl(['describe', '-n', n, 'istag/mysql:latest'])).code).toBe(0);
    const prefix = (ist.image.metadata.name as string).slice(0, 15);
    const isimage = JSON.parse(await ok(['get', '-n', n, `isimage/mysql@${prefix}`, '-o', 'json']));
    expect(isimage.metadata.name).toBe(`mysql@${prefix}`);
    expect(isimage.image.metadata.name).toBe(older.manifestDigest);
    expect(isimage.image.dockerImageMetadata.Config.Env).toEqual(['MYSQL_VERSION=5']);
    expect((await kubectl(['describe', '-n', n, `isimage/mysql@${prefix}`])).stdout).toContain(`mysql@${prefix}`);
    // referencePolicy Local: the istag's pull spec is the stream's repository in the integrated registry.
    const repository = (await getStream(n, 'mysql')).status.dockerImageRepository;
    expect(repository).toBe(`${registry.host}/${n}/mysql`);
    expect(ist.image.dockerImageReference).toBe(`${repository}@${older.manifestDigest}`);
  });

  it('prefer-os and prefer-arch annotations pick the platform of a manifest list, per tag', async () => {
    const n = 'multiarch';
    const source = `${registry.host}/bparees/multiplatformtest:latest`;
    const yaml = `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: test-multiarch-stream}
spec:
  tags:
  - name: linux-amd64
    from: {kind: DockerImage, name: "${source}"}
    annotations: {importer.image.openshift.io/prefer-os: linux, importer.image.openshift.io/prefer-arch: amd64}
  - name: linux-s390x
    from: {kind: DockerImage, name: "${source}"}
    annotations: {importer.image.openshift.io/prefer-os: linux, importer.image.openshift.io/prefer-arch: s390x}
`;
    await ok(['create', '-n', n, '-f', file('test-multiarch-stream.yaml', yaml)]);
    const amd64 = await istagReady(n, 'test-multiarch-stream:linux-amd64');
    const s390x = await istagReady(n, 'test-multiarch-stream:linux-s390x');
    expect(await ok(['get', '-n', n, 'istag', 'test-multiarch-stream:linux-amd64', '--template={{.image.dockerImageMetadata.Architecture}}'])).toBe('amd64');
    expect(await ok(['get', '-n', n, 'istag', 'test-multiarch-stream:linux-s390x', '--template={{.image.dockerImageMetadata.Architecture}}'])).toBe('s390x');
    expect([amd64.image.metadata.name, s390x.image.metadata.name]).toEqual(multiarch.images.map((i) => i.manifestDigest));
    expect(await ok(['delete', '-n', n, 'is', 'test-multiarch-stream'])).toBe('imagestream.image.openshift.io "test-multiarch-stream" deleted\n');
  });

  it('oc tag --source=istag of an image in the integrated registry points the copy at its own repository (oc_tag.go)', async () => {
    const n = 'internal';
    // What a build pushes: the stream's own repository in the integrated registry.
    await skopeoCopy(layout.dir, 'newer', `${registry.host}/${n}/localimage:latest`);
    await ok(['create', '-n', n, '-f', file('localimage.yaml', `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: localimage}
spec:
  tags:
  - {name: latest, from: {kind: DockerImage, name: "${registry.host}/${n}/localimage:latest"}}
`)]);
    await istagReady(n, 'localimage:latest');
    const source = await getStream(n, 'localimage');
    expect(statusTag(source, 'latest').items).toHaveLength(1);
    const ref = statusTag(source, 'latest').items[0].dockerImageReference as string;
    expect(ref).toBe(`${registry.host}/${n}/localimage@${newer.manifestDigest}`);
    // oc tag --source=istag localimage:latest localimage2:latest: oc resolves the tag's current image first.
    expect((await ocTag(n, 'localimage2:latest', { from: { kind: 'ImageStreamImage', name: `localimage@${newer.manifestDigest}` }, referencePolicy: { type: 'Source' } })).status).toBe(201);
    const copy = statusTag(await getStream(n, 'localimage2'), 'latest');
    expect(copy.items).toHaveLength(1);
    expect(copy.items[0].dockerImageReference).toBe(`${registry.host}/${n}/localimage2@${newer.manifestDigest}`);
    // --reference keeps pulling from the source repository.
    expect((await ocTag(n, 'localimage3:latest', { from: { kind: 'ImageStreamImage', name: `localimage@${newer.manifestDigest}` }, reference: true, referencePolicy: { type: 'Source' } })).status).toBe(201);
    expect(statusTag(await getStream(n, 'localimage3'), 'latest').items[0].dockerImageReference).toBe(ref);
  });

  it('oc delete all --all removes the image streams (category all)', async () => {
    const n = 'deleteall';
    await ok(['create', '-n', n, '-f', file('circular.yaml', 'apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n- apiVersion: image.openshift.io/v1\n  kind: ImageStream\n  metadata: {name: newapp-circular-template}\n  spec: {}\n')]);
    expect((await getStream(n, 'newapp-circular-template')).spec).toEqual({ lookupPolicy: { local: false } });
    expect(await ok(['delete', 'all', '--all', '-n', n])).toBe('imagestream.image.openshift.io "newapp-circular-template" deleted\n');
    expect((await kubectl(['get', 'is', '-n', n])).stderr).toBe(`No resources found in ${n} namespace.\n`);
  });
  it('TestImageStreamTagLifecycleHook: a blind istag PUT tags a container image, again (unchanged), and into a new stream', async () => {
    const n = 'hook';
    expect((await call('POST', `${ns(n)}/imagestreams`, { metadata: { name: 'test' } })).status).toBe(201);
    // What the deployment hook's TagImages sends: no resourceVersion, a DockerImage source, nothing else.
    const tagImage = (name: string) =>
      call('PUT', `${ns(n)}/imagestreamtags/${name}`, { metadata: { name, namespace: n }, tag: { from: { kind: 'DockerImage', name: 'someimage:other' } } });
    expect((await tagImage('test:test')).status).toBe(201);
    const first = await getStream(n, 'test');
    expect(specTag(first, 'test').from).toEqual({ kind: 'DockerImage', name: 'someimage:other' });
    expect((await tagImage('test:test')).status).toBe(200);
    expect(specTag(await getStream(n, 'test'), 'test')).toEqual(specTag(first, 'test'));
    expect((await tagImage('test2:test')).status).toBe(201);
    expect(specTag(await getStream(n, 'test2'), 'test').from.name).toBe('someimage:other');
  });
  it('image lookup (image-lookup.sh, resolve.go): workloads name local images; lookupPolicy.local or resolve-names rewrites them to the tag image', async () => {
    const n = 'resolve';
    // The mysql stream of namespace n was created in beforeAll.
    const digest = older.manifestDigest;
    const resolved = `${registry.host}/${n}/mysql@${digest}`;
    const deployment = (name: string, images: string[], templateAnnotations = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}${templateAnnotations ? `\n      annotations: {${templateAnnotations}}` : ''}
    spec:
      containers:
${images.map((image, i) => `      - {name: c${i}, image: "${image}"}`).join('\n')}
`;
    const imagesOf = async (kind: string, name: string, path = '{.spec.template.spec.containers[*].image}') => (await ok(['get', '-n', n, kind, name, '-o', `jsonpath=${path}`])).split(' ');
    const external = `${repo()}:5.7`;
    const pinned = `${repo()}@${digest}`;
    // Without a lookup policy nothing changes.
    await ok(['apply', '-n', n, '-f', file('plain.yaml', deployment('plain', ['mysql:latest', 'mysql']))]);
    expect(await imagesOf('deploy', 'plain')).toEqual(['mysql:latest', 'mysql']);
    // oc set image-lookup is/mysql
    await ok(['patch', '-n', n, 'is/mysql', '--type=merge', '-p', '{"spec":{"lookupPolicy":{"local":true}}}']);
    await ok(['apply', '-n', n, '-f', file('local.yaml', deployment('local', ['mysql:latest', 'mysql', 'mysql:unknown', 'other:latest', external, pinned]))]);
    // A tag without an image points at the stream's repository; other names are left alone.
    expect(await imagesOf('deploy', 'local')).toEqual([resolved, resolved, `${registry.host}/${n}/mysql:unknown`, 'other:latest', external, pinned]);
    // Applying the same file again sends the written names back (live differs from the file), and
    // admission turns them into what is stored: nothing changes.
    const before = await ok(['get', '-n', n, 'deploy', 'local', '-o', 'jsonpath={.metadata.resourceVersion} {.metadata.generation}']);
    expect(await ok(['apply', '-n', n, '-f', join(ws.dir, 'local.yaml')])).toBe('deployment.apps/local configured\n');
    expect(await ok(['get', '-n', n, 'deploy', 'local', '-o', 'jsonpath={.metadata.resourceVersion} {.metadata.generation}'])).toBe(before);
    // Server-side apply of the same names: merged in, resolved again, nothing written.
    await ok(['apply', '--server-side', '-n', n, '-f', file('ssa.yaml', deployment('ssa', ['mysql:latest']))]);
    expect(await imagesOf('deploy', 'ssa')).toEqual([resolved]);
    const applied = await ok(['get', '-n', n, 'deploy', 'ssa', '-o', 'jsonpath={.metadata.resourceVersion}']);
    // In a later second (managedFields times have one-second resolution): the apply's own
    // timestamp would change, and a change of timestamps alone must write nothing. The apply is
    // done, so the next whole second of this machine's clock (the server's) is later: no need for a full one.
    await sleep(1050 - (Date.now() % 1000));
    expect(await ok(['apply', '--server-side', '-n', n, '-f', join(ws.dir, 'ssa.yaml')])).toBe('deployment.apps/ssa serverside-applied\n');
    expect(await ok(['get', '-n', n, 'deploy', 'ssa', '-o', 'jsonpath={.metadata.resourceVersion}'])).toBe(applied);
    // An update is resolved too (kubectl set image sends a strategic merge patch).
    await ok(['set', 'image', '-n', n, 'deploy/plain', 'c0=mysql:5.5']);
    expect((await imagesOf('deploy', 'plain'))[0]).toBe(resolved);
    // oc set image-lookup --enabled=false: names stay as written ...
    await ok(['patch', '-n', n, 'is/mysql', '--type=merge', '-p', '{"spec":{"lookupPolicy":{"local":false}}}']);
    await ok(['apply', '-n', n, '-f', file('unresolved.yaml', deployment('unresolved', ['mysql:latest']))]);
    expect(await imagesOf('deploy', 'unresolved')).toEqual(['mysql:latest']);
    // ... unless the pod template asks for resolution (oc set image-lookup --local -f deploy.yaml).
    // (then any name is looked up by its last part as a stream of the namespace).
    const annotated = deployment('annotated', ['mysql:latest', 'docker.io/library/mysql:latest', 'other:latest'], 'alpha.image.policy.openshift.io/resolve-names: "*"');
    await ok(['apply', '-n', n, '-f', file('annotated.yaml', annotated)]);
    expect(await imagesOf('deploy', 'annotated')).toEqual([resolved, resolved, 'other:latest']);
    // The annotation on the object itself works for every workload kind, including a CronJob's job template.
    const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  annotations: {alpha.image.policy.openshift.io/resolve-names: "*"}
spec:
  schedule: "1 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: run, image: "mysql:5.6"}
`;
    await ok(['apply', '-n', n, '-f', file('cronjob.yaml', cronjob)]);
    expect(await imagesOf('cronjob', 'nightly', '{.spec.jobTemplate.spec.template.spec.containers[*].image}')).toEqual([resolved]);
  });

  it('image lookup follows the admission rules: only references an update changes, objects a controller owns, a forced rewrite of an image-less tag', async () => {
    const n = 'resolve-rules';
    // The mysql stream of namespace n was created in beforeAll.
    const resolved = `${registry.host}/${n}/mysql@${older.manifestDigest}`;
    const apply = (name: string, body: object) => ok(['apply', '-n', n, '-f', file(`${name}.json`, JSON.stringify(body))]);
    const deployment = (name: string, images: Record<string, string>, extra: { annotations?: object; ownerReferences?: object[] } = {}) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, ...extra },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: Object.entries(images).map(([c, image]) => ({ name: c, image })) } },
      },
    });
    const imagesOf = async (name: string) => (await ok(['get', '-n', n, 'deploy', name, '-o', 'jsonpath={.spec.template.spec.containers[*].image}'])).split(' ');

    // Stored before the stream allowed lookup: an update that leaves a reference as it was does not
    // rewrite it; the reference the update changes is resolved.
    await apply('kept', deployment('kept', { a: 'mysql:latest', b: 'mysql:5.6' }));
    await ok(['patch', '-n', n, 'is/mysql', '--type=merge', '-p', '{"spec":{"lookupPolicy":{"local":true}}}']);
    await ok(['set', 'image', '-n', n, 'deploy/kept', 'b=mysql:5.7']);
    expect(await imagesOf('kept')).toEqual(['mysql:latest', resolved]);

    // An object a controller owns was resolved through its owner's template: left as written.
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'parent', uid: '0b9a0f54-8a6f-4f11-9d0b-0d1c3f1f2e11', controller: true };
    await apply('owned', deployment('owned', { a: 'mysql:latest' }, { ownerReferences: [owner] }));
    expect(await imagesOf('owned')).toEqual(['mysql:latest']);

    // Forced by the annotation, a tag with no image is rewritten to the stream's repository also
    // when the stream itself has no lookupPolicy.local (upstream resolveImageStreamTag:
    // forceResolveLocalNames || lookupPolicy.local).
    await ok(['patch', '-n', n, 'is/mysql', '--type=merge', '-p', '{"spec":{"lookupPolicy":{"local":false}}}']);
    const forced = { annotations: { 'alpha.image.policy.openshift.io/resolve-names': '*' } };
    await apply('forced', deployment('forced', { a: 'mysql:latest', b: 'mysql:unknown' }, forced));
    expect(await imagesOf('forced')).toEqual([resolved, `${registry.host}/${n}/mysql:unknown`]);
  });
});
