import { request } from 'undici';
import { call } from '@app/testing';
import { MANIFEST_ACCEPT, MediaTypes } from '@app/registry';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  type BuiltImage,
  OciLayout,
  registryUnavailableReason,
  resolveTag,
  type RunningRegistry,
  skopeoCopy,
  startRegistry,
} from './support/registry';
import { freeLoopbackPort } from './support/free-port';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`openshift/origin test/extended/images replay skipped: ${skipReason}`);

const NS = 'origin-images';
const SECRET = 'origin-extended-secret';
const DOCKER_CONFIG = MediaTypes.dockerConfig;

/** A manifest list as the registry holds it (after skopeo's conversion to Docker media types). */
interface PushedList {
  digest: string;
  children: { digest: string; size: number; architecture: string; variant?: string }[];
}

async function pushedList(registry: RunningRegistry, repository: string, tag: string): Promise<PushedList> {
  const res = await request(`${registry.url}/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } });
  const list = (await res.body.json()) as { manifests: { digest: string; size: number; platform: { architecture: string; variant?: string } }[] };
  return {
    digest: String(res.headers['docker-content-digest']),
    children: list.manifests.map((m) => ({ digest: m.digest, size: m.size, architecture: m.platform.architecture, ...(m.platform.variant ? { variant: m.platform.variant } : {}) })),
  };
}

/**
 * openshift/origin's end-to-end image tests (test/extended/images) replayed at the API level: an
 * api process with its worker, a real docker-registry that notifies it, the images those tests
 * pull from public registries replaced by images built here (single-arch and manifest lists).
 */
describeRegistry('openshift/origin test/extended/images, replayed (real registry, api + worker)', () => {
  let server: TriggerServer;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let busybox: BuiltImage;
  let toolsList: PushedList;
  let busyboxDigest: string;
  let mysqlDigest: string;

  const base = () => `${server.url}/apis/image.openshift.io/v1`;
  const ns = (path: string, namespace = NS) => `${base()}/namespaces/${namespace}/${path}`;
  const repo = (name: string) => `${registry.host}/${NS}/${name}`;
  const statusTag = (s: any, tag: string) => (s?.status?.tags ?? []).find((t: any) => t.tag === tag);
  const specTag = (s: any, tag: string) => (s?.spec?.tags ?? []).find((t: any) => t.name === tag);
  const isi = (name: string, images: unknown[], importFlag = true) => ({
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStreamImport',
    metadata: { name },
    spec: { import: importFlag, images },
  });
  const importSpec = (from: string, to: string | undefined, importMode?: string) => ({
    from: { kind: 'DockerImage', name: from },
    ...(to ? { to: { name: to } } : {}),
    importPolicy: { insecure: true, ...(importMode ? { importMode } : {}) },
  });
  const postImport = (body: unknown, namespace = NS) => call('POST', ns('imagestreamimports', namespace), body);
  const getStream = async (name: string, namespace = NS) => (await call('GET', ns(`imagestreams/${name}`, namespace))).body;
  /** exutil.WaitForAnImageStreamTag: the tag has an image. */
  const listChild = (digest: string) => {
    const child = toolsList.children.find((c) => c.digest === digest);
    if (!child) throw new Error(`${digest} is not a child of the pushed list`);
    return { ...child, os: 'linux' };
  };
  const waitForTag = (stream: string, tag: string, namespace = NS) =>
    pollUntil(() => call('GET', ns(`imagestreamtags/${stream}:${tag}`, namespace)), (r) => r.status === 200, 20000);

  beforeAll(async () => {
    const registryPort = await freeLoopbackPort();
    server = await startTriggerServer({
      QUEUE_PREFIX: `origin-${process.pid}`,
      REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
      REGISTRY_NOTIFY_SECRET: SECRET,
      REGISTRY_TIMEOUT_MS: '5000',
      IMPORT_RELAY_INTERVAL_MS: '50',
    });
    registry = await startRegistry({
      port: registryPort,
      notifyUrl: `${server.url}/registry/notifications`,
      notifyHeaders: { Authorization: `Bearer ${SECRET}` },
      logLevel: 'warn',
    });
    layout = await OciLayout.create();
    busybox = await layout.addImage('busybox', { seed: 'origin-busybox', layerCount: 2, cmd: ['sh'] });
    await layout.addImage('mysql', { seed: 'origin-mysql', layerCount: 3, env: ['MYSQL_MAJOR=8.0'] });
    // What the upstream layers test builds FROM busybox: its layers plus one.
    await layout.addImage('built', { seed: 'origin-busybox', layerCount: 3, cmd: ['sh'] });
    await layout.addIndex('tools', [
      { seed: 'origin-tools', architecture: 'amd64', labels: { arch: 'amd64' } },
      { seed: 'origin-tools', architecture: 'arm64', variant: 'v8', labels: { arch: 'arm64' } },
      { seed: 'origin-tools', architecture: 's390x', labels: { arch: 's390x' } },
    ]);
    // Docker media types, as the public images the upstream tests import have.
    await skopeoCopy(layout.dir, 'busybox', `${repo('busybox')}:latest`, { format: 'v2s2' });
    await skopeoCopy(layout.dir, 'mysql', `${repo('mysql')}:latest`, { format: 'v2s2' });
    await skopeoCopy(layout.dir, 'tools', `${repo('tools')}:latest`, { all: true, format: 'v2s2' });
    toolsList = await pushedList(registry, `${NS}/tools`, 'latest');
    busyboxDigest = (await resolveTag(registry.url, `${NS}/busybox`, 'latest'))!;
    mysqlDigest = (await resolveTag(registry.url, `${NS}/mysql`, 'latest'))!;
  }, 120000);

  afterAll(async () => {
    await server?.close();
    await registry?.stop();
    await layout?.remove();
  });

  // imagestreamimport.go: an ephemeral registry with a self-signed certificate that names no host.
  describe('ImageStreamImport from an insecure (self-signed TLS) registry', () => {
    let tlsRegistry: RunningRegistry;
    // A host name, as origin's `image-registry.<namespace>:5000`.
    const ref = () => `localhost:${tlsRegistry.port}/invalid/invalid`;

    beforeAll(async () => {
      tlsRegistry = await startRegistry({ selfSignedTls: true, logLevel: 'warn' });
    });
    afterAll(async () => {
      await tlsRegistry?.stop();
    });

    it('TestImportImageFromInsecureRegistry: a certificate error, then NotFound once the import is insecure', async () => {
      const image = (insecure: boolean) => ({ includeManifest: true, from: { kind: 'DockerImage', name: ref() }, importPolicy: insecure ? { insecure } : {} });
      const secure = await postImport({ metadata: { name: 'stream-import-secure' }, spec: { import: true, images: [image(false)] } });
      expect(secure.status).toBe(201);
      const failed = secure.body.status.images[0].status;
      expect(failed).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
      expect(failed.message).toContain('certificate is not valid');
      // Go's crypto/x509 wording, host name checked before the chain (OpenSSL would say "self-signed certificate").
      expect(failed.message).toBe(
        `Internal error occurred: ${ref()}:latest: Get "https://${ref().split('/')[0]}/v2/": tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match localhost`,
      );
      // By IP address: Go's words for a certificate without IP SANs.
      const byIp = await postImport({
        metadata: { name: 'stream-import-ip' },
        spec: { import: false, images: [{ from: { kind: 'DockerImage', name: `${tlsRegistry.host}/invalid/invalid` } }] },
      });
      expect(byIp.body.status.images[0].status.message).toContain(
        `tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs`,
      );

      const insecure = await postImport({ metadata: { name: 'stream-import-insecure' }, spec: { import: true, images: [image(true)] } });
      expect(insecure.body.status.images[0].status).toMatchObject({ status: 'Failure', reason: 'NotFound' });
    });

    it('TestImportRepositoryFromInsecureRegistry: the same for a repository import', async () => {
      const repository = (insecure: boolean) => ({ from: { kind: 'DockerImage', name: ref() }, importPolicy: insecure ? { insecure } : {} });
      const secure = await postImport({ metadata: { name: 'repo-import-secure' }, spec: { import: true, repository: repository(false) } });
      expect(secure.status).toBe(201);
      expect(secure.body.status.repository.status).toMatchObject({ status: 'Failure', reason: 'InternalError' });
      expect(secure.body.status.repository.status.message).toContain('certificate is not valid');
      const insecure = await postImport({ metadata: { name: 'repo-import-insecure' }, spec: { import: true, repository: repository(true) } });
      expect(insecure.body.status.repository.status).toMatchObject({ status: 'Failure', reason: 'NotFound' });
    });
  });

  // tagimportmode.go / imagestreamimport: a manifest list imported with each importMode.
  describe('ImageStreamImport of a manifest list (importMode)', () => {
    it('Legacy keeps one platform: the Image is the linux/amd64 child, named by its digest; the list is not an Image of the stream', async () => {
      const res = await postImport(isi('ml-legacy', [importSpec(`${repo('tools')}:latest`, 'latest', 'Legacy')]));
      expect(res.status).toBe(201);
      const result = res.body.status.images[0];
      expect(result.status).toEqual({ metadata: {}, status: 'Success' });
      expect(result.tag).toBe('latest');
      expect(result.manifests).toBeUndefined();
      const amd = listChild(result.image.metadata.name);
      expect(amd).toMatchObject({ architecture: 'amd64', os: 'linux' });
      expect(result.image).toMatchObject({
        dockerImageReference: `${repo('tools')}@${amd.digest}`,
        dockerImageManifestMediaType: MediaTypes.dockerManifest,
        dockerImageMetadata: { Architecture: 'amd64', Config: { Labels: { arch: 'amd64' } } },
      });
      expect(result.image.dockerImageManifests).toBeUndefined();
      const istag = (await call('GET', ns('imagestreamtags/ml-legacy:latest'))).body;
      expect(istag.image.metadata.name).toBe(amd.digest);
      expect(istag.image.dockerImageReference).toBe(`${repo('tools')}@${amd.digest}`);
      expect(istag.image.dockerImageManifests).toBeUndefined();
      expect(istag.tag.importPolicy.importMode).toBe('Legacy');
      const s = await getStream('ml-legacy');
      expect(statusTag(s, 'latest').items.map((i: any) => i.image)).toEqual([amd.digest]);
      // The stream's layers know the one image, not the list.
      const layers = (await call('GET', ns('imagestreams/ml-legacy/layers'))).body;
      expect(Object.keys(layers.images)).toEqual([amd.digest]);
    });

    it('PreserveOriginal keeps the list: an Image for the list (dockerImageManifests, Id = its digest) and one per child, the istag showing the list', async () => {
      const res = await postImport(isi('ml-po', [importSpec(`${repo('tools')}:latest`, 'latest', 'PreserveOriginal')]));
      expect(res.status).toBe(201);
      const result = res.body.status.images[0];
      expect(result.status.status).toBe('Success');
      expect(result.image.metadata.name).toBe(toolsList.digest);
      expect(result.image).toMatchObject({
        dockerImageReference: `${repo('tools')}@${toolsList.digest}`,
        dockerImageManifestMediaType: MediaTypes.dockerManifestList,
        dockerImageManifests: toolsList.children.map((c) => ({
          digest: c.digest,
          mediaType: MediaTypes.dockerManifest,
          manifestSize: c.size,
          architecture: c.architecture,
          os: 'linux',
          ...(c.variant ? { variant: c.variant } : {}),
        })),
      });
      // importer.manifestListToImage: the list has no config; its metadata is its own digest and the import time.
      expect(result.image.dockerImageMetadata.Id).toBe(toolsList.digest);
      expect(result.image.dockerImageMetadata.Architecture).toBeUndefined();
      expect(result.image.dockerImageLayers ?? []).toEqual([]);
      expect(result.manifests.map((m: any) => [m.metadata.name, m.dockerImageReference, m.dockerImageMetadata.Architecture])).toEqual(
        toolsList.children.map((c) => [c.digest, `${repo('tools')}@${c.digest}`, c.architecture]),
      );
      for (const d of [toolsList.digest, ...toolsList.children.map((c) => c.digest)]) {
        expect((await call('GET', `${base()}/images/${d}`)).status).toBe(200);
      }
      const istag = (await call('GET', ns('imagestreamtags/ml-po:latest'))).body;
      expect(istag.tag.importPolicy.importMode).toBe('PreserveOriginal');
      expect(istag.image.metadata.name).toBe(toolsList.digest);
      expect(istag.image.dockerImageManifests.map((m: any) => m.digest)).toEqual(toolsList.children.map((c) => c.digest));
      expect(istag.image.dockerImageReference).toBe(`${repo('tools')}@${toolsList.digest}`);
      // Each child is reachable as an ImageStreamImage of the stream.
      const arm = toolsList.children[1]!;
      const isimage = await call('GET', ns(`imagestreamimages/ml-po@${arm.digest}`));
      expect(isimage.status).toBe(200);
      expect(isimage.body.image.dockerImageMetadata.Architecture).toBe('arm64');
    });

    it("Legacy picks the target tag's importer.image.openshift.io/prefer-arch child for a reference by tag only (as upstream's importer)", async () => {
      const arm = toolsList.children[1]!;
      const created = await call('POST', ns('imagestreams'), {
        metadata: { name: 'ml-prefer' },
        spec: {
          tags: ['bytag', 'bydigest', 'latest'].map((name) => ({
            name,
            annotations: { 'importer.image.openshift.io/prefer-arch': 'arm64', 'importer.image.openshift.io/prefer-os': 'linux' },
            from: { kind: 'DockerImage', name: `${repo('tools')}:latest` },
            reference: true,
          })),
        },
      });
      expect(created.status).toBe(201);
      const res = await postImport(
        isi('ml-prefer', [importSpec(`${repo('tools')}:latest`, 'bytag'), importSpec(`${repo('tools')}@${toolsList.digest}`, 'bydigest')], false),
      );
      expect(res.body.status.images.map((i: any) => i.image.metadata.name)).toEqual([arm.digest, toolsList.children[0]!.digest]);
      // A repository import takes each tag for the server's platform, whatever a same-named spec tag prefers.
      const whole = await postImport({ metadata: { name: 'ml-prefer' }, spec: { import: false, repository: { from: { kind: 'DockerImage', name: repo('tools') }, importPolicy: { insecure: true } } } });
      expect(whole.body.status.repository.images.map((i: any) => [i.tag, i.image.metadata.name])).toEqual([['latest', toolsList.children[0]!.digest]]);
    });

    it('includeManifest: a lookup answers raw manifests (a list has none of its own; its children always carry theirs), a written entry none', async () => {
      const spec = (includeManifest: boolean) => ({ ...importSpec(`${repo('tools')}:latest`, 'latest', 'PreserveOriginal'), includeManifest });
      const lookup = await postImport(isi('ml-raw', [spec(true), spec(false)], false));
      for (const result of lookup.body.status.images) {
        expect(result.image.dockerImageManifest).toBeUndefined();
        // upstream's clearManifests strips the entry's own image only: the children keep manifest and config.
        for (const child of result.manifests) {
          expect(JSON.parse(child.dockerImageManifest).config.mediaType).toBe(DOCKER_CONFIG);
          expect(JSON.parse(child.dockerImageConfig).architecture).toBe(child.dockerImageMetadata.Architecture);
        }
      }
      const single = await postImport(isi('ml-raw', [{ ...importSpec(`${repo('mysql')}:latest`, 'mysql'), includeManifest: true }], false));
      expect(single.body.status.images[0].image.dockerImageManifest).toBeDefined();
      const written = await postImport(isi('ml-raw', [spec(true), { ...importSpec(`${repo('mysql')}:latest`, 'mysql'), includeManifest: true }]));
      for (const result of written.body.status.images) {
        expect(result.image.dockerImageManifest).toBeUndefined();
        expect(result.image.dockerImageConfig).toBeUndefined();
        for (const child of result.manifests ?? []) expect(child.dockerImageManifest).toBeUndefined();
      }
    });

    it('the same list by digest: Legacy answers the child by the server platform, PreserveOriginal the list (no tag)', async () => {
      const legacy = await postImport(isi('ml-digest', [importSpec(`${repo('tools')}@${toolsList.digest}`, 'pinned')], false));
      expect(legacy.body.status.images[0].image.metadata.name).toBe(toolsList.children[0]!.digest);
      expect(legacy.body.status.images[0].tag).toBeUndefined();
      const po = await postImport(isi('ml-digest', [importSpec(`${repo('tools')}@${toolsList.digest}`, 'pinned', 'PreserveOriginal')], false));
      expect(po.body.status.images[0].image.metadata.name).toBe(toolsList.digest);
      expect(po.body.status.images[0].manifests).toHaveLength(3);
    });
  });

  // tagimportmode.go, distruptiveimportmode.go: a spec tag's importPolicy.importMode.
  describe('spec tags with importPolicy.importMode', () => {
    it('an istag pointing at an ImageStreamTag of another namespace gets importMode Legacy (the server default)', async () => {
      // "openshift/tools:latest" of the upstream test: a stream in another namespace, filled by a push.
      await skopeoCopy(layout.dir, 'tools', `${registry.host}/openshift/tools:latest`, { all: true, format: 'v2s2' });
      await waitForTag('tools', 'latest', 'openshift');
      expect((await call('POST', ns('imagestreams'), { metadata: { name: 'test-importmode' } })).status).toBe(201);
      const created = await call('POST', ns('imagestreamtags'), {
        metadata: { name: 'test-importmode:1' },
        tag: { from: { kind: 'ImageStreamTag', namespace: 'openshift', name: 'tools:latest' } },
      });
      expect(created.status).toBe(201);
      const s = await getStream('test-importmode');
      expect(specTag(s, '1').importPolicy.importMode).toBe('Legacy');
      // The pushed list is what the tag copied.
      expect(statusTag(s, '1').items[0].image).toBe(toolsList.digest);
    });

    it('a DockerImage spec tag is imported in the background with its own importMode', async () => {
      const created = await call('POST', ns('imagestreams'), {
        metadata: { name: 'bg-modes' },
        spec: {
          tags: [
            { name: 'legacy', from: { kind: 'DockerImage', name: `${repo('tools')}:latest` }, importPolicy: { insecure: true, importMode: 'Legacy' } },
            { name: 'po', from: { kind: 'DockerImage', name: `${repo('tools')}:latest` }, importPolicy: { insecure: true, importMode: 'PreserveOriginal' } },
          ],
        },
      });
      expect(created.status).toBe(201);
      const s = await pollUntil(
        () => getStream('bg-modes'),
        (v) => Boolean(statusTag(v, 'legacy')?.items?.length && statusTag(v, 'po')?.items?.length),
        20000,
      );
      expect(statusTag(s, 'legacy').items[0].image).toBe(toolsList.children[0]!.digest);
      expect(statusTag(s, 'po').items[0].image).toBe(toolsList.digest);
      // Changing only the importMode is a tag change: the tag is imported again, now as the list.
      const put = await call('PUT', ns('imagestreamtags/bg-modes:legacy'), {
        metadata: { name: 'bg-modes:legacy' },
        tag: { from: { kind: 'DockerImage', name: `${repo('tools')}:latest` }, importPolicy: { insecure: true, importMode: 'PreserveOriginal' } },
      });
      expect(put.status).toBe(200);
      const again = await pollUntil(() => getStream('bg-modes'), (v) => statusTag(v, 'legacy')?.items?.[0]?.image === toolsList.digest, 20000);
      expect(statusTag(again, 'legacy').items.map((i: any) => i.image)).toEqual([toolsList.digest, toolsList.children[0]!.digest]);
    });
  });

  // distruptiveimportmode.go: with the cluster's imageStreamImportMode set to PreserveOriginal
  // (IMPORT_DEFAULT_MODE here), every tag that names no importMode gets PreserveOriginal.
  describe('the server default importMode (IMPORT_DEFAULT_MODE=PreserveOriginal)', () => {
    let api: TestApi;
    const at = (path: string, namespace = NS) => `${api.base}/namespaces/${namespace}/${path}`;

    beforeAll(async () => {
      process.env['IMPORT_DEFAULT_MODE'] = 'PreserveOriginal';
      try {
        api = await startTestApi({ registryTimeoutMs: 3000 });
      } finally {
        delete process.env['IMPORT_DEFAULT_MODE'];
      }
      // openshift/tools:latest, the source the upstream test tags from.
      expect((await call('POST', at('imagestreams', 'openshift'), { metadata: { name: 'tools' } })).status).toBe(201);
      const tools = await call('POST', at('imagestreammappings', 'openshift'), {
        metadata: { name: 'tools' },
        tag: 'latest',
        image: { metadata: { name: toolsList.digest }, dockerImageReference: `${repo('tools')}@${toolsList.digest}` },
      });
      expect(tools.status).toBe(201);
    });
    afterAll(async () => {
      await api?.close();
    });

    it('an istag, an itag, a stream spec tag and an import request that name no importMode get PreserveOriginal; a named one is kept', async () => {
      expect((await call('POST', at('imagestreams'), { metadata: { name: 'test-importmode' } })).status).toBe(201);
      const istag = await call('POST', at('imagestreamtags'), {
        metadata: { name: 'test-importmode:3' },
        tag: { from: { kind: 'ImageStreamTag', namespace: 'openshift', name: 'tools:latest' } },
      });
      expect(istag.status).toBe(201);
      expect(istag.body.tag.importPolicy.importMode).toBe('PreserveOriginal');
      const itag = await call('POST', at('imagetags'), {
        metadata: { name: 'test-importmode:4' },
        spec: { from: { kind: 'ImageStreamTag', namespace: 'openshift', name: 'tools:latest' } },
      });
      expect(itag.status).toBe(201);
      const legacy = await call('PUT', at('imagestreamtags/test-importmode:legacy'), {
        metadata: { name: 'test-importmode:legacy' },
        tag: { from: { kind: 'ImageStreamTag', namespace: 'openshift', name: 'tools:latest' }, importPolicy: { importMode: 'Legacy' } },
      });
      expect(legacy.status).toBe(201);
      const s = (await call('GET', at('imagestreams/test-importmode'))).body;
      expect(s.spec.tags.map((t: any) => [t.name, t.importPolicy.importMode])).toEqual([
        ['3', 'PreserveOriginal'],
        ['4', 'PreserveOriginal'],
        ['legacy', 'Legacy'],
      ]);
      const created = await call('POST', at('imagestreams'), { metadata: { name: 'spec-default' }, spec: { tags: [{ name: 'a', from: { kind: 'ImageStreamTag', name: 'b' } }] } });
      expect(specTag(created.body, 'a').importPolicy.importMode).toBe('PreserveOriginal');
      // The import request, and the list it then keeps whole.
      const isiAnswer = await call('POST', at('imagestreamimports'), isi('defaulted', [{ from: { kind: 'DockerImage', name: `${repo('tools')}:latest` }, importPolicy: { insecure: true } }], false));
      expect(isiAnswer.body.spec.images[0].importPolicy.importMode).toBe('PreserveOriginal');
      expect(isiAnswer.body.status.images[0].image.metadata.name).toBe(toolsList.digest);
    });
  });

  // dryrun.go: `oc delete istag/test:latest --dry-run=server`, `oc delete imagestream/test --dry-run=server`,
  // and dryRun=All on the writes of every other image kind.
  describe('dryRun', () => {
    let imageName: string;

    beforeAll(async () => {
      // `oc tag --source=docker <shell image> test:latest`: a DockerImage spec tag, imported in the background.
      const tagged = await call('PUT', ns('imagestreamtags/test:latest'), {
        metadata: { name: 'test:latest' },
        tag: { from: { kind: 'DockerImage', name: `${repo('busybox')}:latest` }, importPolicy: { insecure: true } },
      });
      expect(tagged.status).toBe(201);
      imageName = (await waitForTag('test', 'latest')).body.image.metadata.name;
      expect(imageName).toBe(busyboxDigest);
    });

    (kubectlFound ? it : it.skip)('kubectl delete --dry-run=server of the istag and of the stream deletes nothing', async () => {
      const kc = kubectlWorkspace(server.url, NS);
      try {
        const istag = await kc.run(['delete', 'istag/test:latest', '--dry-run=server']);
        expect(istag.stderr).toBe('');
        expect(istag.code).toBe(0);
        expect(istag.stdout.trim()).toBe('imagestreamtag.image.openshift.io "test:latest" deleted (server dry run)');
        const name = await kc.run(['get', 'istag', 'test:latest', '-o', 'jsonpath={.image.metadata.name}']);
        expect(name.code).toBe(0);
        expect(name.stdout).toBe(imageName);
        const is = await kc.run(['delete', 'imagestream/test', '--dry-run=server']);
        expect(is.code).toBe(0);
        expect(is.stdout.trim()).toBe('imagestream.image.openshift.io "test" deleted (server dry run)');
        const still = await kc.run(['get', 'imagestream', 'test', '-o', 'jsonpath={.metadata.name}']);
        expect(still.code).toBe(0);
        expect(still.stdout).toBe('test');
      } finally {
        kc.remove();
      }
    });

    it('every write of every image kind with dryRun=All answers as the write would and changes nothing', async () => {
      const dry = '?dryRun=All';
      const before = await getStream('test');
      const imageBefore = (await call('GET', `${base()}/images/${imageName}`)).body;
      const listRv = (await call('GET', `${base()}/imagestreams`)).body.metadata.resourceVersion;
      const d = `sha256:${'d'.repeat(64)}`;

      const answers = {
        isCreate: await call('POST', ns(`imagestreams${dry}`), { metadata: { name: 'dry-new' } }),
        isPatch: await call('PATCH', ns(`imagestreams/test${dry}`), { metadata: { labels: { dry: 'run' } } }, 'application/merge-patch+json'),
        isDelete: await call('DELETE', ns(`imagestreams/test${dry}`)),
        istagCreate: await call('POST', ns(`imagestreamtags${dry}`), { metadata: { name: 'test:other' }, tag: { from: { kind: 'ImageStreamTag', name: 'latest' } } }),
        istagDelete: await call('DELETE', ns(`imagestreamtags/test:latest${dry}`)),
        itagCreate: await call('POST', ns(`imagetags${dry}`), { metadata: { name: 'test:itag' }, spec: { from: { kind: 'ImageStreamTag', name: 'latest' } } }),
        itagDelete: await call('DELETE', ns(`imagetags/test:latest${dry}`)),
        mapping: await call('POST', ns(`imagestreammappings${dry}`), {
          metadata: { name: 'test' },
          tag: 'mapped',
          image: { metadata: { name: d }, dockerImageReference: `${repo('busybox')}@${d}` },
        }),
        importIsi: await postImport(isi('test', [importSpec(`${repo('mysql')}:latest`, 'mysql')]), NS).then(() => null),
        imageCreate: await call('POST', `${base()}/images${dry}`, { metadata: { name: d }, dockerImageReference: `${repo('busybox')}@${d}` }),
        imagePatch: await call('PATCH', `${base()}/images/${imageName}${dry}`, { metadata: { labels: { dry: 'run' } } }, 'application/merge-patch+json'),
        imageDelete: await call('DELETE', `${base()}/images/${imageName}${dry}`),
        signatureCreate: await call('POST', `${base()}/imagesignatures${dry}`, {
          metadata: { name: `${imageName}@dryrunsig` },
          type: 'atomic',
          content: Buffer.from('dry').toString('base64'),
        }),
      };
      // Updates (PUT) of every kind that has them, each with the object as just read.
      const current = await getStream('test');
      const istagNow = (await call('GET', ns('imagestreamtags/test:latest'))).body;
      const itagNow = (await call('GET', ns('imagetags/test:latest'))).body;
      const puts = {
        is: await call('PUT', ns(`imagestreams/test${dry}`), { ...current, metadata: { ...current.metadata, labels: { put: 'dry' } } }),
        isStatus: await call('PUT', ns(`imagestreams/test/status${dry}`), { ...current, status: { ...current.status, tags: [] } }),
        istag: await call('PUT', ns(`imagestreamtags/test:latest${dry}`), { ...istagNow, tag: { ...istagNow.tag, referencePolicy: { type: 'Local' } } }),
        itag: await call('PUT', ns(`imagetags/test:latest${dry}`), { ...itagNow, spec: { ...itagNow.spec, referencePolicy: { type: 'Local' } } }),
        image: await call('PUT', `${base()}/images/${imageName}${dry}`, { ...imageBefore, metadata: { ...imageBefore.metadata, labels: { put: 'dry' } } }),
      };
      for (const [kind, answer] of Object.entries(puts)) expect([kind, answer.status]).toEqual([kind, 200]);
      expect(puts.is.body.metadata.labels).toEqual({ put: 'dry' });
      expect(puts.istag.body.tag.referencePolicy.type).toBe('Local');
      expect(puts.image.body.metadata.labels).toEqual({ put: 'dry' });
      expect(answers.isCreate.status).toBe(201);
      expect(answers.isPatch.status).toBe(200);
      expect(answers.isPatch.body.metadata.labels).toEqual({ dry: 'run' });
      expect(answers.isDelete.status).toBe(200);
      expect(answers.istagCreate.status).toBe(201);
      expect(answers.istagDelete.status).toBe(200);
      expect(answers.itagCreate.status).toBe(201);
      expect(answers.itagDelete.status).toBe(200);
      expect(answers.mapping.status).toBe(201);
      expect(answers.imageCreate.status).toBe(201);
      expect(answers.imagePatch.status).toBe(200);
      expect(answers.imageDelete.status).toBe(200);
      expect(answers.signatureCreate.status).toBe(201);
      expect(answers.signatureCreate.body).toMatchObject({ kind: 'ImageSignature', metadata: { name: `${imageName}@dryrunsig` } });

      // Nothing changed (the ImageStreamImport above wrote for real: a control that writes do show).
      const after = await getStream('test');
      expect(specTag(after, 'other')).toBeUndefined();
      expect(specTag(after, 'itag')).toBeUndefined();
      expect(statusTag(after, 'mapped')).toBeUndefined();
      expect(statusTag(after, 'latest').items).toEqual(statusTag(before, 'latest').items);
      expect(after.metadata.labels).toBeUndefined();
      expect(specTag(after, 'latest').referencePolicy.type).toBe('Source');
      expect(statusTag(after, 'latest').items.length).toBeGreaterThan(0);
      expect(statusTag(after, 'mysql').items[0].image).toBe(mysqlDigest);
      expect((await call('GET', ns('imagestreams/dry-new'))).status).toBe(404);
      expect((await call('GET', `${base()}/images/${d}`)).status).toBe(404);
      const imageAfter = (await call('GET', `${base()}/images/${imageName}`)).body;
      expect(imageAfter.metadata.resourceVersion).toBe(imageBefore.metadata.resourceVersion);
      expect(imageAfter.metadata.labels).toBeUndefined();
      expect(imageAfter.signatures).toBeUndefined();
      expect(Number((await call('GET', `${base()}/imagestreams`)).body.metadata.resourceVersion)).toBeGreaterThan(Number(listRv));

      // A signature delete is dry too.
      const signed = await call('POST', `${base()}/imagesignatures`, { metadata: { name: `${imageName}@kept` }, type: 'atomic', content: Buffer.from('kept').toString('base64') });
      expect(signed.status).toBe(201);
      const del = await call('DELETE', `${base()}/imagesignatures/${imageName}@kept${dry}`);
      expect(del.status).toBe(200);
      expect((await call('GET', `${base()}/images/${imageName}`)).body.signatures.map((s: any) => s.metadata.name)).toEqual([`${imageName}@kept`]);
      expect((await call('DELETE', `${base()}/imagesignatures/${imageName}@kept`)).status).toBe(200);
    });
  });

  // layers.go
  describe('imagestreams/{name}/layers', () => {
    it('should identify a deleted image as missing', async () => {
      expect((await call('POST', ns('imagestreams'), { metadata: { name: 'layers-missing' } })).status).toBe(201);
      const mapped = await call('POST', ns('imagestreammappings'), {
        metadata: { name: 'layers-missing' },
        image: { metadata: { name: 'an_image_to_be_deleted' }, dockerImageReference: 'example.com/random/image:latest' },
        tag: 'missing',
      });
      expect(mapped.status).toBe(201);
      expect((await call('DELETE', `${base()}/images/an_image_to_be_deleted`)).status).toBe(200);
      const layers = (await call('GET', ns('imagestreams/layers-missing/layers'))).body;
      expect(layers.images['an_image_to_be_deleted']).toEqual({ imageMissing: true, layers: null, config: null });
    });

    it('should return layers from tagged images (single-arch, Docker schema 2)', async () => {
      const res = await postImport({
        metadata: { name: '1' },
        spec: { import: true, images: [importSpec(`${repo('busybox')}:latest`, 'busybox'), importSpec(`${repo('mysql')}:latest`, 'mysql')] },
      });
      expect(res.status).toBe(201);
      expect(res.body.status.images).toHaveLength(2);
      for (const image of res.body.status.images) expect(image.image).toBeDefined();
      const layers = (await call('GET', ns('imagestreams/1/layers'))).body;
      expect(layers).toMatchObject({ kind: 'ImageStreamLayers', apiVersion: 'image.openshift.io/v1', metadata: { name: '1', namespace: NS } });
      const busyboxLayers: string[] = [];
      for (const [i, image] of (res.body.status.images as any[]).entries()) {
        const l = layers.images[image.image.metadata.name];
        expect(l.imageMissing).toBe(false);
        expect(l.layers.length).toBeGreaterThan(0);
        expect(layers.blobs[l.config].mediaType).toBe(DOCKER_CONFIG);
        for (const layer of l.layers) expect(layers.blobs[layer].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
        expect(layers.blobs[image.image.metadata.name].mediaType).toBe(MediaTypes.dockerManifest);
        if (i === 0) busyboxLayers.push(...l.layers);
      }
      expect(busyboxLayers).toEqual(busybox.layers.map((l) => l.digest));

      expect((await call('POST', ns('imagestreams'), { metadata: { name: 'output' } })).status).toBe(201);
      const empty = (await call('GET', ns('imagestreams/output/layers'))).body;
      expect(Object.keys(empty.images ?? {})).toEqual([]);
      expect(Object.keys(empty.blobs ?? {})).toEqual([]);
      const missing = await call('GET', ns('imagestreams/doesnotexist/layers'));
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'imagestreams.image.openshift.io "doesnotexist" not found' });

      // "FROM 1:busybox, RUN …": an image on busybox's layers plus one, pushed to output:latest (the build's output).
      await skopeoCopy(layout.dir, 'built', `${repo('output')}:latest`, { format: 'v2s2' });
      const pushed = (await waitForTag('output', 'latest')).body.image.metadata.name as string;
      const outLayers = (await call('GET', ns('imagestreams/output/layers'))).body;
      const builtImageLayers = outLayers.images[pushed];
      expect(builtImageLayers.layers).toHaveLength(busyboxLayers.length + 1);
      expect(builtImageLayers.layers.slice(0, busyboxLayers.length)).toEqual(busyboxLayers);

      // "tagging the built image into another namespace": istag output:latest whose tag is named "copied".
      const copied = await call('POST', ns('imagestreamtags', `${NS}-other`), {
        metadata: { name: 'output:latest' },
        tag: { name: 'copied', from: { kind: 'ImageStreamTag', namespace: NS, name: 'output:latest' } },
      });
      expect(copied.status).toBe(201);
      // The tag is the one the istag's name says (upstream keys spec tags by it); the body's tag name is not kept.
      expect(copied.body.tag.name).toBe('latest');
      expect((await getStream('output', `${NS}-other`)).spec.tags.map((t: any) => t.name)).toEqual(['latest']);
      expect((await call('GET', ns('imagestreamtags/output:latest', `${NS}-other`))).body.image.metadata.name).toBe(pushed);
      const other = (await call('GET', ns('imagestreams/output/layers', `${NS}-other`))).body;
      expect(other.images[pushed]).toEqual(builtImageLayers);
    });

    it('a manifest list: the list, with its manifests, and each child with its layers and config', async () => {
      await postImport(isi('layers-multi', [importSpec(`${repo('tools')}:latest`, 'latest', 'PreserveOriginal')]));
      const layers = (await call('GET', ns('imagestreams/layers-multi/layers'))).body;
      expect(layers.images[toolsList.digest]).toEqual({ imageMissing: false, layers: null, config: null, manifests: toolsList.children.map((c) => c.digest) });
      expect(layers.blobs[toolsList.digest]).toEqual({ size: null, mediaType: MediaTypes.dockerManifestList });
      for (const child of toolsList.children) {
        const entry = layers.images[child.digest];
        expect(entry.imageMissing).toBe(false);
        expect(entry.layers).toHaveLength(1);
        expect(layers.blobs[entry.config]).toEqual({ size: null, mediaType: DOCKER_CONFIG });
        expect(layers.blobs[child.digest]).toEqual({ size: null, mediaType: MediaTypes.dockerManifest });
      }
      expect(Object.keys(layers.images)).toHaveLength(4);
    });
  });

  // signatures.go: a signed image's signature is on the Image (and the istag's image); a verifier
  // (`oc adm verify-image-signature --save`) records its verdict by updating the Image.
  describe('image signatures', () => {
    it('a signature added through imagesignatures shows on the istag as unverified, and a verifier saves its verdict on the Image', async () => {
      await skopeoCopy(layout.dir, 'mysql', `${repo('signed')}:latest`, { format: 'v2s2' });
      const imageName = (await waitForTag('signed', 'latest')).body.image.metadata.name as string;
      const sigName = `${imageName}@${'0123456789abcdef0123456789abcdef'}`;
      const content = Buffer.from('-----fake gpg blob-----').toString('base64');
      const created = await call('POST', `${base()}/imagesignatures`, { metadata: { name: sigName }, type: 'atomic', content });
      expect(created.status).toBe(201);
      const unverified = (await call('GET', ns('imagestreamtags/signed:latest'))).body.image.signatures;
      expect(unverified).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: sigName }), type: 'atomic', content })]);
      expect(unverified[0].conditions).toBeUndefined();

      const image = (await call('GET', `${base()}/images/${imageName}`)).body;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      image.signatures[0] = {
        ...image.signatures[0],
        conditions: [
          { type: 'Trusted', status: 'True', lastProbeTime: now, lastTransitionTime: now, reason: 'manually verified', message: 'verified by user "admin"' },
          { type: 'ForImage', status: 'True', lastProbeTime: now, lastTransitionTime: now, reason: 'manually verified', message: 'verified by user "admin"' },
        ],
        imageIdentity: `${repo('signed')}:latest`,
        issuedBy: { organization: 'foo', commonName: 'joe@foo.bar' },
      };
      const saved = await call('PUT', `${base()}/images/${imageName}`, image);
      expect(saved.status).toBe(200);
      const verified = (await call('GET', ns('imagestreamtags/signed:latest'))).body.image.signatures[0];
      expect(verified.conditions.map((c: any) => [c.type, c.status])).toEqual([
        ['Trusted', 'True'],
        ['ForImage', 'True'],
      ]);
      expect(verified.imageIdentity).toBe(`${repo('signed')}:latest`);
    });
  });

  // trigger/annotation.go: "reconciles after the image is overwritten".
  describe('image.openshift.io/triggers annotation on a Deployment', () => {
    it('sets the image when the tag is imported, and sets it again after it is overwritten with " "', async () => {
      const apps = `${server.url}/apis/apps/v1/namespaces/${NS}/deployments`;
      const created = await call('POST', apps, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'test',
          annotations: {
            'image.openshift.io/triggers': '[{"from":{"kind":"ImageStreamTag","name":"trig:v1"},"fieldPath":"spec.template.spec.containers[?(@.name==\\"test\\")].image"}]',
          },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'test' } },
          strategy: { type: 'Recreate' },
          template: { metadata: { labels: { app: 'test' } }, spec: { containers: [{ image: ' ', name: 'test', command: ['/bin/sleep'], args: ['infinity'] }] } },
        },
      });
      expect(created.status).toBe(201);
      expect(created.body.spec.template.spec.containers[0].image).toBe(' ');
      const image = async () => (await call('GET', `${apps}/test`)).body.spec.template.spec.containers[0].image as string;

      // `oc tag <registry image> trig:v1`: a DockerImage spec tag the server imports.
      const tagged = await call('PUT', ns('imagestreamtags/trig:v1'), {
        metadata: { name: 'trig:v1' },
        tag: { from: { kind: 'DockerImage', name: `${repo('busybox')}:latest` }, importPolicy: { insecure: true } },
      });
      expect(tagged.status).toBe(201);
      const expected = `${repo('busybox')}@${busyboxDigest}`;
      expect(await pollUntil(image, (v) => v !== ' ', 30000)).toBe(expected);

      // Fight the trigger: every patch answer shows what the patch wrote.
      for (let i = 0; i < 50; i++) {
        const patched = await call('PATCH', `${apps}/test`, { spec: { template: { spec: { containers: [{ name: 'test', image: ' ' }] } } } }, 'application/strategic-merge-patch+json');
        expect(patched.status).toBe(200);
        expect(patched.body.spec.template.spec.containers[0].image).toBe(' ');
      }
      expect(await pollUntil(image, (v) => v !== ' ', 30000)).toBe(expected);
    });
  });
});
