import { freeLoopbackPort } from './support/free-port';
import { startTestApi, type TestApi } from './support/api-server';
import { startApiProcess } from './support/api-process';
import { pollUntil } from './support/poll';

/** Health endpoints and Prometheus metrics, against real Postgres and Redis (and a Redis that is not there). */
describe('operations endpoints', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('livez, healthz and readyz answer as kube-apiserver does: ok, a verbose check list, single checks, exclusions', async () => {
    for (const path of ['/livez', '/healthz', '/readyz', '/readyz/postgres', '/healthz/redis', '/livez/ping']) {
      const res = await fetch(`${api.url}${path}`);
      expect([path, res.status, res.headers.get('content-type'), await res.text()]).toEqual([path, 200, 'text/plain; charset=utf-8', 'ok']);
    }
    const verbose = await fetch(`${api.url}/readyz?verbose&exclude=redis`);
    expect(await verbose.text()).toBe('[+]ping ok\n[+]postgres ok\n[+]redis excluded: ok\n[+]shutdown ok\nreadyz check passed\n');
    // A name no check has: warned of after the checks, as kube-apiserver's healthz does.
    const unknown = await fetch(`${api.url}/livez?verbose&exclude=foo&exclude=bar`);
    expect([unknown.status, await unknown.text()]).toEqual([200, '[+]ping ok\nwarn: some health checks cannot be excluded: no matches for "bar", "foo"\nlivez check passed\n']);
    expect((await fetch(`${api.url}/readyz/nothing`)).status).toBe(404);
    expect((await fetch(`${api.url}/livez/postgres`)).status).toBe(404);
    // `kubectl get --raw /` lists what is served.
    const root = (await (await fetch(`${api.url}/`)).json()) as { paths: string[] };
    expect(root.paths).toEqual(expect.arrayContaining(['/api', '/apis', '/apis/image.openshift.io/v1', '/openapi/v2', '/readyz', '/version']));
    // Every single check is listed, and every path listed under the health endpoints answers.
    const health = root.paths.filter((p) => /^\/(livez|healthz|readyz)/.test(p));
    expect(health).toEqual(expect.arrayContaining(['/readyz/shutdown', '/readyz/redis', '/healthz/postgres', '/livez/ping']));
    for (const path of health) expect([path, (await fetch(`${api.url}${path}`)).status]).toEqual([path, 200]);
  });

  it('a trailing slash names the same path, as kube-apiserver\'s router trims it (/version/, /apis/, a list, a health check)', async () => {
    const body = async (path: string) => {
      const res = await fetch(`${api.url}${path}`);
      return [res.status, res.headers.get('content-type'), await res.text()];
    };
    for (const path of ['/version', '/api', '/apis', '/apis/image.openshift.io', '/apis/image.openshift.io/v1', '/healthz', '/readyz/postgres']) {
      expect([`${path}/`, ...(await body(`${path}/`))]).toEqual([`${path}/`, ...(await body(path))]);
    }
    // /version is indented whichever way it is spelled (upstream writes it so).
    expect((await body('/version/'))[2]).toMatch(/^\{\n {2}"major": /);
    const list = (await (await fetch(`${api.base}/namespaces/ops/imagestreams/?limit=1`)).json()) as { kind: string };
    expect(list.kind).toBe('ImageStreamList');
  });

  it('counts requests by verb, resource and code, with a latency histogram', async () => {
    await fetch(`${api.base}/namespaces/ops/imagestreams`);
    await fetch(`${api.base}/namespaces/ops/imagestreams/missing`);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/imagestreamd_http_requests_total\{verb="list",resource="imagestreams",code="200"\} [1-9]/);
    expect(text).toMatch(/imagestreamd_http_requests_total\{verb="get",resource="imagestreams",code="404"\} [1-9]/);
    expect(text).toMatch(/imagestreamd_http_request_duration_seconds_bucket\{le="[0-9.]+",verb="list",resource="imagestreams"\} [1-9]/);
  });

  it('readyz is 500 with the failing check marked when Redis cannot be reached (reason withheld); livez stays ok', async () => {
    const closedPort = await freeLoopbackPort();
    const down = await startTestApi({ redisUrl: `redis://127.0.0.1:${closedPort}` });
    try {
      expect((await fetch(`${down.url}/livez`)).status).toBe(200);
      const res = await fetch(`${down.url}/readyz`);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('[+]ping ok\n[+]postgres ok\n[-]redis failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n');
      const one = await fetch(`${down.url}/readyz/redis`);
      expect(one.status).toBe(500);
      expect(await one.text()).toContain('redis unavailable');
      expect((await fetch(`${down.url}/readyz?exclude=redis`)).status).toBe(200);
      // Reads that need only Postgres still work.
      expect((await fetch(`${down.base}/namespaces/ops/imagestreams`)).status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('a message logged for a request carries its request id (the failing check names its reason there)', async () => {
    const closedPort = await freeLoopbackPort();
    const proc = await startApiProcess({ DATABASE_URL: api.databaseUrl, REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    try {
      const res = await fetch(`${proc.url}/readyz/redis`, { headers: { 'x-request-id': 'ops-log-context-1' } });
      expect(res.status).toBe(500);
      const line = await pollUntil(
        async () => proc.output().split('\n').find((l) => l.includes('health check failed')),
        (l) => l !== undefined,
      );
      expect(JSON.parse(line ?? 'null')).toMatchObject({ level: 40, reqId: 'ops-log-context-1', msg: expect.stringContaining('redis') });
    } finally {
      await proc.stop();
    }
  });
});
