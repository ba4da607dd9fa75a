/**
 * `npm run bench:notify-floor`: how close this machine can come to issue 5's steady target at all.
 * It runs `bench:notify`'s steady load (NOTIFY_RATE pushes/s, default 100, to NOTIFY_TAGS tags,
 * default 20, with NOTIFY_TRIGGERS_PER_TAG triggers each, default 100, for NOTIFY_SECONDS, default
 * 10, after NOTIFY_WARMUP_SECONDS, default 3) through the least pipeline that records and signs
 * every delivery (bench/support/floor-pipeline.ts: four statements per push, no queue), against
 * the same kind of local receivers, and prints push → received p50/p99, deliveries/s and CPU per
 * delivery, beside the bare POSTs measured in the same run. Its database (NOTIFY_FLOOR_DATABASE)
 * holds only the floor's own tables. NOTIFY_FLOOR_RECORD=0 signs and POSTs without recording
 * anything: the share of the machine the deliveries' HTTP alone takes.
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { cpuSeconds } from './support/api-child';
import { barePosts } from './support/bare-posts';
import { ADMIN_URL, benchDatabaseUrl, withClient } from './support/bench-db';
import { type FloorPlan, type FloorResult, serveFloorPipeline } from './support/floor-pipeline';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const RATE = env('NOTIFY_RATE', 100);
const SECONDS = env('NOTIFY_SECONDS', 10);
const WARMUP_SECONDS = env('NOTIFY_WARMUP_SECONDS', 3);
const TAGS = env('NOTIFY_TAGS', 20);
const PER_TAG = env('NOTIFY_TRIGGERS_PER_TAG', 100);
const RECEIVERS = env('NOTIFY_RECEIVERS', 8);
const DATABASE = process.env['NOTIFY_FLOOR_DATABASE'] ?? 'imagestreamd_bench_floor';
const EVENT_BYTES = 1600;
// NOTIFY_FLOOR_RECORD=0: sign and POST only, nothing written to Postgres per push.
const RECORD = env('NOTIFY_FLOOR_RECORD', 1) !== 0;

/** Push → received latencies (ms) of the window being measured; receipts outside one are dropped. */
let window: number[] | undefined;

function receiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      if (req.url !== '/baseline' && window) {
        const event = JSON.parse(Buffer.concat(chunks).toString()) as { data: { new: { pushedAt: number } } };
        window.push(at - event.data.new.pushedAt);
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` })));
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function emptyDatabase(name: string): Promise<string> {
  await withClient(ADMIN_URL, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  return benchDatabaseUrl(name);
}

/** CPU seconds of the Postgres backends serving `database` (the floor keeps its pool's connections open). */
async function backendCpu(client: Client, database: string): Promise<number> {
  const rows = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  return rows.rows.reduce((sum, r) => sum + cpuSeconds(r.pid), 0);
}

async function main(): Promise<void> {
  const dbUrl = await emptyDatabase(DATABASE);
  const receivers = await Promise.all(Array.from({ length: RECEIVERS }, () => receiver()));
  const urls = receivers.map((r) => r.url);
  const bare = await barePosts(urls, EVENT_BYTES, 64);
  console.log(`bare POSTs from another process, 64 connections: ${bare.rps.toFixed(0)}/s p50=${bare.p50.toFixed(2)}ms p99=${bare.p99.toFixed(2)}ms`);

  const pipeline = fork(__filename, ['pipeline'], { stdio: 'inherit', execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] });
  const ask = <T>(message: object, answer: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { op: string; result?: T }) => {
        if (m.op !== answer) return;
        pipeline.off('message', onMessage);
        resolve(m.result as T);
      };
      pipeline.on('message', onMessage);
      pipeline.once('exit', (code) => reject(new Error(`floor pipeline exited with ${code}`)));
      pipeline.send(message);
    });
  const plan = (seconds: number): FloorPlan => ({ databaseUrl: dbUrl, receivers: urls, tags: TAGS, triggersPerTag: PER_TAG, rate: RATE, seconds, record: RECORD });
  await ask({ op: 'seed', plan: plan(WARMUP_SECONDS) }, 'seeded');
  // The warm-up runs the same load first: JIT, connections, a trigger table already rewritten once.
  window = [];
  await ask<FloorResult>({ op: 'run', plan: plan(WARMUP_SECONDS) }, 'ran');

  const admin = new Client({ connectionString: dbUrl });
  await admin.connect();
  window = [];
  const before = { postgres: await backendCpu(admin, DATABASE), receivers: cpuSeconds(process.pid) };
  const startedAt = performance.now();
  const load = loadavg()[0]!.toFixed(1);
  const result = await ask<FloorResult>({ op: 'run', plan: plan(SECONDS) }, 'ran');
  const elapsed = (performance.now() - startedAt) / 1000;
  // Clock ticks: a backend that did nothing may read one tick less at the end than at the start.
  const postgres = Math.max(0, (await backendCpu(admin, DATABASE)) - before.postgres);
  const receiversCpu = cpuSeconds(process.pid) - before.receivers;
  const latencies = window;
  window = undefined;
  await admin.end();
  pipeline.send({ op: 'exit' });

  const perSecond = result.deliveries / elapsed;
  const us = (s: number) => ((s * 1e6) / result.deliveries).toFixed(0);
  console.log(
    `floor pipeline${RECORD ? '' : ' without Postgres'}, ${RATE} pushes/s × ${PER_TAG} triggers for ${SECONDS} s (load average ${load} at start): ` +
      `push → received p50=${pct(latencies, 50).toFixed(1)}ms p99=${pct(latencies, 99).toFixed(1)}ms (targets 50 / 250 ms); ` +
      `${perSecond.toFixed(0)} deliveries/s (${(perSecond / bare.rps).toFixed(2)} of the bare POSTs), ${result.failedPosts} POSTs failed`,
  );
  console.log(
    `CPU per delivery ${us(result.cpuSeconds + postgres + receiversCpu)} µs: pipeline ${us(result.cpuSeconds)}, Postgres backends ${us(postgres)}, ` +
      `receivers ${us(receiversCpu)} (Postgres's WAL writer and checkpointer not counted)`,
  );
  const offered = RATE * PER_TAG;
  const coresNeeded = ((result.cpuSeconds + postgres + receiversCpu) / result.deliveries) * offered;
  console.log(`at the offered ${offered} deliveries/s that is ${coresNeeded.toFixed(2)} cores of this machine's ${cpus().length}`);
  for (const r of receivers) r.server.close();
  await withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
}

if (process.argv[2] === 'pipeline') serveFloorPipeline();
else
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
