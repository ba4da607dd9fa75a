import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess, startWorkerProcess, type WorkerProcessHandle } from './support/api-process';
import { pollUntil } from './support/poll';
import { deleteQueueKeys } from './support/queue-keys';
import { createSigningSecret, createTrigger, digest, mapImage, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/** The value of one sample line (`name{labels} value`) of a Prometheus text answer; 0 when absent. */
function sample(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

/**
 * A worker deployed alone (`npm run start:worker`, the compose stack's `worker`) serves its own
 * figures on WORKER_METRICS_PORT: no api process holds its registry-event and delivery counters.
 * Real api and worker processes, Postgres, Redis and a webhook receiver.
 */
describe('worker metrics (WORKER_METRICS_PORT)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess;
  let worker: WorkerProcessHandle;
  let metricsUrl: string;
  const rx = new Receiver();
  const prefixes = { QUEUE_PREFIX: `wm-${randomBytes(4).toString('hex')}`, TRIGGER_QUEUE_PREFIX: `wmt-${randomBytes(4).toString('hex')}` };

  /**
   * A worker alone with API authentication (and `env`, e.g. API_AUTHORIZATION) under the policy
   * `policyYaml`, serving metrics on a port of its own; resolves once it listens.
   */
  async function startGuardedWorker(policyYaml: string, env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'worker-metrics-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, policyYaml);
    const worker = startWorkerProcess({ DATABASE_URL: db.url, ...prefixes, API_AUTHENTICATION: 'true', ACCESS_POLICY_FILE: policyFile, WORKER_METRICS_PORT: '0', HOST: '127.0.0.1', ...env });
    const stop = async () => {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    let url: string;
    try {
      url = await worker.metricsUrl();
    } catch (e) {
      await stop();
      throw e;
    }
    return { url, stop };
  }
  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();

  beforeAll(async () => {
    await rx.start();
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, TRIGGER_ALLOWED_CIDRS: '127.0.0.1', TRIGGER_BACKOFF_BASE_MS: '60000', TRIGGER_RELAY_INTERVAL_MS: '250', ...prefixes };
    // Both boot at once, as a deployment's do (migrations take an advisory lock): the worker needs nothing of the api's.
    worker = startWorkerProcess({ ...env, WORKER_METRICS_PORT: '0', HOST: '127.0.0.1' });
    // Both settled before failing, so afterAll stops an api that did start.
    const [started, listening] = await Promise.allSettled([startApiProcess(env), worker.metricsUrl()]);
    if (started.status === 'fulfilled') api = started.value;
    if (started.status === 'rejected') throw started.reason;
    if (listening.status === 'rejected') throw listening.reason;
    metricsUrl = listening.value;
  }, 90000);
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    rx.close();
    await db?.drop();
    await deleteQueueKeys(Object.values(prefixes));
  });

  it('counts delivery attempts by result and failure class, and their durations', async () => {
    const before = await metrics();
    expect(before).toContain('# TYPE imagestreamd_trigger_delivery_attempts_total counter');
    // The namespace comes with its first stream.
    expect((await fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/wm/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"app"}}' })).status).toBe(201);
    expect((await createSigningSecret(api.url, 'wm')).status).toBe(201);
    await createTrigger(api.url, 'wm', 'ok', triggerSpec('app:latest', { kind: 'Webhook', name: 'ok' }, rx.url('/ok')));
    rx.answer('/failing', 503);
    await createTrigger(api.url, 'wm', 'failing', triggerSpec('app:latest', { kind: 'Webhook', name: 'failing' }, rx.url('/failing')));
    await mapImage(api.url, 'wm', { stream: 'app', tag: 'latest', image: digest('a'), repository: 'registry.local/wm/app' });
    await rx.waitFor('/ok', 1);
    await rx.waitFor('/failing', 1);

    const after = await pollUntil(metrics, (t) => sample(t, 'imagestreamd_trigger_delivery_attempt_seconds_count') >= 2);
    const delta = (line: string) => sample(after, line) - sample(before, line);
    expect(delta('imagestreamd_trigger_delivery_attempts_total{result="delivered",reason="none"}')).toBe(1);
    // The 503 is retried later (backoff of a minute here): one attempt so far, retrying.
    expect(delta('imagestreamd_trigger_delivery_attempts_total{result="retrying",reason="status-5xx"}')).toBe(1);
    expect(delta('imagestreamd_trigger_delivery_attempt_seconds_count')).toBe(2);
    // Process metrics of the worker itself, as the api's /metrics has its own.
    expect(after).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('answers other paths with a 404 Status', async () => {
    const res = await fetch(`${metricsUrl}/apis`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });

  it('with API_AUTHENTICATION, /metrics wants a policy user (401 Status otherwise) and /livez stays public', async () => {
    const guarded = await startGuardedWorker('users:\n  - {name: prom, password: prom-pass, tokens: [prom-token]}\n', {});
    const url = guarded.url;
    try {
      for (const authorization of [undefined, 'Bearer wrong']) {
        const res = await fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="imagestreamd", Basic realm="imagestreamd"');
        expect(await res.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      }
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer prom-token' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('imagestreamd_registry_events_processed_total');
    } finally {
      await guarded.stop();
    }
  }, 90000);
  it('with API_AUTHORIZATION=Policy, /metrics also needs a role on every namespace (403 Forbidden otherwise), as the api`s does', async () => {
    const guarded = await startGuardedWorker(
      "users:\n  - {name: prom, password: p, tokens: [prom-token]}\n  - {name: dev, password: d, tokens: [dev-token]}\ngrants:\n  - {subjects: [prom], namespaces: ['*'], roles: [view]}\n  - {subjects: [dev], namespaces: [myproject], roles: [edit]}\n",
      { API_AUTHORIZATION: 'Policy' },
    );
    const url = guarded.url;
    try {
      const refused = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer dev-token' } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'forbidden: User "dev" cannot get path "/metrics"', reason: 'Forbidden', details: {}, code: 403 });
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer prom-token' } });
      expect(ok.status).toBe(200);
    } finally {
      await guarded.stop();
    }
  }, 90000);
});
