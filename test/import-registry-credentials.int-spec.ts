import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, parseAccessPolicy } from '@app/config';
import { testConfig } from '@app/testing';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { startTestApi, type TestApi } from './support/api-server';
import { cheapPasswordHash } from './support/cheap-password-hash';
import { freeLoopbackPort } from './support/free-port';
import { waitFor } from './support/poll';
import { type BuiltImage, describeWithRegistry, OciLayout, type RunningRegistry, skopeoCopy, startRegistry } from './support/registry';
import { testQueuePrefix } from './support/queue-prefix';
import { makeTokenSigner } from './support/token-signer';

const SERVICE = 'import-credentials-registry';
const ISSUER = 'imagestreamd-import-credentials';
const INTERNAL = 'registry.internal:5000';
/**
 * The password as a `passwordHash` of the least cost the policy accepts: a plain `password` is
 * hashed at the default cost (ln=15, p=3: 0.3-0.8 s of CPU each), and the cost is not what this
 * file is about.
 */
const cheapHash = (password: string) => `"${cheapPasswordHash(password)}"`;
// isd-worker is the server's own registry login (REGISTRY_USERNAME): it may pull everywhere.
const POLICY = `
failedLogins: {burst: 1000}
users:
  - {name: alice, passwordHash: ${cheapHash('alice-pass')}, tokens: [alice-token]}
  - {name: dave, passwordHash: ${cheapHash('dave-pass')}, tokens: [dave-token]}
  - {name: root, passwordHash: ${cheapHash('root-pass')}, tokens: [root-token]}
  - {name: pusher, passwordHash: ${cheapHash('pusher-pass')}}
  - {name: isd-worker, passwordHash: ${cheapHash('worker-pass')}}
grants:
  - {subjects: [alice], namespaces: [a], roles: [edit], actions: [pull, push]}
  - {subjects: [dave], namespaces: [a], roles: [edit], actions: [pull]}
  - {subjects: [dave], namespaces: [b], actions: [pull]}
  - {subjects: [root], namespaces: ['*'], roles: [admin], actions: [pull, push]}
  - {subjects: [pusher], namespaces: ['*'], roles: [edit], actions: [pull, push]}
  - {subjects: [isd-worker], namespaces: ['*'], actions: [pull]}
`;

/**
 * The configured registry's login (REGISTRY_USERNAME/PASSWORD) reads, with API authentication, only
 * what the import may read itself: the importing stream's namespace, or a namespace the caller
 * may pull from; anything else is asked anonymously, so a token registry refuses it (as upstream
 * imports with the importing namespace's pull secrets). A real docker-registry with token auth.
 */
