import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFound, kubectlWorkspace, type KubectlWorkspace } from './support/kubectl';
import { waitFor } from './support/poll';
import { type BuiltImage, describeWithRegistry, OciLayout, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { makeTokenSigner } from './support/token-signer';
import { startTriggerServer, type TriggerServer } from './support/trigger-server';

const SERVICE = 'pull-secrets-registry';
const ISSUER = 'imagestreamd-pull-secrets';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Imports use the importing namespace's pull secrets (kubernetes.io/dockerconfigjson and
 * kubernetes.io/dockercfg Secrets) matched as kube's keyring matches, as OpenShift's ImageStreamImport
 * does: a docker-registry with token auth (the project's token endpoint) holds an image only
 * `puller` may read; the registry is not the configured one, so only a namespace secret can log in.
 * The api and its worker run as a process at LOG_LEVEL=trace, whose output is searched for the
 * credentials.
 */
describeWithRegistry('ImageStreamImport with namespace pull secrets', () => {
  const password = `pull-${randomBytes(12).toString('hex')}`;
  const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
  let dir: string;
  let server: TriggerServer;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let image: BuiltImage;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, any> };
  };
  const ref = () => `${registry.host}/pub/app:v1`;
  const importInto = (ns: string, name: string, doImport = true) =>
    call('POST', `/apis/image.openshift.io/v1/namespaces/${ns}/imagestreamimports`, {
      kind: 'ImageStreamImport',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name },
      spec: { import: doImport, images: [{ from: { kind: 'DockerImage', name: ref() }, to: { name: 'v1' }, importPolicy: { insecure: true } }] },
    });
  const dockerConfigJson = (server: string, username: string, pass: string) => b64(JSON.stringify({ auths: { [server]: { username, password: pass, auth: b64(`${username}:${pass}`) } } }));
  const createPullSecret = (ns: string, name: string, pass: string, server = registry.host) =>
    call('POST', `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': dockerConfigJson(server, 'puller', pass) },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pull-secrets-'));
    await makeTokenSigner(dir, 'signer');
    await writeFile(
      join(dir, 'policy.yaml'),
      `failedLogins: {burst: 1000}
users:
  - {name: puller, password: ${password}}
  - {name: pusher, password: pusher-pass}
grants:
  - {subjects: [puller], namespaces: [pub], actions: [pull]}
  - {subjects: [pusher], namespaces: ['*'], actions: [pull, push]}
`,
    );
    server = await startTriggerServer({
      LOG_LEVEL: 'trace',
      REGISTRY_TOKEN_KEY_FILE: join(dir, 'signer.key'),
      REGISTRY_TOKEN_ISSUER: ISSUER,
      REGISTRY_TOKEN_SERVICE: SERVICE,
      ACCESS_POLICY_FILE: join(dir, 'policy.yaml'),
      REGISTRY_TIMEOUT_MS: '5000',
    });
    registry = await startRegistry({ logLevel: 'warn', tokenAuth: { realm: `${server.url}/registry/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: join(dir, 'signer.crt') } });
    layout = await OciLayout.create();
    image = await layout.addImage('v1', { seed: 'namespace-pull-secrets' });
    await skopeoCopy(layout.dir, 'v1', ref(), { destCreds: 'pusher:pusher-pass' });
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    await layout?.remove();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without a pull secret the registry refuses the import (Unauthorized)', async () => {
    const res = await importInto('none', 'app', false);
    expect(res.status).toBe(201);
    expect(res.body['status'].images[0].status).toMatchObject({ status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  it('a dockerconfigjson Secret for the registry host (REST POST) logs in: request-time and background spec-tag imports succeed', async () => {
    expect((await createPullSecret('rest', 'regcred', password)).status).toBe(201);
    const res = await importInto('rest', 'app');
    expect(res.status).toBe(201);
    expect(res.body['status'].images[0].status.status).toBe('Success');
    expect(res.body['status'].images[0].image.metadata.name).toBe(image.manifestDigest);
    expect(res.text).not.toContain(password);

    const created = await call('POST', '/apis/image.openshift.io/v1/namespaces/rest/imagestreams', {
      metadata: { name: 'bg' },
      spec: { tags: [{ name: 'v1', from: { kind: 'DockerImage', name: ref() }, importPolicy: { insecure: true } }] },
    });
    expect(created.status).toBe(201);
    const tag = await waitFor(
      'the spec tag imported',
      async () => {
        const s = (await call('GET', '/apis/image.openshift.io/v1/namespaces/rest/imagestreams/bg')).body;
        const t = (s['status']?.tags ?? []).find((x: { tag: string }) => x.tag === 'v1');
        return t?.items?.length || t?.conditions?.length ? t : null;
      },
      30_000,
    );
    expect(tag.conditions ?? []).toEqual([]);
    expect(tag.items[0].image).toBe(image.manifestDigest);
  });

  it('a secret of another host, or of another namespace, is not used', async () => {
    expect((await createPullSecret('elsewhere', 'regcred', password, 'quay.io')).status).toBe(201);
    const res = await importInto('elsewhere', 'app', false);
    expect(res.body['status'].images[0].status).toMatchObject({ status: 'Failure', reason: 'Unauthorized' });
  });

  it('keys match as kube keyring keys: the most specific key (registry/namespace/repository) wins over the host, a key of another path is not used', async () => {
    // Name order puts the host-wide secret with the wrong password first: only the more specific
    // key of the second secret can make this import succeed.
    expect((await createPullSecret('scoped', 'a-host', wrongPassword)).status).toBe(201);
    expect((await createPullSecret('scoped', 'b-repository', password, `https://${registry.host}/pub/app`)).status).toBe(201);
    const res = await importInto('scoped', 'app', false);
    expect(res.body['status'].images[0].status.status).toBe('Success');

    // A glob label (`*.0.0.1:<port>` for 127.0.0.1:<port>) matches as kube's path.Match.
    expect((await createPullSecret('glob', 'regcred', password, registry.host.replace(/^[^:.]+/, '*'))).status).toBe(201);
    expect((await importInto('glob', 'app', false)).body['status'].images[0].status.status).toBe('Success');

    expect((await createPullSecret('otherpath', 'regcred', password, `${registry.host}/other`)).status).toBe(201);
    expect((await importInto('otherpath', 'app', false)).body['status'].images[0].status).toMatchObject({ status: 'Failure', reason: 'Unauthorized' });
  });

  it('a wrong password is the token service`s refusal as Go`s url.Error; neither the password nor the auth string is in the answer, the stream or the log', async () => {
    expect((await createPullSecret('wrong', 'regcred', wrongPassword)).status).toBe(201);
    const res = await importInto('wrong', 'app');
    expect(res.status).toBe(201);
    // distribution's token handler fails inside the request's RoundTrip: upstream's importer gets a
    // url.Error, no registry error code, and only "incorrect username or password" (Docker Hub's
    // wording) would make it Unauthorized (formatRepositoryError): this refusal is an InternalError.
    const message = `${ref()}: Get "http://${registry.host}/v2/pub/app/manifests/v1": unauthorized: authentication required: invalid username or password`;
    expect(res.body['status'].images[0].status).toEqual({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 });
    const stream = await call('GET', '/apis/image.openshift.io/v1/namespaces/wrong/imagestreams/app');
    const output = server.output();
    expect(output).toContain('request completed');
    for (const text of [res.text, stream.text, output]) {
      for (const secret of [wrongPassword, password, b64(`puller:${wrongPassword}`), b64(`puller:${password}`), dockerConfigJson(registry.host, 'puller', wrongPassword)]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  describe('with kubectl', () => {
    let k: KubectlWorkspace;
    beforeAll(() => {
      k = kubectlWorkspace(server.url, 'kubectl');
    });
    afterAll(() => k?.remove());
    if (!kubectlFound) it.skip('kubectl is not on PATH: kubectl create secret docker-registry, then an ImageStreamImport', () => undefined);
    (kubectlFound ? it : it.skip)(
      'kubectl create secret docker-registry, then kubectl create of an ImageStreamImport imports the image',
      async () => {
        await k.ok(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${registry.host}`, '--docker-username=puller', `--docker-password=${password}`]);
        expect(await k.ok(['get', 'secrets'])).toMatch(/regcred\s+kubernetes.io\/dockerconfigjson\s+1/);
        const isi = `apiVersion: image.openshift.io/v1
kind: ImageStreamImport
metadata: {name: app}
spec:
  import: true
  images:
  - from: {kind: DockerImage, name: "${ref()}"}
    to: {name: v1}
    importPolicy: {insecure: true}
`;
        const out = await k.ok(['create', '-f', '-', '-o', 'jsonpath={.status.images[0].status.status} {.status.images[0].image.metadata.name}'], isi);
        expect(out).toBe(`Success ${image.manifestDigest}`);
      },
      60_000,
    );
  });
});
