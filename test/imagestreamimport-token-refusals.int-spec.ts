import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { describeWithRegistry, type RunningRegistry, startRegistry } from './support/registry';
import { makeTokenSigner } from './support/token-signer';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * A docker-registry with token auth whose token service refuses every token. distribution's token
 * handler fails inside the registry request's RoundTrip, so upstream's importer sees Go's url.Error
 * (`Get "<registry request>": <token answer>`), never a registry error code: formatRepositoryError
 * makes "...incorrect username or password" (Docker Hub's answer to a bad login) Unauthorized
 * `incorrect username or password for image "<ref>"`, and any other refusal an InternalError
 * quoting it; a repository import keeps the tag listing's error as it is.
 */
describeWithRegistry('ImageStreamImport: a token service that refuses the token', () => {
  let api: TestApi;
  let registry: RunningRegistry;
  let tokens: Server;
  let dir: string;
  // The same refusing token service over HTTPS with a self-signed certificate, for a second registry.
  let tlsTokens: Server | undefined;
  let tlsRegistry: RunningRegistry | undefined;

  const post = (ns: string, spec: unknown) => call('POST', `${api.base}/namespaces/${ns}/imagestreamimports`, { metadata: { name: 'app' }, spec });
  const image = (name: string) => ({ from: { kind: 'DockerImage', name }, to: { name: 'v1' }, importPolicy: { insecure: true } });
  const repository = (name: string) => ({ from: { kind: 'DockerImage', name }, importPolicy: { insecure: true } });
  const internal = (message: string) => ({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 });
  const condition = (stream: any) => (stream.status.tags as any[]).find((t) => t.tag === 'v1')?.conditions?.[0];

  beforeAll(async () => {
    // With Basic credentials: Docker Hub's answer to a wrong password; anonymous: distribution's errcode body.
    tokens = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="tokens"' });
      res.end(JSON.stringify(req.headers.authorization ? { details: 'incorrect username or password' } : { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
    });
    await new Promise<void>((resolve) => tokens.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'token-refusals-'));
    const { certPath } = await makeTokenSigner(dir, 'signer');
    const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    registry = await startRegistry({ logLevel: 'warn', tokenAuth: { realm, service: 'refusing', issuer: 'refusing', rootCertBundle: certPath } });
    const tls = await makeTokenSigner(dir, 'realm');
    tlsTokens = createHttpsServer({ key: tls.keyPem, cert: await readFile(tls.certPath) }, (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
    });
    await new Promise<void>((resolve) => tlsTokens!.listen(0, '127.0.0.1', resolve));
    const tlsRealm = `https://127.0.0.1:${(tlsTokens.address() as AddressInfo).port}/token`;
    tlsRegistry = await startRegistry({ logLevel: 'warn', tokenAuth: { realm: tlsRealm, service: 'refusing', issuer: 'refusing', rootCertBundle: certPath } });
    api = await startTestApi({ registryTimeoutMs: 3000 });
    const auths = { [registry.host]: { username: 'hub', password: 'wrong-password-value', auth: b64('hub:wrong-password-value') } };
    const secret = await call('POST', `${api.url}/api/v1/namespaces/hub/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
    });
    expect(secret.status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
    await registry?.stop();
    await tlsRegistry?.stop();
    tlsTokens?.closeAllConnections();
    await new Promise<void>((resolve) => (tlsTokens ? tlsTokens.close(() => resolve()) : resolve()));
    tokens?.closeAllConnections();
    await new Promise<void>((resolve) => (tokens ? tokens.close(() => resolve()) : resolve()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a login refused with "incorrect username or password" is Unauthorized with upstream`s own message', async () => {
    const ref = `${registry.host}/x/app:v1`;
    const res = await post('hub', { import: true, images: [image(ref)] });
    expect(res.status).toBe(201);
    const message = `incorrect username or password for image "${ref}"`;
    expect(res.body.status.images[0].status).toEqual({ metadata: {}, status: 'Failure', message, reason: 'Unauthorized', code: 401 });
    expect(condition(res.body.status.import)).toMatchObject({ type: 'ImportSuccess', status: 'False', reason: 'Unauthorized', message });
  });

  it('any other refusal is an InternalError quoting Go`s url.Error of the registry request', async () => {
    const ref = `${registry.host}/x/app:v1`;
    const res = await post('anon', { import: false, images: [image(ref)] });
    expect(res.status).toBe(201);
    // The default message without detail leaves only the code's text (errcode.Errors UnmarshalJSON).
    expect(res.body.status.images[0].status).toEqual(internal(`${ref}: Get "http://${registry.host}/v2/x/app/manifests/v1": unauthorized`));
  });

  it('importPolicy.insecure covers the token service too: a realm with a self-signed certificate is asked, as over the registry`s own transport', async () => {
    const ref = `${tlsRegistry!.host}/x/app:v1`;
    const insecure = await post('anon', { import: false, images: [image(ref)] });
    expect(insecure.status).toBe(201);
    // The realm was reached: its refusal, not a certificate error.
    expect(insecure.body.status.images[0].status).toEqual(internal(`${ref}: Get "http://${tlsRegistry!.host}/v2/x/app/manifests/v1": unauthorized`));
  });

  it('a repository import keeps the tag listing`s url.Error as it is, the wrong password`s too', async () => {
    const res = await post('hub', { import: false, repository: repository(`${registry.host}/x/app`) });
    expect(res.status).toBe(201);
    expect(res.body.status.repository.status).toEqual(internal(`Get "http://${registry.host}/v2/x/app/tags/list": unauthorized: incorrect username or password`));
    // Nothing the secret holds shows up.
    expect(JSON.stringify(res.body)).not.toContain('wrong-password-value');
  });
});
