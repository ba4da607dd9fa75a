import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const NS = 'isi-answers';
const digest = `sha256:${'c'.repeat(64)}`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A small HTTP server on loopback; `host` is `127.0.0.1:<port>`. */
async function fakeServer(handler: Handler): Promise<{ host: string; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (res: ServerResponse, status: number, doc: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
  res.end(JSON.stringify(doc));
};

/**
 * A v2 registry (it pings as one) whose repositories each fail their manifest GET in one way.
 * openshift-apiserver's importer (formatRepositoryError) decides by the registry's error code,
 * not the HTTP status, and words the rest as distribution's errcode errors print.
 */
let limitedRequests = 0;
const failing: Handler = (req, res) => {
  const url = req.url ?? '';
  if (url.startsWith('/v2/x/limited/')) limitedRequests++;
  if (url === '/v2/') return json(res, 200, {});
  if (url.startsWith('/v2/x/denied/')) return json(res, 403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
  if (url.startsWith('/v2/x/noname/')) return json(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: 'x/noname' } }] });
  if (url.startsWith('/v2/x/limited/')) return json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] });
  if (url.startsWith('/v2/x/unauthorized/')) return json(res, 403, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
  if (url.startsWith('/v2/x/locked/')) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="locked"', 'docker-distribution-api-version': 'registry/2.0' });
    return res.end();
  }
  return json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] });
};

