import { request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '@app/api-machinery';
import { ResourceRegistry, type ResourceHandler } from '@app/persistence';
import { ImageStreamTagServerFront } from './istag-server-front';

const PATH = '/apis/image.openshift.io/v1/namespaces/team/imagestreamtags';

/** A registry with an ImageStreamTag handler whose get answers `app:v1` and refuses anything else. */
function registryWithTags(reads: string[]): ResourceRegistry {
  const registry = new ResourceRegistry();
  const handler = {
    info: { group: 'image.openshift.io', version: 'v1', resource: 'imagestreamtags', namespaced: true },
    get: (namespace: string, name: string) => {
      reads.push(`${namespace}/${name}`);
      if (name === 'stuck:v1') return new Promise(() => undefined); // a Postgres connection gone silent
      return name === 'app:v1' ? Promise.resolve({ kind: 'ImageStreamTag', metadata: { name } }) : Promise.reject(ApiError.notFound({ group: 'image.openshift.io', resource: 'imagestreamtags' }, name));
    },
  };
  registry.register(handler as unknown as ResourceHandler);
  return registry;
}

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

function get(server: Server, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ImageStreamTagServerFront (the HTTP server answering plain ImageStreamTag GETs before Fastify)', () => {
  const servers: Server[] = [];
  /** Stands in for Fastify: answers 299 with the URL it was handed. */
  let handedOn: string[];
  const fastify: RequestListener = (req, res) => {
    handedOn.push(req.url ?? '');
    res.writeHead(299, { 'content-type': 'text/plain' });
    res.end('fastify');
  };

  async function start(front: ImageStreamTagServerFront): Promise<Server> {
    const server = front.serverFactory(fastify, { keepAliveTimeout: 5000, connectionTimeout: 0, requestTimeout: 0 });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  beforeEach(() => {
    handedOn = [];
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('answers a view itself, as plain JSON with its length, and hands a failed read on to Fastify', async () => {
    const reads: string[] = [];
    const front = new ImageStreamTagServerFront(true, 1024, 60_000);
    front.attach(registryWithTags(reads));
    const server = await start(front);
    const served = await get(server, `${PATH}/app:v1`, { accept: 'application/json' });
    expect(served).toEqual({ status: 200, contentType: 'application/json', body: '{"kind":"ImageStreamTag","metadata":{"name":"app:v1"}}' });
    expect(handedOn).toEqual([]);
    const missing = await get(server, `${PATH}/app:v2`);
    expect([missing.status, handedOn]).toEqual([299, [`${PATH}/app:v2`]]);
    expect(reads).toEqual(['team/app:v1', 'team/app:v2']);
  });

  it('answers a read still unanswered at the request deadline 504, as the Fastify path would', async () => {
    const front = new ImageStreamTagServerFront(true, 1024, 100);
    front.attach(registryWithTags([]));
    const stuck = await get(await start(front), `${PATH}/stuck:v1`);
    expect([stuck.status, stuck.contentType, JSON.parse(stuck.body)]).toEqual([
      504,
      'application/json',
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 },
    ]);
    expect(handedOn).toEqual([]);
  });

  it('hands on, unread, whatever Fastify would answer differently or add to', async () => {
    const reads: string[] = [];
    const front = new ImageStreamTagServerFront(true, 16, 60_000);
    front.attach(registryWithTags(reads));
    const server = await start(front);
    const cases: [string, Record<string, string>][] = [
      [`${PATH}/app:v1?pretty=false`, {}],
      [`${PATH}/app%3Av1`, {}],
      [`${PATH}/app:v1/`, {}],
      [`${PATH}/${'a'.repeat(17)}:v1`, {}],
      [`${PATH}/app:v1`, { 'user-agent': 'curl/8.5.0' }],
      [`${PATH}/app:v1`, { accept: 'application/yaml' }],
      [`${PATH}/app:v1`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }],
      [`${PATH}/app:v1`, { 'content-length': '0' }],
      ['/apis/image.openshift.io/v1/namespaces/team/imagestreams/app', {}],
    ];
    for (const [path, headers] of cases) expect([path, (await get(server, path, headers)).status]).toEqual([path, 299]);
    expect(reads).toEqual([]);
  });

  it('hands everything on when disabled, before the registry is attached, and once the server closes', async () => {
    const disabled = new ImageStreamTagServerFront(false, 1024, 60_000);
    disabled.attach(registryWithTags([]));
    expect((await get(await start(disabled), `${PATH}/app:v1`)).status).toBe(299);
    const unattached = new ImageStreamTagServerFront(true, 1024, 60_000);
    const early = await start(unattached);
    expect((await get(early, `${PATH}/app:v1`)).status).toBe(299);
    unattached.attach(registryWithTags([]));
    expect((await get(early, `${PATH}/app:v1`)).status).toBe(200);
    unattached.stopServing();
    expect((await get(early, `${PATH}/app:v1`)).status).toBe(299);
  });

  it('makes the server Fastify would: its timeouts, and HTTPS when asked', async () => {
    const front = new ImageStreamTagServerFront(true, 1024, 60_000);
    const server = front.serverFactory(fastify, { keepAliveTimeout: 72000, requestTimeout: 30000, connectionTimeout: 0, maxRequestsPerSocket: 5 });
    expect([server.keepAliveTimeout, server.requestTimeout, server.maxRequestsPerSocket]).toEqual([72000, 30000, 5]);
    expect(server.constructor.name).toBe('Server');
    const tls = front.serverFactory(fastify, { https: {} });
    expect(typeof (tls as unknown as { setSecureContext?: unknown }).setSecureContext).toBe('function');
  });
});
