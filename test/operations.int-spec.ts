import { freeLoopbackPort } from './support/registry';
import { startTestApi, type TestApi } from './support/api-server';

/** Health endpoints and Prometheus metrics, against real Postgres and Redis (and a Redis that is not there). */
describe('operations endpoints', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('livez answers ok; healthz and readyz check Postgres and Redis', async () => {
    const live = await fetch(`${api.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('ok');
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; details: Record<string, { status: string }> };
      expect(body.status).toBe('ok');
      expect(body.details['postgres']?.status).toBe('up');
      expect(body.details['redis']?.status).toBe('up');
    }
  });

  it('counts requests by verb, resource and code, with a latency histogram', async () => {
    await fetch(`${api.base}/namespaces/ops/imagestreams`);
    await fetch(`${api.base}/namespaces/ops/imagestreams/missing`);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/imagestreamd_http_requests_total\{verb="list",resource="imagestreams",code="200"\} [1-9]/);
    expect(text).toMatch(/imagestreamd_http_requests_total\{verb="get",resource="imagestreams",code="404"\} [1-9]/);
    expect(text).toMatch(/imagestreamd_http_request_duration_seconds_bucket\{le="[0-9.]+",verb="list",resource="imagestreams"\} [1-9]/);
  });

  it('readyz is a 503 ServiceUnavailable Status naming Redis when Redis cannot be reached; livez stays ok', async () => {
    const closedPort = await freeLoopbackPort();
    const down = await startTestApi({ redisUrl: `redis://127.0.0.1:${closedPort}` });
    try {
      expect((await fetch(`${down.url}/livez`)).status).toBe(200);
      const res = await fetch(`${down.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { kind: string; reason: string; code: number; message: string };
      expect(body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
      expect(body.message).toContain('redis');
      expect(body.message).not.toContain('postgres');
      // Reads that need only Postgres still work.
      expect((await fetch(`${down.base}/namespaces/ops/imagestreams`)).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