describe('ImageStreamImport: registry answers worded as upstream', () => {
  let api: TestApi;
  let registry: Awaited<ReturnType<typeof fakeServer>>;
  let notRegistry: Awaited<ReturnType<typeof fakeServer>>;

  const post = (body: unknown) => call('POST', `${api.base}/namespaces/${NS}/imagestreamimports`, body);
  const entry = (from: string, to?: string) => ({ from: { kind: 'DockerImage', name: from }, ...(to ? { to: { name: to } } : {}), importPolicy: { insecure: true } });
  const condition = (stream: any, tag: string) => (stream.status.tags as any[]).find((t) => t.tag === tag)?.conditions?.[0];
  const internal = (message: string) => ({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 });

  beforeAll(async () => {
    api = await startTestApi({ registryTimeoutMs: 3000 });
    registry = await fakeServer(failing);
    // Any web server: GET /v2/ is 404 without Docker-Distribution-API-Version.
    notRegistry = await fakeServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
  });

  afterAll(async () => {
    await api?.close();
    await registry?.close();
    await notRegistry?.close();
  });

  it('only MANIFEST_UNKNOWN is NotFound and only UNAUTHORIZED Unauthorized; DENIED, NAME_UNKNOWN and TOOMANYREQUESTS (after two retries) are InternalErrors with errcode text', async () => {
    const host = registry.host;
    const res = await post({
      metadata: { name: 'answers' },
      spec: {
        import: true,
        images: [
          entry(`${host}/x/denied:z`, 'denied'),
          entry(`${host}/x/noname:z`, 'noname'),
          entry(`${host}/x/limited:z`, 'limited'),
          entry(`${host}/x/unauthorized:z`, 'unauthorized'),
          entry(`${host}/x/missing:z`, 'missing'),
        ],
      },
    });
    expect(res.status).toBe(201);
    const [denied, noname, limited, unauthorized, missing] = res.body.status.images;
    // A default message without detail leaves only the code's text (errcode.Errors UnmarshalJSON).
    expect(denied.status).toEqual(internal(`${host}/x/denied:z: denied`));
    expect(noname.status).toEqual(internal(`${host}/x/noname:z: name unknown: repository name not known to registry`));
    expect(limited.status).toEqual(internal(`${host}/x/limited:z: toomanyrequests: You have reached your pull rate limit.`));
    // A 429 is asked again twice, 2 s apart, as library-go's retryRepository; DENIED and the rest are not.
    expect(limitedRequests).toBe(3);
    expect(unauthorized.status).toMatchObject({ reason: 'Unauthorized', code: 401, message: `you may not have access to the container image "${host}/x/unauthorized:z"` });
    expect(missing.status).toMatchObject({ reason: 'NotFound', code: 404, message: `dockerimage.image.openshift.io "${host}/x/missing:z" not found` });
    // The tags' conditions share the status's reason and message.
    const stream = res.body.status.import;
    expect(condition(stream, 'denied')).toMatchObject({ reason: 'InternalError', message: `Internal error occurred: ${host}/x/denied:z: denied` });
    expect(condition(stream, 'limited')).toMatchObject({ reason: 'InternalError', message: `Internal error occurred: ${host}/x/limited:z: toomanyrequests: You have reached your pull rate limit.` });
    expect(condition(stream, 'missing')).toMatchObject({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${host}/x/missing:z" not found` });
  });

  it('an endpoint that is not a v2 registry is an InternalError naming its ping (library-go ErrNotV2Registry)', async () => {
    const ref = `${notRegistry.host}/x/y:z`;
    const res = await post({ metadata: { name: 'notv2' }, spec: { import: false, images: [entry(ref)] } });
    expect(res.status).toBe(201);
    expect(res.body.status.images[0].status).toEqual(internal(`${ref}: endpoint "http://${notRegistry.host}" does not support v2 API (got 404 Not Found)`));
  });

  it('a repository whose tags cannot be listed keeps the error as it is (no reference before it): only NAME_UNKNOWN and UNAUTHORIZED are mapped, missing credentials are Go`s url.Error', async () => {
    const repository = async (from: string) => {
      const res = await post({ metadata: { name: 'repo-answers' }, spec: { import: false, repository: { from: { kind: 'DockerImage', name: from }, importPolicy: { insecure: true } } } });
      expect(res.status).toBe(201);
      return res.body.status.repository.status;
    };
    const host = registry.host;
    expect(await repository(`${host}/x/locked`)).toEqual(internal(`Get "http://${host}/v2/x/locked/tags/list": no basic auth credentials`));
    expect(await repository(`${host}/x/denied`)).toEqual(internal('denied'));
    expect(await repository(`${notRegistry.host}/x/y`)).toEqual(internal(`endpoint "http://${notRegistry.host}" does not support v2 API (got 404 Not Found)`));
    expect(await repository(`${host}/x/noname`)).toMatchObject({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${host}/x/noname" not found` });
    expect(await repository(`${host}/x/unauthorized`)).toMatchObject({ reason: 'Unauthorized', message: `you may not have access to the container image "${host}/x/unauthorized"` });
  });

  it('a reference with tag and digest is named without its tag when the digest is missing', async () => {
    const res = await post({ metadata: { name: 'tagdigest' }, spec: { import: true, images: [entry(`${registry.host}/x/app:v2@${digest}`, 'pinned')] } });
    expect(res.status).toBe(201);
    const name = `${registry.host}/x/app@${digest}`;
    expect(res.body.status.images[0].status).toMatchObject({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${name}" not found`, details: { name } });
    expect(condition(res.body.status.import, 'pinned')).toMatchObject({ reason: 'NotFound', message: `dockerimage.image.openshift.io "${name}" not found` });
  });

  describe('a registry alone (library-go reference.Parse isRegistryOnly)', () => {
    it('is a valid spec.dockerImageRepository', async () => {
      const res = await call('POST', `${api.base}/namespaces/${NS}/imagestreams`, { metadata: { name: 'regonly' }, spec: { dockerImageRepository: 'localhost:5000' } });
      expect(res.status).toBe(201);
      expect(res.body.spec.dockerImageRepository).toBe('localhost:5000');
    });

    it('as spec.images: no `to`, tag latest, and the importer cannot name it', async () => {
      const res = await post({ metadata: { name: 'regonly-image' }, spec: { import: false, images: [{ from: { kind: 'DockerImage', name: registry.host } }] } });
      expect(res.status).toBe(201);
      expect(res.body.spec.images[0].to).toBeUndefined();
      expect(res.body.status.images[0]).toEqual({ tag: 'latest', status: internal('unable to parse docker reference : invalid reference format') });
    });

    it('as spec.repository: passes validation, and the importer answers Invalid for the empty repository name', async () => {
      const res = await post({ metadata: { name: 'regonly-repo' }, spec: { import: false, repository: { from: { kind: 'DockerImage', name: registry.host }, importPolicy: { insecure: true } } } });
      expect(res.status).toBe(201);
      const cause = 'Invalid value: "": the provided repository name is not valid';
      expect(res.body.status.repository).toEqual({
        status: {
          metadata: {},
          status: 'Failure',
          message: `.image.openshift.io "repository" is invalid: from.name: ${cause}`,
          reason: 'Invalid',
          details: { name: 'repository', group: 'image.openshift.io', causes: [{ reason: 'FieldValueInvalid', message: cause, field: 'from.name' }] },
          code: 422,
        },
      });
    });
  });
});
