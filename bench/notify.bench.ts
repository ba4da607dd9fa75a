/**
 * `npm run bench:notify`: push → delivered latency and throughput of the trigger pipeline.
 *  1. mappings at NOTIFY_RATE/s (default 100) for NOTIFY_SECONDS (default 10) to tags with
 *     NOTIFY_TRIGGERS_PER_TAG (default 100) triggers each, local receivers: p50/p99 of
 *     mapping-sent → webhook-received, and deliveries/s;
 *  2. one push fanned out to NOTIFY_FANOUT (default 10,000) triggers: time until all delivered.
 * Runs api + worker in one process (`--with-worker`) against a fresh database.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'undici';
import { startApiProcess } from '../test/support/api-process';
import { freshDatabase, withClient } from './support/bench-db';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const RATE = env('NOTIFY_RATE', 100);
const SECONDS = env('NOTIFY_SECONDS', 10);
const PER_TAG = env('NOTIFY_TRIGGERS_PER_TAG', 100);
const TAGS = env('NOTIFY_TAGS', 20);
const FANOUT = env('NOTIFY_FANOUT', 10000);
const RECEIVERS = env('NOTIFY_RECEIVERS', 8);
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const agent = new Agent({ connections: 64 });

async function post(url: string, body: unknown): Promise<number> {
  const res = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.body.dump();
  return res.statusCode;
}

const received = new Map<string, number[]>();
function receiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const ev = JSON.parse(Buffer.concat(chunks).toString()) as { data: { new: { digest: string } } };
      const list = received.get(ev.data.new.digest) ?? [];
      list.push(at);
      received.set(ev.data.new.digest, list);
      res.writeHead(204).end();
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` })));
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const dbUrl = await freshDatabase('imagestreamd_bench_notify');
  const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => receiver()));
  const api = await startApiProcess(
    {
      DATABASE_URL: dbUrl,
      LOG_LEVEL: 'error',
      TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
      TRIGGER_QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
      TRIGGER_TARGET_RATE_PER_SECOND: '0',
      TRIGGER_TARGET_CONCURRENCY: '32',
      TRIGGER_DELIVERY_CONCURRENCY: process.env['TRIGGER_DELIVERY_CONCURRENCY'] ?? '128',
      TRIGGER_RELAY_INTERVAL_MS: '5',
    },
    ['--with-worker'],
  );
  const base = `${api.url}/apis/image.openshift.io/v1/namespaces/bench`;
  const trg = `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/bench/triggers`;
  try {
    // Scenario 1 setup: TAGS tags (one stream each) with PER_TAG triggers each, spread over the receivers.
    for (let t = 0; t < TAGS; t++) await post(`${base}/imagestreams`, { metadata: { name: `s${t}` } });
    let n = 0;
    for (let t = 0; t < TAGS; t++) {
      await Promise.all(
        Array.from({ length: PER_TAG }, (_, i) =>
          post(trg, {
            metadata: { name: `t${t}-${i}` },
            spec: { from: { kind: 'ImageStreamTag', name: `s${t}:latest` }, target: { kind: 'Webhook', name: 'w' }, delivery: { url: receivers[n++ % RECEIVERS]!.url } },
          }),
        ),
      );
    }
    const sent = new Map<string, number>();
    const total = RATE * SECONDS;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const d = digest(1_000_000 + i);
      sent.set(d, performance.now());
      void post(`${base}/imagestreammappings`, { metadata: { name: `s${i % TAGS}` }, tag: 'latest', image: { metadata: { name: d }, dockerImageReference: `q/x@${d}` } });
    }
    const expected = total * PER_TAG;
    const deadline = performance.now() + 120_000;
    const count = () => [...sent.keys()].reduce((a, d) => a + (received.get(d)?.length ?? 0), 0);
    while (count() < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lat: number[] = [];
    let last = 0;
    for (const [d, at] of sent) for (const r of received.get(d) ?? []) {
      lat.push(r - at);
      last = Math.max(last, r);
    }
    console.log(
      `steady: ${RATE} mappings/s × ${SECONDS}s, ${PER_TAG} triggers/tag, ${RECEIVERS} receivers: delivered ${lat.length}/${expected}` +
        `  p50=${pct(lat, 50).toFixed(1)}ms p99=${pct(lat, 99).toFixed(1)}ms  ${(lat.length / ((last - t0) / 1000)).toFixed(0)} deliveries/s`,
    );

    // Scenario 2: one push → FANOUT triggers (inserted straight into the tables as many creates would leave them).
    await post(`${base}/imagestreams`, { metadata: { name: 'fan' } });
    await withClient(dbUrl, async (c) => {
      await c.query(
        `WITH t AS (SELECT gen_random_uuid() AS uid, i FROM generate_series(1, $1) i),
              ins AS (INSERT INTO triggers (namespace, name, uid, resource_version, create_rv, labels, body)
                      SELECT 'bench', 'fan-' || i, uid, 1, 1, '{}'::jsonb, jsonb_build_object(
                        'metadata', jsonb_build_object('name', 'fan-' || i, 'namespace', 'bench', 'uid', uid, 'generation', 1),
                        'spec', jsonb_build_object('from', jsonb_build_object('kind', 'ImageStreamTag', 'name', 'fan:latest'),
                                                   'target', jsonb_build_object('kind', 'Webhook', 'name', 'w'),
                                                   'delivery', jsonb_build_object('url', ($2::text[])[1 + i % $3])),
                        'status', '{}'::jsonb) FROM t RETURNING uid, name)
         INSERT INTO trigger_subscriptions (owner_uid, kind, namespace, name, from_namespace, stream, tag)
         SELECT uid, 'Trigger', 'bench', name, 'bench', 'fan', 'latest' FROM ins`,
        [FANOUT, receivers.map((r) => r.url), RECEIVERS],
      );
    });
    const fd = digest(9_999_999);
    const f0 = performance.now();
    await post(`${base}/imagestreammappings`, { metadata: { name: 'fan' }, tag: 'latest', image: { metadata: { name: fd }, dockerImageReference: `q/x@${fd}` } });
    const fdeadline = performance.now() + 120_000;
    while ((received.get(fd)?.length ?? 0) < FANOUT && performance.now() < fdeadline) await new Promise((r) => setTimeout(r, 50));
    const got = received.get(fd) ?? [];
    console.log(`fan-out: one push → ${got.length}/${FANOUT} delivered in ${((Math.max(...got) - f0) / 1000).toFixed(2)} s`);
  } finally {
    await api.stop();
    for (const r of receivers) r.server.close();
    await agent.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