describeWithRegistry('ImageStreamImport from the configured registry: whose login reads it', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let dir: string;
  let privateImage: BuiltImage;
  let ownImage: BuiltImage;

  const as = async (user: string, method: string, path: string, body?: object) => {
    const res = await fetch(`${api.url}/apis/image.openshift.io/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${user}-token`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const importAs = (user: string, name: string, from: string, doImport: boolean) =>
    as(user, 'POST', '/namespaces/a/imagestreamimports', {
      kind: 'ImageStreamImport',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name },
      spec: { import: doImport, images: [{ from: { kind: 'DockerImage', name: from }, to: { name: 'v1' } }] },
    });
  const privateRef = () => `${registry.host}/b/private:v1`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'import-credentials-'));
    const { keyPem, certPath } = await makeTokenSigner(dir, 'import-credentials-signer');
    // The api must know the registry's address and the registry the api's token endpoint.
    const port = await freeLoopbackPort();
    const overrides: Partial<AppConfig> = {
      registryUrl: `http://127.0.0.1:${port}`,
      registryUsername: 'isd-worker',
      registryPassword: 'worker-pass',
      internalRegistryHostname: INTERNAL,
      registryTimeoutMs: 5000,
      registryToken: { keyPem, issuer: ISSUER, service: SERVICE, ttlSeconds: 300 },
      accessPolicy: parseAccessPolicy(POLICY),
      apiAuthentication: true,
      apiAuthorization: 'Policy',
      queuePrefix: testQueuePrefix(),
    };
    api = await startTestApi(overrides);
    registry = await startRegistry({ port, logLevel: 'warn', tokenAuth: { realm: `${api.url}/registry/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: certPath } });
    worker = await bootstrapWorker(testConfig(api.databaseUrl, overrides));
    layout = await OciLayout.create();
    privateImage = await layout.addImage('private', { seed: 'import-credentials-private', labels: { secret: 'b' } });
    ownImage = await layout.addImage('own', { seed: 'import-credentials-own' });
    await skopeoCopy(layout.dir, 'private', `${registry.host}/b/private:v1`, { destCreds: 'pusher:pusher-pass' });
    await skopeoCopy(layout.dir, 'own', `${registry.host}/a/own:v1`, { destCreds: 'pusher:pusher-pass' });
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await registry?.stop();
    await layout?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a user without pull in b cannot look up b`s image through the server`s login (import: false)', async () => {
    for (const ref of [privateRef(), `${INTERNAL}/b/private:v1`]) {
      const res = await importAs('alice', 'peek', ref, false);
      expect(res.status).toBe(201);
      const result = res.body['status'].images[0];
      expect(result.status).toMatchObject({ status: 'Failure', reason: 'Unauthorized', code: 401 });
      expect(result.image).toBeUndefined();
    }
  });

  it('nor import it (import: true): nothing of b`s image is stored, the tag records the failure', async () => {
    const res = await importAs('alice', 'stolen', privateRef(), true);
    expect(res.status).toBe(201);
    expect(res.body['status'].images[0].status).toMatchObject({ status: 'Failure', reason: 'Unauthorized' });
    const tag = res.body['status'].import.status.tags.find((t: { tag: string }) => t.tag === 'v1');
    expect(tag.items ?? []).toEqual([]);
    expect(tag.conditions[0]).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'Unauthorized' });
    expect((await as('root', 'GET', `/images/${privateImage.manifestDigest}`)).status).toBe(404);
  });

  it('imports its own namespace`s image with the login', async () => {
    const res = await importAs('alice', 'own', `${registry.host}/a/own:v1`, true);
    expect(res.body['status'].images[0].status.status).toBe('Success');
    expect(res.body['status'].images[0].image.metadata.name).toBe(ownImage.manifestDigest);
  });

  it('a caller who may pull in b (a user granted pull there, an admin) imports b`s image', async () => {
    for (const user of ['dave', 'root']) {
      const res = await importAs(user, `from-b-${user}`, privateRef(), true);
      expect(res.status).toBe(201);
      expect(res.body['status'].images[0].status.status).toBe('Success');
      expect(res.body['status'].images[0].image.dockerImageMetadata.Config.Labels).toMatchObject({ secret: 'b' });
    }
  });

  it('a background import of a spec tag (no caller) reads only the stream`s own namespace with the login', async () => {
    const created = await as('alice', 'POST', '/namespaces/a/imagestreams', {
      metadata: { name: 'bg' },
      spec: {
        tags: [
          { name: 'theirs', from: { kind: 'DockerImage', name: privateRef() } },
          { name: 'mine', from: { kind: 'DockerImage', name: `${registry.host}/a/own:v1` } },
        ],
      },
    });
    expect(created.status).toBe(201);
    const tags = await waitFor('both tags imported or failed', async () => {
      const s = (await as('alice', 'GET', '/namespaces/a/imagestreams/bg')).body;
      const byName = new Map<string, Record<string, any>>((s['status']?.tags ?? []).map((t: { tag: string }) => [t.tag, t]));
      const theirs = byName.get('theirs');
      const mine = byName.get('mine');
      return theirs?.conditions?.length && mine?.items?.length ? { theirs, mine } : null;
    }, 30_000);
    expect(tags.mine.items[0].image).toBe(ownImage.manifestDigest);
    expect(tags.theirs.items ?? []).toEqual([]);
    expect(tags.theirs.conditions[0]).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'Unauthorized' });
  });
});
