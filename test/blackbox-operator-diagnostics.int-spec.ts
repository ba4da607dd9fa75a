import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { type CuttableProxy, proxyInFrontOf } from './support/cuttable-proxy';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, createTrigger, digest, listDeliveries, mapImage, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/** The JSON log lines of `output` (pino), other lines dropped. */
function logLines(output: string): any[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}

/**
 * What an operator reads when something fails: the logs and health endpoints must say why, not
 * only that something failed (found running the service as an operator would).
 */
describe('operator diagnostics', () => {
  describe('a failing receiver', () => {
    const ns = 'opsdiag';
    const receiver = new Receiver();
    let server: TriggerServer;

    beforeAll(async () => {
      await receiver.start();
      receiver.mode = 'fail';
      server = await startTriggerServer({ LOG_LEVEL: 'info', TRIGGER_ATTEMPT_BUDGET: '2', TRIGGER_BACKOFF_BASE_MS: '50', TRIGGER_BACKOFF_MAX_MS: '100' });
    }, 90000);
    afterAll(async () => {
      await server?.close();
      receiver.close();
    });

    it('logs each failed attempt and the dead letter with trigger, delivery, receiver origin and reason, never the URL path or query', async () => {
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
      expect((await createSigningSecret(server.url, ns)).status).toBe(201);
      // A query token is common in webhook URLs: it must not reach the logs.
      await createTrigger(server.url, ns, 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, receiver.url('/hook/x?token=qtok-never-logged')));
      await mapImage(server.url, ns, { stream: 'base', tag: 'latest', image: digest('d'), repository: 'registry.local/opsdiag/base' });
      const dead = await pollUntil(() => listDeliveries(server.url, ns, 'rebuild'), (ds) => ds[0]?.status?.state === 'dead', 30000);
      expect(dead[0].status.state).toBe('dead');
      const id: string = dead[0].metadata.name;

      const lines = await pollUntil(
        async () => logLines(server.output()).filter((l) => l.delivery === id),
        (ls) => ls.some((l) => l.result === 'dead-lettered'),
        5000,
      );
      const retry = lines.find((l) => l.result === 'retrying');
      const deadLine = lines.find((l) => l.result === 'dead-lettered');
      expect(retry).toMatchObject({ level: 30, namespace: ns, trigger: 'rebuild', receiver: `http://127.0.0.1:${receiver.port}`, attempt: 1, statusCode: 500, error: 'receiver answered 500' });
      expect(retry.msg).toContain('receiver answered 500');
      expect(deadLine).toMatchObject({ level: 40, namespace: ns, trigger: 'rebuild', attempt: 2, statusCode: 500, reason: 'AttemptBudgetExhausted' });
      expect(deadLine.msg).toMatch(/dead-lettered/);
      expect(server.output()).not.toContain('qtok-never-logged');
      expect(server.output()).not.toContain('/hook/x');
    }, 60000);
  });

  describe('Postgres unreachable', () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let proxy: CuttableProxy;
    let api: ApiProcess;

    beforeAll(async () => {
      db = await createTestDatabase();
      let proxied: string;
      ({ proxy, url: proxied } = await proxyInFrontOf(db.url));
      api = await startApiProcess({ DATABASE_URL: proxied, LOG_LEVEL: 'warn' });
    }, 90000);
    afterAll(async () => {
      await api?.stop();
      await proxy?.close();
      await db?.drop();
    });

    it('/readyz/postgres and the warning logged name the reason, as for Redis', async () => {
      expect((await fetch(`${api.url}/readyz/postgres`)).status).toBe(200);
      await proxy.cut();
      const res = await fetch(`${api.url}/readyz/postgres`);
      expect(res.status).toBe(500);
      // `postgres unavailable` alone told an operator nothing: refused, reset, auth, a full server?
      expect(await res.text()).toMatch(/^internal server error: postgres unavailable: \S/);
      // The log line travels on the child's stdout, which may reach us after the HTTP answer.
      const warned = await pollUntil(
        async () => logLines(api.output()).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('health check failed: postgres unavailable')),
        (w) => w.length > 0,
      );
      expect(warned.length).toBeGreaterThan(0);
      expect(warned.every((l) => /^health check failed: postgres unavailable: \S/.test(l.msg))).toBe(true);
      await proxy.open();
      await pollUntil(async () => (await fetch(`${api.url}/readyz`)).status, (s) => s === 200, 15000);
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    }, 60000);
  });
});
