import Fastify from 'fastify';
import { ServerDraining } from './server-draining';
import { answerRetryAfterWhileDraining } from './shutdown-retry-after';

/** A bare Fastify with the drain filter and a route per kind of path. */
function server() {
  const draining = new ServerDraining();
  const app = Fastify();
  answerRetryAfterWhileDraining(app, draining);
  for (const path of ['/api/v1/namespaces', '/livez', '/readyz', '/healthz/redis', '/metrics']) app.get(path, async () => 'served');
  return { app, draining };
}

describe('answerRetryAfterWhileDraining (kube-apiserver WithRetryAfter)', () => {
  it('runs every request until the drain begins', async () => {
    const { app } = server();
    const res = await app.inject({ url: '/api/v1/namespaces' });
    expect([res.statusCode, res.body, res.headers['retry-after']]).toEqual([200, 'served', undefined]);
  });

  it('answers a request arriving while draining 429 TooManyRequests, Retry-After: 5, Connection: close, in the negotiated format', async () => {
    const { app, draining } = server();
    draining.begin();
    const res = await app.inject({ url: '/api/v1/namespaces' });
    expect(res.statusCode).toBe(429);
    // The api's own onSend hook drops Fastify's `; charset=utf-8`; this bare Fastify keeps it.
    expect(res.headers).toMatchObject({ 'retry-after': '5', connection: 'close', 'content-type': expect.stringMatching(/^application\/json/) });
    expect(res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 5 } });
    const yaml = await app.inject({ url: '/api/v1/namespaces', headers: { accept: 'application/yaml' } });
    expect([yaml.statusCode, yaml.headers['content-type']]).toEqual([429, expect.stringMatching(/^application\/yaml/)]);
  });

  it('still serves health endpoints and /metrics while draining, as upstream exempts them', async () => {
    const { app, draining } = server();
    draining.begin();
    for (const url of ['/livez', '/readyz?verbose', '/healthz/redis', '/metrics']) {
      const res = await app.inject({ url });
      expect([url, res.statusCode, res.body]).toEqual([url, 200, 'served']);
    }
  });
});
