/**
 * `npm run bench:notify`: push → delivered latency and throughput of the trigger pipeline.
 *  0. Baseline, same run: a separate process POSTs CloudEvent-sized bodies straight to the same
 *     local receivers (NOTIFY_BASELINE_CONNECTIONS, default 64, for 3 s): round-trip p50/p99 and
 *     POSTs/s. Each figure below is also given as a ratio to it.
 *  1. Registry push events (POST /registry/notifications, as the registry sends them) at
 *     NOTIFY_RATE/s (default 100) for NOTIFY_SECONDS (default 10) to NOTIFY_TAGS (default 20)
 *     tags with NOTIFY_TRIGGERS_PER_TAG (default 100) triggers each, local receivers:
 *     p50/p99 of event-sent → webhook-received, and deliveries/s. NOTIFY_SOURCE=mapping sends
 *     ImageStreamMappings instead. A warm-up window of the same pushes goes first
 *     (NOTIFY_WARMUP_SECONDS, default 10; printed, not the steady figure), then the run's tables
 *     are analyzed (NOTIFY_ANALYZE=0: not); the comment at the warm-up says why.
 *  2. One push fanned out to NOTIFY_FANOUT (default 10,000) triggers: time until all delivered.
 * Runs the api and the worker as two processes, as deployed (NOTIFY_WORKER=inline: one process,
 * `--with-worker`), against a fresh database; a warm-up push goes first. Every wait is
 * bounded (NOTIFY_DRAIN_SECONDS, default 60), so a stalled pipeline ends the run with the counts
 * it reached instead of hanging. The api's stderr is kept in NOTIFY_API_LOG. NOTIFY_DATABASE and
 * NOTIFY_QUEUE_PREFIX name the run's database and BullMQ key prefix (machines shared by sessions).
 * NOTIFY_WORKERS=N runs N worker processes on the same queues (a scaled-out deployment).
 * NOTIFY_WORKER_NODE_ARGS go to the worker's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * NOTIFY_API_NODE_ARGS to the api's.
 *
 * Each scenario also prints its CPU time per delivery: the worker's, the api's and that of the
 * Postgres backends serving the run's database, read from /proc. Unlike latency and throughput,
 * this figure holds when other work shares the machine. The local Redis server's CPU (BullMQ's
 * scripts) is printed beside it, outside the total, which earlier runs' figures did not count.
 *
 * Triggers are level-driven: a tag that moved twice before its triggers were evaluated fires once,
 * for the newer image. The run reports how many pushes were coalesced that way; every trigger
 * must end at its tag's last image.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import { capturedEnvelope } from '../libs/ingest/src/testing/captured-events'; // eslint-disable-line no-restricted-imports
import { startApiProcess } from '../test/support/api-process';
import { appMainArgs, buildAppsForThisProcess } from '../test/support/app-build';
import { cpuSeconds } from './support/api-child';
import { type BarePosts, barePosts } from './support/bare-posts';
import { freshDatabase, withClient } from './support/bench-db';
import { deleteQueueKeys } from '../test/support/queue-keys';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const RATE = env('NOTIFY_RATE', 100);
const SECONDS = env('NOTIFY_SECONDS', 10);
const WARMUP_SECONDS = env('NOTIFY_WARMUP_SECONDS', 10);
// NOTIFY_ANALYZE=0 leaves the tables as the warm-up left them (plans of nearly empty tables).
const ANALYZE_AFTER_WARMUP = env('NOTIFY_ANALYZE', 1) !== 0;
const PER_TAG = env('NOTIFY_TRIGGERS_PER_TAG', 100);
const TAGS = env('NOTIFY_TAGS', 20);
const FANOUT = env('NOTIFY_FANOUT', 10000);
const RECEIVERS = env('NOTIFY_RECEIVERS', 8);
const DRAIN_MS = env('NOTIFY_DRAIN_SECONDS', 60) * 1000;
const BASELINE_CONNECTIONS = env('NOTIFY_BASELINE_CONNECTIONS', 64);
const SOURCE = process.env['NOTIFY_SOURCE'] === 'mapping' ? 'mapping' : 'registry';
const INLINE_WORKER = process.env['NOTIFY_WORKER'] === 'inline';
// Worker processes sharing the queues, as a deployment scales out (each is one Node thread).
const WORKERS = INLINE_WORKER ? 0 : Math.max(1, env('NOTIFY_WORKERS', 1));
// Shared machines: each session names its own database and BullMQ prefix (the database is dropped first).
const DATABASE = process.env['NOTIFY_DATABASE'] ?? 'imagestreamd_bench_notify';
const QUEUE_PREFIX = process.env['NOTIFY_QUEUE_PREFIX'] ?? 'bench';
const SECRET = 'bench-notify-secret';
const REGISTRY = 'registry.bench:5000';
const EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const agent = new Agent({ connections: 64 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<number> {
  const res = await request(url, { method: 'POST', dispatcher: agent, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  await res.body.dump();
  return res.statusCode;
}

/** Receive time of every delivery, by image digest; baseline POSTs are counted apart. */
const received = new Map<string, number[]>();
function receiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      if (req.url !== '/baseline') {
        const ev = JSON.parse(Buffer.concat(chunks).toString()) as { data: { new: { digest: string } } };
        const list = received.get(ev.data.new.digest) ?? [];
        list.push(at);
        received.set(ev.data.new.digest, list);
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` })));
}

/** CPU seconds of one phase: worker, api, the run's Postgres backends (their sum is `total`) and Redis (null when not local). */
interface CpuUsed {
  worker: number;
  api: number;
  postgres: number;
  redis: number | null;
  total: number;
}

/**
 * CPU time (from /proc, robust to other load on the machine) of the worker, the api and the
 * Postgres backends serving the run's database, over one phase. Backends are found through
 * pg_stat_activity at the start, while the phase runs (every second) and at the end: one that
 * connects during the phase counts from zero, one that exits counts up to its last sample.
 * Postgres's shared background processes (WAL writer, checkpointer) are not counted. One
 * connection serves every sample: a connection per sample (four a second) cost the measured
 * machine a backend start each time and slowed the pipeline it measured.
 */
class CpuMeter {
  private readonly start = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private client?: Client;

  constructor(
    private readonly procs: { workers: number[]; api: number | undefined; redis: number | undefined },
    private readonly dbUrl: string,
    private readonly database: string,
  ) {}

  private async backends(): Promise<number[]> {
    if (!this.client) {
      this.client = new Client({ connectionString: this.dbUrl });
      await this.client.connect();
    }
    const rows = await this.client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [this.database]);
    return rows.rows.map((r) => r.pid);
  }

  private async sample(first: boolean): Promise<void> {
    const pids = await this.backends();
    for (const pid of pids) {
      const k = `pg:${pid}`;
      const t = cpuSeconds(pid);
      if (!this.last.has(k)) this.start.set(k, first ? t : 0);
      if (t > 0) this.last.set(k, t);
    }
    const named: [string, number | undefined][] = [
      ...this.procs.workers.map((pid, i): [string, number] => [`worker:${i}`, pid]),
      ['api', this.procs.api],
      ['redis', this.procs.redis],
    ];
    for (const [name, pid] of named) {
      if (!pid) continue;
      const t = cpuSeconds(pid);
      if (!this.start.has(name)) this.start.set(name, t);
      if (t > 0) this.last.set(name, t);
    }
  }

  async begin(): Promise<void> {
    await this.sample(true);
    const tick = () => {
      this.sampling = this.sample(false).catch(() => undefined);
      this.timer = setTimeout(tick, 1000);
    };
    this.timer = setTimeout(tick, 1000);
  }

  /** CPU seconds by process group since begin(); `total` leaves Redis out (earlier runs' figures had none). */
  async end(): Promise<CpuUsed> {
    clearTimeout(this.timer);
    await this.sampling;
    await this.sample(false);
    await this.client?.end();
    this.client = undefined;
    const used = (k: string) => Math.max(0, (this.last.get(k) ?? 0) - (this.start.get(k) ?? 0));
    const keys = [...this.last.keys()];
    const postgres = keys.filter((k) => k.startsWith('pg:')).reduce((a, k) => a + used(k), 0);
    const worker = keys.filter((k) => k.startsWith('worker:')).reduce((a, k) => a + used(k), 0);
    const api = used('api');
    return { worker, api, postgres, redis: this.procs.redis ? used('redis') : null, total: worker + api + postgres };
  }
}

/**
 * What Postgres itself recorded for the run's database over one phase, from pg_stat_statements
 * (when the server preloads it; the run's database gets the extension): WAL bytes, WAL records,
 * full-page images and statement execution time, summed over every statement of this database
 * (snapshots diffed, never a reset: the server is shared). WAL bytes per delivery is the figure
 * that holds on a busy machine; autovacuum's WAL is not in it. NOTIFY_STATEMENTS=N also prints
 * the N statements that wrote the most WAL. Full-page images (the first change of a page after a
 * checkpoint: on a shared server, other sessions' database drops force one every few seconds)
 * make it jump from run to run; with pg_walinspect (contrib, Postgres 15) the phase's WAL records
 * touching this database's blocks are also summed without them.
 */
interface StatementTotals {
  calls: number;
  execMs: number;
  walBytes: number;
  walRecords: number;
  walFpi: number;
}
class StatementsMeter {
  private before = new Map<string, StatementTotals & { query: string }>();
  private startLsn: string | null = null;

  constructor(
    private readonly dbUrl: string,
    private readonly database: string,
  ) {}

  private snapshot(): Promise<Map<string, StatementTotals & { query: string }> | null> {
    return withClient(this.dbUrl, async (c) => {
      try {
        const rows = await c.query<{ k: string; query: string; calls: string; exec: number; wal: string; rec: string; fpi: string }>(
          `SELECT queryid::text || '/' || userid::text || '/' || toplevel::text AS k, min(query) AS query, sum(calls)::text AS calls,
                  sum(total_exec_time) AS exec, sum(wal_bytes)::text AS wal, sum(wal_records)::text AS rec, sum(wal_fpi)::text AS fpi
             FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) GROUP BY 1`,
          [this.database],
        );
        return new Map(
          rows.rows.map((r) => [r.k, { query: r.query, calls: Number(r.calls), execMs: r.exec, walBytes: Number(r.wal), walRecords: Number(r.rec), walFpi: Number(r.fpi) }]),
        );
      } catch {
        return null;
      }
    });
  }

  private currentLsn(): Promise<string | null> {
    return withClient(this.dbUrl, async (c) => (await c.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0]?.lsn ?? null).catch(() => null);
  }

  async begin(): Promise<void> {
    this.before = (await this.snapshot()) ?? new Map();
    this.startLsn = await this.currentLsn();
  }

  /** WAL records since begin() that touch a block of this database: bytes without and with full-page images. */
  private walOfDatabase(): Promise<{ bytes: number; fpiBytes: number; records: number } | { unavailable: string } | null> {
    const start = this.startLsn;
    if (!start) return Promise.resolve(null);
    return withClient(this.dbUrl, async (c) => {
      const rows = await c.query<{ bytes: string | null; fpi: string | null; n: string }>(
        `SELECT sum(record_length - fpi_length)::text AS bytes, sum(fpi_length)::text AS fpi, count(*)::text AS n
           FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_lsn())
          WHERE block_ref LIKE '% rel %/' || (SELECT oid FROM pg_database WHERE datname = $2) || '/%'`,
        [start, this.database],
      );
      const r = rows.rows[0];
      return r ? { bytes: Number(r.bytes ?? 0), fpiBytes: Number(r.fpi ?? 0), records: Number(r.n) } : null;
      // The phase's first WAL segment may be recycled already (checkpoints come often on a shared server).
    }).catch((e: Error) => ({ unavailable: e.message }));
  }

  /** The phase's totals (null without pg_stat_statements) and its statements, most WAL first. */
  async end(): Promise<{ total: StatementTotals; statements: (StatementTotals & { query: string })[]; wal: Awaited<ReturnType<StatementsMeter['walOfDatabase']>> } | null> {
    const wal = await this.walOfDatabase();
    const after = await this.snapshot();
    if (!after) return null;
    const statements = [...after].map(([k, a]) => {
      const b = this.before.get(k);
      return {
        query: a.query,
        calls: a.calls - (b?.calls ?? 0),
        execMs: a.execMs - (b?.execMs ?? 0),
        walBytes: a.walBytes - (b?.walBytes ?? 0),
        walRecords: a.walRecords - (b?.walRecords ?? 0),
        walFpi: a.walFpi - (b?.walFpi ?? 0),
      };
    });
    const total = statements.reduce(
      (t, s) => ({ calls: t.calls + s.calls, execMs: t.execMs + s.execMs, walBytes: t.walBytes + s.walBytes, walRecords: t.walRecords + s.walRecords, walFpi: t.walFpi + s.walFpi }),
      { calls: 0, execMs: 0, walBytes: 0, walRecords: 0, walFpi: 0 },
    );
    return { total, statements: statements.filter((s) => s.calls > 0).sort((a, b) => b.walBytes - a.walBytes), wal };
  }
}

/** Per delivery: WAL bytes and records, full-page images, statement time; and the top WAL writers. */
function statementsLines(s: Awaited<ReturnType<StatementsMeter['end']>>, deliveries: number): string[] {
  if (!s || !deliveries) return ['Postgres statements: n/a (pg_stat_statements not preloaded)'];
  const per = (x: number) => x / deliveries;
  const lines = [
    `Postgres statements per delivery: WAL ${per(s.total.walBytes).toFixed(0)} B in ${per(s.total.walRecords).toFixed(1)} records ` +
      `(${per(s.total.walFpi).toFixed(2)} full-page images), execution ${((per(s.total.execMs)) * 1000).toFixed(0)} µs, ${per(s.total.calls).toFixed(2)} statements`,
  ];
  if (s.wal && 'unavailable' in s.wal) lines.push(`WAL records touching this database (pg_walinspect): n/a (${s.wal.unavailable})`);
  else if (s.wal) {
    lines.push(
      `WAL records touching this database (pg_walinspect): ${per(s.wal.bytes).toFixed(0)} B per delivery without full-page images ` +
        `(+ ${per(s.wal.fpiBytes).toFixed(0)} B of them), ${per(s.wal.records).toFixed(1)} records`,
    );
  }
  const top = Number(process.env['NOTIFY_STATEMENTS'] ?? 0);
  for (const st of s.statements.slice(0, top)) {
    lines.push(
      `    ${per(st.walBytes).toFixed(0).padStart(6)} B ${(per(st.execMs) * 1000).toFixed(0).padStart(4)} µs ${String(st.calls).padStart(6)} calls  ${st.query.replace(/\s+/g, ' ').slice(0, 110)}`,
    );
  }
  return lines;
}

/** CPU per delivery in µs, by process group; Redis apart (BullMQ's scripts run there, on the same cores). */
function cpuLine(cpu: CpuUsed, deliveries: number): string {
  const us = (s: number) => (deliveries ? ((s * 1e6) / deliveries).toFixed(0) : 'n/a');
  return (
    `CPU per delivery ${us(cpu.total)} µs (worker ${us(cpu.worker)}, api ${us(cpu.api)}, Postgres backends ${us(cpu.postgres)}; ` +
    `${cpu.total.toFixed(2)} CPU-s for ${deliveries} deliveries)${cpu.redis === null ? '' : `, and Redis ${us(cpu.redis)} µs more`}`
  );
}

/** The Redis server's process id (INFO server), when it runs on this machine: its CPU is read from /proc. */
async function redisServerPid(): Promise<number | undefined> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return Number.isInteger(pid) && cpuSeconds(pid) > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** A manifest push as the registry sends it (captured shape), for repository bench/<stream>. */
const captured = JSON.parse(capturedEnvelope('push-manifest').toString()) as { events: ({ target: Record<string, unknown> } & Record<string, unknown>)[] };
function pushEnvelope(stream: string, tag: string, d: string): string {
  const e = captured.events[0]!;
  const repository = `bench/${stream}`;
  return JSON.stringify({
    events: [{ ...e, id: randomUUID(), timestamp: new Date().toISOString(), target: { ...e.target, repository, tag, digest: d, url: `http://${REGISTRY}/v2/${repository}/manifests/${d}` } }],
  });
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start; source: ${SOURCE === 'registry' ? 'registry push events' : 'ImageStreamMappings'}; ${
      INLINE_WORKER ? 'worker inside the api process' : `${WORKERS} worker process${WORKERS === 1 ? '' : 'es'}`
    }`,
  );
  // The api and worker run as compiled JavaScript, as deployed (Dockerfile, docker-compose.yml) and
  // as bench:api runs them: under ts-node, Node also loads `repl` and with it `domain`, whose
  // EventEmitter hooks tax every emit and would be measured too.
  buildAppsForThisProcess();
  const dbUrl = await freshDatabase(DATABASE);
  // For the per-delivery WAL and statement time (see StatementsMeter); absent when not preloaded.
  await withClient(dbUrl, (c) => c.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)).catch(() => undefined);
  await withClient(dbUrl, (c) => c.query(`CREATE EXTENSION IF NOT EXISTS pg_walinspect`)).catch(() => undefined);
  const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => receiver()));
  // This run's BullMQ prefixes (ingest and triggers); their keys are deleted at the end.
  const ingestQueuePrefix = `${QUEUE_PREFIX}n-${randomBytes(3).toString('hex')}`;
  const triggerQueuePrefix = `${QUEUE_PREFIX}${randomBytes(3).toString('hex')}`;
  const serverEnv: Record<string, string> = {
      DATABASE_URL: dbUrl,
      LOG_LEVEL: 'warn',
      REGISTRY_NOTIFY_SECRET: SECRET,
      INTERNAL_REGISTRY_HOSTNAME: REGISTRY,
      QUEUE_PREFIX: ingestQueuePrefix,
      TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
      TRIGGER_QUEUE_PREFIX: triggerQueuePrefix,
      TRIGGER_TARGET_RATE_PER_SECOND: process.env['TRIGGER_TARGET_RATE_PER_SECOND'] ?? '0',
      TRIGGER_TARGET_CONCURRENCY: process.env['TRIGGER_TARGET_CONCURRENCY'] ?? '32',
      // Delivery and evaluation concurrency: the defaults unless given.
      ...(process.env['TRIGGER_DELIVERY_CONCURRENCY'] ? { TRIGGER_DELIVERY_CONCURRENCY: process.env['TRIGGER_DELIVERY_CONCURRENCY'] } : {}),
      ...(process.env['TRIGGER_EVALUATION_CONCURRENCY'] ? { TRIGGER_EVALUATION_CONCURRENCY: process.env['TRIGGER_EVALUATION_CONCURRENCY'] } : {}),
  };
  const api = await startApiProcess(serverEnv, INLINE_WORKER ? ['--with-worker'] : [], (process.env['NOTIFY_API_NODE_ARGS'] ?? '').split(' ').filter(Boolean));
  // Server stderr goes to a file so a crash or stall can be diagnosed after the run.
  const apiLog = process.env['NOTIFY_API_LOG'] ?? '/tmp/notify-api.stderr';
  const log = createWriteStream(apiLog);
  api.child.stderr?.pipe(log);
  let apiExit: string | null = null;
  api.child.once('exit', (code, signal) => (apiExit = `api exited (code ${code}, signal ${signal}); see ${apiLog}`));
  const workers = Array.from({ length: WORKERS }, () =>
    spawn(process.execPath, [...(process.env['NOTIFY_WORKER_NODE_ARGS'] ?? '').split(' ').filter(Boolean), ...appMainArgs('worker')], {
      cwd: process.cwd(),
      env: { ...process.env, LOG_LEVEL: 'warn', ...serverEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  for (const worker of workers) {
    worker.stderr?.pipe(log);
    worker.once('exit', (code, signal) => (apiExit = `worker exited (code ${code}, signal ${signal}); see ${apiLog}`));
  }
  const base = `${api.url}/apis/image.openshift.io/v1`;
  const push = (stream: string, d: string) =>
    SOURCE === 'registry'
      ? post(`${api.url}/registry/notifications`, pushEnvelope(stream, 'latest', d), { 'content-type': EVENTS_TYPE, authorization: `Bearer ${SECRET}` })
      : post(`${base}/namespaces/bench/imagestreammappings`, {
          metadata: { name: stream },
          tag: 'latest',
          image: { metadata: { name: d }, dockerImageReference: `${REGISTRY}/bench/${stream}@${d}` },
        });
  /** Waits (bounded) until `done()`; false when the deadline passed first. */
  const drain = async (done: () => boolean, ms = DRAIN_MS) => {
    const deadline = performance.now() + ms;
    while (!done()) {
      if (apiExit) throw new Error(apiExit);
      if (performance.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  };
  /** The signing secret every bench trigger names (deliveries are always signed). */
  const insertSigningSecret = () =>
    withClient(dbUrl, (c) =>
      c.query(
        `INSERT INTO trigger_secrets (namespace, name, uid, resource_version, create_rv, labels, body)
         SELECT 'bench', 'bench-key', u, 1, 1, '{}'::jsonb,
                jsonb_build_object('metadata', jsonb_build_object('name', 'bench-key', 'namespace', 'bench', 'uid', u),
                                   'data', jsonb_build_object('key', $1::text))
           FROM gen_random_uuid() u ON CONFLICT DO NOTHING`,
        [randomBytes(32).toString('base64')],
      ),
    );
  /** Triggers straight into the tables, as many creates would leave them (setup is not measured). */
  const insertTriggers = (prefix: string, stream: string, count: number, offset: number) =>
    withClient(dbUrl, (c) =>
      c.query(
        `WITH t AS (SELECT gen_random_uuid() AS uid, i FROM generate_series(1, $1) i),
              ins AS (INSERT INTO triggers (namespace, name, uid, resource_version, create_rv, labels, body)
                      SELECT 'bench', $4 || i, uid, 1, 1, '{}'::jsonb, jsonb_build_object(
                        'metadata', jsonb_build_object('name', $4 || i, 'namespace', 'bench', 'uid', uid, 'generation', 1),
                        'spec', jsonb_build_object('from', jsonb_build_object('kind', 'ImageStreamTag', 'name', $5 || ':latest'),
                                                   'target', jsonb_build_object('kind', 'Webhook', 'name', 'w'),
                                                   'delivery', jsonb_build_object('url', ($2::text[])[1 + (i + $6) % $3],
                                                                                  'secretRef', jsonb_build_object('name', 'bench-key'))),
                        'status', '{}'::jsonb) FROM t RETURNING uid, name)
         INSERT INTO trigger_subscriptions (owner_uid, kind, namespace, name, from_namespace, stream, tag)
         SELECT uid, 'Trigger', 'bench', name, 'bench', $5, 'latest' FROM ins`,
        [count, receivers.map((r) => r.url), RECEIVERS, prefix, stream, offset],
      ),
    );

  const redisPid = await redisServerPid();
  const meter = () => new CpuMeter({ workers: workers.flatMap((w) => (w.pid ? [w.pid] : [])), api: api.child.pid, redis: redisPid }, dbUrl, DATABASE);
  /** Pushes of `images` at RATE/s, round robin over the tags, measured from the first push to the last delivery; figures also as ratios to `bl`. */
  const pushWindow = async (label: string, images: string[], bl: BarePosts) => {
    const cpu = meter();
    const statements = new StatementsMeter(dbUrl, DATABASE);
    await statements.begin();
    await cpu.begin();
    const sent = new Map<string, number>();
    const lastOfTag = new Map<string, string>();
    const answers: Promise<number>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < images.length; i++) {
      const wait = t0 + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      const d = images[i]!;
      const stream = `s${i % TAGS}`;
      sent.set(d, performance.now());
      lastOfTag.set(stream, d);
      answers.push(push(stream, d).catch(() => 0));
    }
    const codes = await Promise.all(answers);
    const rejected = codes.filter((c) => c < 200 || c >= 300).length;
    // Done when every tag's last image reached all its triggers.
    const finished = await drain(() => [...lastOfTag.values()].every((d) => (received.get(d)?.length ?? 0) >= PER_TAG));
    await sleep(200);
    const used = await cpu.end();
    const statementsUsed = await statements.end();
    const lat: number[] = [];
    let last = 0;
    let pushesDelivered = 0;
    for (const [d, at] of sent) {
      const got = received.get(d) ?? [];
      if (got.length) pushesDelivered++;
      for (const r of got) {
        lat.push(r - at);
        last = Math.max(last, r);
      }
    }
    const rate = lat.length / ((last - t0) / 1000);
    const p50 = pct(lat, 50);
    const p99 = pct(lat, 99);
    const total = images.length;
    console.log(
      `${label}: ${RATE} pushes/s × ${total / RATE}s to ${TAGS} tags × ${PER_TAG} triggers, ${RECEIVERS} receivers: ` +
        `${lat.length} deliveries for ${pushesDelivered}/${total} pushes (${total - pushesDelivered} coalesced by level-driven evaluation; ` +
        `${rejected} pushes rejected)${finished ? '' : ' — NOT all triggers reached their last image within the drain time'}`,
    );
    console.log(
      `  push → delivered p50=${p50.toFixed(1)}ms (${(p50 / bl.p50).toFixed(1)}× bare round trip) ` +
        `p99=${p99.toFixed(1)}ms (${(p99 / bl.p99).toFixed(1)}× bare p99); ` +
        `${rate.toFixed(0)} deliveries/s (${(rate / bl.rps).toFixed(2)} of the bare POST rate)`,
    );
    // Ingestion of every push is in this figure too: also per push, since coalescing varies the deliveries.
    console.log(`  ${cpuLine(used, lat.length)}; ${((used.total * 1e3) / total).toFixed(1)} ms per push`);
    for (const line of statementsLines(statementsUsed, lat.length)) console.log(`  ${line}`);
  };

  try {
    // Images exist before their push (as after a registry upload): ingestion reads no manifest.
    const warmupImages = Array.from({ length: RATE * WARMUP_SECONDS }, (_, i) => digest(3_000_000 + i));
    const steadyImages = Array.from({ length: RATE * SECONDS }, (_, i) => digest(1_000_000 + i));
    const fd = digest(9_999_999);
    const images = [...warmupImages, ...steadyImages, fd];
    for (let i = 0; i < images.length; i += 32) {
      await Promise.all(
        images.slice(i, i + 32).map((d) => post(`${base}/images`, { metadata: { name: d }, dockerImageReference: `${REGISTRY}/bench/app@${d}` })),
      );
    }
    for (let t = 0; t < TAGS; t++) await post(`${base}/namespaces/bench/imagestreams`, { metadata: { name: `s${t}` } });
    await post(`${base}/namespaces/bench/imagestreams`, { metadata: { name: 'fan' } });
    await insertSigningSecret();
    for (let t = 0; t < TAGS; t++) await insertTriggers(`t${t}-`, `s${t}`, PER_TAG, t);
    await insertTriggers('fan-', 'fan', FANOUT, 0);

    // Every stage once (worker up, connections): one push, not measured.
    await post(`${base}/namespaces/bench/imagestreams`, { metadata: { name: 'warm' } });
    await insertTriggers('warm-', 'warm', RECEIVERS * 4, 0);
    const wd = digest(8_888_888);
    await post(`${base}/images`, { metadata: { name: wd }, dockerImageReference: `${REGISTRY}/bench/warm@${wd}` });
    await push('warm', wd);
    if (!(await drain(() => (received.get(wd)?.length ?? 0) >= RECEIVERS * 4, 60_000))) throw new Error('warm-up push was not delivered within 60 s');

    // A real event's body size for the baseline.
    const bodyBytes = 1600;
    const bl = await barePosts(
      receivers.map((r) => r.url),
      bodyBytes,
      BASELINE_CONNECTIONS,
    );
    console.log(
      `baseline: bare receiver round trip from another process, ${BASELINE_CONNECTIONS} connections: ` +
        `${bl.rps.toFixed(0)} POSTs/s p50=${bl.p50.toFixed(2)}ms p99=${bl.p99.toFixed(2)}ms`,
    );

    // Scenario 1, warm-up window: a fresh worker spends its first seconds compiling its hot paths
    // (V8's optimising compiler took a third of its CPU in the first ten seconds, measured with
    // perf), and the delivery tables grow from empty. Then the run's tables are analyzed, as
    // autovacuum would have done by then on a deployed server (on this machine it is off): plans
    // prepared while the tables were nearly empty scan them whole and are made again.
    if (warmupImages.length) {
      await pushWindow('warm-up (not the steady figure)', warmupImages, bl);
      if (ANALYZE_AFTER_WARMUP) await withClient(dbUrl, (c) => c.query('ANALYZE'));
    }

    // Scenario 1: steady pushes.
    await pushWindow('steady', steadyImages, bl);

    // Where the time went, from the rows' own timestamps (the database's clock, and the worker's for a POST's start), for the steady window's images.
    const stages = await withClient(dbUrl, async (c) => {
      const ms = (p: number[] | null | undefined) => (p ?? []).map((x) => (x * 1000).toFixed(0)).join('/');
      const q = async (sql: string) => ms((await c.query<{ p: number[] | null }>(sql, [steadyImages])).rows[0]?.p);
      const ingest = await q(
        `SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - received_at)) AS p
           FROM registry_events WHERE repository LIKE 'bench/s%' AND digest = ANY($1::text[])`,
      );
      const relay = await q(
        `SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM d.created_at - tc.recorded_at)) AS p
           FROM trigger_deliveries d JOIN tag_changes tc ON tc.id = d.tag_change_id WHERE tc.stream LIKE 's%' AND d.image = ANY($1::text[])`,
      );
      // A delivery row's created_at is its evaluation transaction's start (now()), not its commit,
      // so the evaluation's own time is measured up to its first POST's start: the attempt's
      // started_at, which the claim sets and the outcome's write replaces with the moment the
      // worker began the request (its clock; the same host's). That stage holds the commit, the
      // batch job's pick-up, the claim and the wait for one of the batch's send slots. Both
      // stages come from one pass over the deliveries and their first attempts.
      const sent = (
        await c.query<{ evaluation: number[] | null; delivery: number[] | null }>(
          `SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM a.started_at - d.created_at)) AS evaluation,
                  percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM d.delivered_at - a.started_at)) AS delivery
             FROM trigger_deliveries d
             JOIN LATERAL (SELECT min(x.started_at) AS started_at FROM trigger_delivery_attempts x WHERE x.delivery_id = d.id) a ON true
            WHERE d.owner_name LIKE 't%' AND d.image = ANY($1::text[])`,
          [steadyImages],
        )
      ).rows[0];
      const evaluation = ms(sent?.evaluation);
      const delivery = ms(sent?.delivery);
      return { ingest, relay, evaluation, delivery };
    });
    console.log(
      `  stages p50/p99 ms: ${SOURCE === 'registry' ? `event received → tag moved (ingestion) ${stages.ingest}; ` : ''}` +
        `tag moved → evaluation began (relay, evaluation queue) ${stages.relay}; evaluation began → POST began (evaluation, commit, batch job, claim, send slot) ${stages.evaluation}; ` +
        `POST began → delivery recorded (the POST and the outcome's write) ${stages.delivery}`,
    );

    // Scenario 2: one push → FANOUT triggers, once ingestion has caught up (so the figure is the
    // fan-out, not the steady run's backlog).
    if (SOURCE === 'registry') {
      const pending = () => withClient(dbUrl, async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM registry_events WHERE state = 'pending'`)).rows[0]?.n));
      const deadline = performance.now() + 120_000;
      while ((await pending()) > 0 && performance.now() < deadline) await sleep(500);
    }
    const fanCpu = meter();
    const fanStatements = new StatementsMeter(dbUrl, DATABASE);
    await fanStatements.begin();
    await fanCpu.begin();
    const f0 = performance.now();
    await push('fan', fd);
    const all = await drain(() => (received.get(fd)?.length ?? 0) >= FANOUT, Math.max(DRAIN_MS, 120_000));
    await sleep(200);
    const fanUsed = await fanCpu.end();
    const fanStatementsUsed = await fanStatements.end();
    const got = received.get(fd) ?? [];
    const took = got.length ? (Math.max(...got) - f0) / 1000 : NaN;
    const bare = FANOUT / bl.rps;
    console.log(
      `fan-out: one push → ${got.length}/${FANOUT} delivered in ${took.toFixed(2)} s` +
        `${all ? '' : ' (drain time passed)'} (bare POSTs of as many: ${bare.toFixed(2)} s; ratio ${(took / bare).toFixed(1)}×)`,
    );
    console.log(`  ${cpuLine(fanUsed, got.length)}`);
    for (const line of statementsLines(fanStatementsUsed, got.length)) console.log(`  ${line}`);
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await Promise.all(
      workers
        .filter((w) => w.exitCode === null)
        .map((w) => {
          const exited = new Promise((r) => w.once('exit', r));
          w.kill('SIGTERM');
          return exited;
        }),
    );
    await api.stop();
    for (const r of receivers) {
      r.server.closeAllConnections();
      r.server.close();
    }
    await agent.close();
    await deleteQueueKeys([ingestQueuePrefix, triggerQueuePrefix]);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
