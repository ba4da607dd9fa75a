import { request } from 'node:http';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { CallHandler, DynamicModule, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { parseAccessPolicy } from '@app/config';
import { call, createTestDatabase, testConfig } from '@app/testing';
import type { AppConfig } from '@app/config';
import { bootstrapApi, type ApiServer } from '../apps/api/src/bootstrap';
import { startApiProcess } from './support/api-process';
import { pollUntil } from './support/poll';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** The request URLs that reached a Nest controller (a global interceptor counts them). */
const reachedNest: string[] = [];
const countNestRequests: DynamicModule = {
  module: class CountNestRequestsModule {},
  providers: [
    {
      provide: APP_INTERCEPTOR,
      useValue: {
        intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
          reachedNest.push(context.switchToHttp().getRequest<FastifyRequest>().url);
          return next.handle();
        },
      } satisfies NestInterceptor,
    },
  ],
};

interface Served {
  server: ApiServer;
  databaseUrl: string;
  close(): Promise<void>;
}

async function serve(overrides: Partial<AppConfig> = {}): Promise<Served> {
  const db = await createTestDatabase();
  const server = await bootstrapApi(testConfig(db.url, overrides), [countNestRequests]);
  return {
    server,
    databaseUrl: db.url,
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

interface RawAnswer {
  status: number;
  /** `name: value` of every header as sent, in order, but `date`. */
  headers: string[];
  body: string;
}

/** A GET as bytes: status, every header as sent (but `date`), the body text. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const pairs: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]!.toLowerCase() !== 'date') pairs.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode!, headers: pairs, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The counter imagestreamd_http_requests_total for get imagestreamtags with `code`, from /metrics. */
async function getsCounted(url: string, code: number, authorization?: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('imagestreamd_http_requests_total{') && l.includes('verb="get"') && l.includes('resource="imagestreamtags"') && l.includes(`code="${code}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * The plain ImageStreamTag GET is answered by a Fastify hook before Nest (libs/http/src/istag-fast-get.ts).
 * Clients must not be able to tell: the same status, headers and bytes as the Nest route gives
 * for the same tag, the same freshness, authentication, errors and metrics. Requests the fast
 * path declines (a query string, an escaped name) are answered by the Nest route, so each test
 * compares the two, and checks which of them answered (an interceptor counts what reaches Nest).
 */
describe('ImageStreamTag GET fast path', () => {
  let api: Served;
  let base: string;
  const ns = 'fast';
  beforeAll(async () => {
    api = await serve();
    base = `${api.server.url}/apis/image.openshift.io/v1/namespaces/${ns}`;
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  const created = new Set<string>();
  const map = async (stream: string, tag: string, n: number) => {
    if (!created.has(stream)) {
      expect((await call('POST', `${base}/imagestreams`, { metadata: { name: stream } })).status).toBe(201);
      created.add(stream);
    }
    const mapped = await call('POST', `${base}/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(n) }, dockerImageReference: `quay.io/fast/${stream}@${digest(n)}` },
    });
    expect(mapped.status).toBe(201);
  };

  /**
   * GETs `path` (below the namespace) plainly, and twice in ways the fast path leaves to the Nest
   * route (a query string; the name's colon escaped); the answers, and whether the plain GET reached Nest.
   */
  async function bothWays(path: string, headers: Record<string, string> = {}) {
    const before = reachedNest.length;
    const fast = await rawGet(`${base}/${path}`, headers);
    const fastReachedNest = reachedNest.length > before;
    const viaNest = await rawGet(`${base}/${path}?pretty=false`, headers);
    const escaped = await rawGet(`${base}/${path.replace(':', '%3A')}`, headers);
    expect(reachedNest.length - before).toBe(fastReachedNest ? 3 : 2);
    return { fast, viaNest, escaped, fastReachedNest };
  }

  it('answers a cached tag with the same status, headers and bytes as the Nest route, without reaching Nest', async () => {
    await map('same', 'v1', 1);
    // The first GET reads Postgres and fills the cache; the ones compared below are hits.
    expect((await rawGet(`${base}/imagestreamtags/same:v1`)).status).toBe(200);
    for (const headers of [{}, { accept: 'application/json' }, { accept: 'application/json, */*' }, { accept: '*/*' }] as Record<string, string>[]) {
      const { fast, viaNest, escaped, fastReachedNest } = await bothWays('imagestreamtags/same:v1', headers);
      expect(fastReachedNest).toBe(false);
      expect(fast.status).toBe(200);
      expect(JSON.parse(fast.body)).toMatchObject({ kind: 'ImageStreamTag', metadata: { name: 'same:v1' }, image: { metadata: { name: digest(1) } } });
      expect(fast).toEqual(viaNest);
      expect(fast).toEqual(escaped);
      expect(fast.headers).toContain('content-type: application/json');
    }
  });

  it('indents for curl, Wget, browsers and `;pretty=1` exactly as the Nest route does', async () => {
    await map('indented', 'v1', 500);
    expect((await rawGet(`${base}/imagestreamtags/indented:v1`)).status).toBe(200);
    for (const headers of [{ 'user-agent': 'curl/8.5.0' }, { 'user-agent': 'Wget/1.21' }, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' }, { accept: 'application/json;pretty=1' }] as Record<string, string>[]) {
      const before = reachedNest.length;
      const fast = await rawGet(`${base}/imagestreamtags/indented:v1`, headers);
      expect(reachedNest.length).toBe(before);
      // The escaped colon goes through Nest with the same headers and no query string.
      const viaNest = await rawGet(`${base}/imagestreamtags/indented%3Av1`, headers);
      expect(reachedNest.length).toBe(before + 1);
      expect(fast.status).toBe(200);
      expect(fast.body.startsWith('{\n  "kind": "ImageStreamTag",\n')).toBe(true);
      expect(fast).toEqual(viaNest);
    }
  });

  it('a tag mapped to a new image is served at once, by the fast path', async () => {
    await map('moving', 'latest', 100);
    for (let n = 101; n < 106; n++) {
      expect((await rawGet(`${base}/imagestreamtags/moving:latest`)).status).toBe(200);
      await map('moving', 'latest', n);
      const before = reachedNest.length;
      const after = await rawGet(`${base}/imagestreamtags/moving:latest`);
      expect(reachedNest.length).toBe(before);
      expect(JSON.parse(after.body).image.metadata.name).toBe(digest(n));
      const { fast, viaNest } = await bothWays('imagestreamtags/moving:latest');
      expect(fast).toEqual(viaNest);
    }
  });

  it('not found, and a malformed name, answer the Status the Nest route answers', async () => {
    await map('present', 'v1', 200);
    const cases: [string, number, string][] = [
      ['imagestreamtags/absent:v1', 404, 'imagestreamtags.image.openshift.io "absent" not found'],
      ['imagestreamtags/present:nope', 404, 'imagestreamtags.image.openshift.io "present:nope" not found'],
    ];
    for (const [path, code, message] of cases) {
      const { fast, viaNest, escaped, fastReachedNest } = await bothWays(path);
      expect(fastReachedNest).toBe(false);
      expect(fast.status).toBe(code);
      expect(JSON.parse(fast.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'NotFound', details: expect.objectContaining({ kind: 'imagestreamtags' }), code });
      expect(fast).toEqual(viaNest);
      expect(fast).toEqual(escaped);
    }
    const before = reachedNest.length;
    const malformed = await rawGet(`${base}/imagestreamtags/no-colon`);
    expect(reachedNest.length).toBe(before);
    expect(malformed.status).toBe(400);
    expect(malformed).toEqual(await rawGet(`${base}/imagestreamtags/no-colon?pretty=false`));
  });

  it('leaves Table, YAML and unservable Accept headers, watches, other methods and request bodies to Nest', async () => {
    await map('declined', 'v1', 300);
    const url = `${base}/imagestreamtags/declined:v1`;
    const before = reachedNest.length;
    const table = await rawGet(url, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(JSON.parse(table.body).kind).toBe('Table');
    const yaml = await rawGet(url, { accept: 'application/yaml' });
    expect(yaml.headers).toContain('content-type: application/yaml');
    // As sigs.k8s.io/yaml writes it: top-level keys sorted (JSON has kind first).
    const topKeys = yaml.body.split('\n').filter((l) => /^[a-zA-Z]+:/.test(l)).map((l) => l.split(':')[0]);
    expect(topKeys).toEqual([...topKeys].sort());
    expect(topKeys[0]).toBe('apiVersion');
    expect((await rawGet(url, { accept: 'application/vnd.kubernetes.protobuf' })).status).toBe(406);
    expect((await rawGet(url, { accept: 'application/json', 'content-length': '0' })).status).toBe(200);
    expect((await call('HEAD', url)).status).toBe(405);
    expect((await rawGet(`${api.server.url}/apis/image.openshift.io/v1/watch/namespaces/${ns}/imagestreamtags/declined:v1`)).status).toBe(404);
    expect(reachedNest.length - before).toBe(6);
  });

  it('counts its answers in imagestreamd_http_requests_total as the Nest route does', async () => {
    await map('counted', 'v1', 400);
    const ok = await getsCounted(api.server.url, 200);
    const missing = await getsCounted(api.server.url, 404);
    await rawGet(`${base}/imagestreamtags/counted:v1`);
    await rawGet(`${base}/imagestreamtags/counted:v1?pretty=false`);
    await rawGet(`${base}/imagestreamtags/counted:none`);
    expect(await getsCounted(api.server.url, 200)).toBe(ok + 2);
    expect(await getsCounted(api.server.url, 404)).toBe(missing + 1);
  });

  it('logs the same request lines as the Nest route', async () => {
    await map('logged', 'v1', 600);
    const proc = await startApiProcess({ DATABASE_URL: api.databaseUrl, LOG_LEVEL: 'info' });
    try {
      const url = `${proc.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreamtags/logged:v1`;
      await rawGet(url);
      await rawGet(url, { 'x-request-id': 'fast-get-1' });
      await rawGet(`${url}?pretty=false`, { 'x-request-id': 'nest-get-1' });
      const linesOf = (reqId: string) =>
        proc
          .output()
          .split('\n')
          .filter((l) => l.includes(`"reqId":"${reqId}"`))
          .map((l) => {
            // What differs between any two requests: when, how long, the client's port, the id, the URL.
            const { time: _t, responseTime: _r, reqId: _id, ...rest } = JSON.parse(l) as Record<string, unknown> & { req?: Record<string, unknown> };
            return rest.req ? { ...rest, req: { ...rest.req, url: undefined, remotePort: undefined } } : rest;
          });
      await pollUntil(
        async () => linesOf('nest-get-1').length,
        (n) => n >= 1,
      );
      const nest = linesOf('nest-get-1');
      // One line per request, with what was asked and what was answered.
      expect(nest).toEqual([expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ method: 'GET' }), res: { statusCode: 200 } })]);
      expect(linesOf('fast-get-1')).toEqual(nest);
    } finally {
      await proc.stop();
    }
  }, 90000);

  describe('with API_AUTHENTICATION', () => {
    let secured: Served;
    let securedBase: string;
    beforeAll(async () => {
      const accessPolicy = parseAccessPolicy('users:\n  - {name: alice, password: alice-pass, tokens: [alice-token]}\n');
      secured = await serve({ accessPolicy, apiAuthentication: true });
      securedBase = `${secured.server.url}/apis/image.openshift.io/v1/namespaces/${ns}`;
    }, 90000);
    afterAll(async () => {
      await secured?.close();
    });

    it('is 401 without credentials or with wrong ones, 200 with a user token, the 200 not reaching Nest', async () => {
      const auth = { authorization: 'Bearer alice-token' };
      expect((await call('POST', `${securedBase}/imagestreams`, { metadata: { name: 'locked' } })).status).toBe(401);
      const created = await fetch(`${securedBase}/imagestreams`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'locked' } }) });
      expect(created.status).toBe(201);
      const mapped = await fetch(`${securedBase}/imagestreammappings`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'locked' }, tag: 'v1', image: { metadata: { name: digest(500) }, dockerImageReference: `quay.io/fast/locked@${digest(500)}` } }),
      });
      expect(mapped.status).toBe(201);
      const url = `${securedBase}/imagestreamtags/locked:v1`;
      for (const wrong of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
        const denied = await rawGet(url, wrong);
        expect(denied.status).toBe(401);
        expect(denied.headers).toContain('www-authenticate: Bearer realm="imagestreamd"');
        expect(JSON.parse(denied.body)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
        expect(denied).toEqual(await rawGet(`${url}?pretty=false`, wrong));
      }
      expect((await rawGet(url, auth)).status).toBe(200);
      const before = reachedNest.length;
      const fast = await rawGet(url, auth);
      expect(reachedNest.length).toBe(before);
      expect(fast.status).toBe(200);
      expect(JSON.parse(fast.body).image.metadata.name).toBe(digest(500));
      expect(fast).toEqual(await rawGet(`${url}?pretty=false`, auth));
    });
  });
  describe('with API_AUTHORIZATION=Policy', () => {
    let guarded: Served;
    let guardedBase: string;
    beforeAll(async () => {
      const accessPolicy = parseAccessPolicy(`
users:
  - {name: alice, password: a, tokens: [alice-token]}
  - {name: bob, password: b, tokens: [bob-token]}
  - {name: root, password: r, tokens: [root-token]}
grants:
  - {subjects: [alice], namespaces: [${ns}], roles: [edit]}
  - {subjects: [bob], namespaces: [elsewhere], roles: [view]}
  - {subjects: [root], namespaces: ['*'], roles: [view]}
`);
      guarded = await serve({ accessPolicy, apiAuthentication: true, apiAuthorization: 'Policy' });
      guardedBase = `${guarded.server.url}/apis/image.openshift.io/v1/namespaces/${ns}`;
    }, 90000);
    afterAll(async () => {
      await guarded?.close();
    });

    it('a GET the policy refuses is 403 Forbidden before the fast path answers (as the Nest route answers it), counted in metrics; an allowed one is served past Nest', async () => {
      const alice = { authorization: 'Bearer alice-token' };
      const write = (path: string, body: object) => fetch(`${guardedBase}/${path}`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await write('imagestreams', { metadata: { name: 'guarded' } })).status).toBe(201);
      const mapped = await write('imagestreammappings', { metadata: { name: 'guarded' }, tag: 'v1', image: { metadata: { name: digest(600) }, dockerImageReference: `quay.io/fast/guarded@${digest(600)}` } });
      expect(mapped.status).toBe(201);
      const url = `${guardedBase}/imagestreamtags/guarded:v1`;
      const bob = { authorization: 'Bearer bob-token' };
      const countedBefore = await getsCounted(guarded.server.url, 403, 'Bearer root-token');
      const before = reachedNest.length;
      const denied = await rawGet(url, bob);
      expect(reachedNest.length).toBe(before);
      expect(denied.status).toBe(403);
      expect(denied.headers).toContain('content-type: application/json');
      expect(denied.body).toBe(
        `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"imagestreamtags.image.openshift.io \\"guarded:v1\\" is forbidden: User \\"bob\\" cannot get resource \\"imagestreamtags\\" in API group \\"image.openshift.io\\" in the namespace \\"${ns}\\"","reason":"Forbidden","details":{"name":"guarded:v1","group":"image.openshift.io","kind":"imagestreamtags"},"code":403}`,
      );
      expect(denied).toEqual(await rawGet(`${url}?pretty=false`, bob));
      expect(await getsCounted(guarded.server.url, 403, 'Bearer root-token')).toBe(countedBefore + 2);
      const beforeServed = reachedNest.length;
      const served = await rawGet(url, alice);
      expect(reachedNest.length).toBe(beforeServed);
      expect(served.status).toBe(200);
      expect(JSON.parse(served.body).image.metadata.name).toBe(digest(600));
    });
  });
});
