import autocannon from 'autocannon';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Client, escapeLiteral } from 'pg';
import { unheldLoopbackPort } from '../test/support/free-port';
import { cpuSeconds, startBenchApi, tsNodeApiArgs, waitBenchApiReady } from './support/api-child';
import { ADMIN_URL, benchDatabaseUrl, digestOf, preload, withClient } from './support/bench-db';

/**
 * CPU per POST imagestreammapping, for comparing commits on a machine other work loads: the CPU
 * seconds the api process and its database's Postgres backends consumed during a run, divided by
 * the mappings done. Unlike req/s this hardly depends on how much CPU others leave us.
 *
 *   BENCH_API_ROOTS=/path/to/base,/path/to/change npx ts-node -r tsconfig-paths/register \
 *     --transpile-only bench/mapping-cpu.bench.ts
 *
 * Each round runs every root once, in turn (alternating), each against a fresh database that its
 * own api migrates. Postgres's shared background processes (WAL writer, checkpointer,
 * autovacuum) are not counted: other users of the server share them.
 */
const roots = (process.env['BENCH_API_ROOTS'] ?? '.').split(',').map((r) => resolve(r));
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 15);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const streams = Number(process.env['BENCH_STREAMS'] ?? 2000);
const images = Number(process.env['BENCH_IMAGES'] ?? 20000);
const dbPrefix = process.env['BENCH_DB_PREFIX'] ?? 'imagestreamd_mapcpu';
/** `name=value,...`: Postgres settings for the benchmark's database (ALTER DATABASE … SET), e.g. `commit_delay=100`. */
const dbSettings = (process.env['BENCH_DB_SETTINGS'] ?? '')
  .split(',')
  .filter(Boolean)
  .map((kv) => {
    const [name, value] = kv.split('=');
    if (!name || value === undefined || !/^[a-z_]+$/.test(name)) throw new Error(`BENCH_DB_SETTINGS: not name=value: ${kv}`);
    return [name, value] as const;
  });
const base = '/apis/image.openshift.io/v1';

let nextDigest = 10n ** 15n;

async function backendPids(admin: Client, db: string): Promise<number[]> {
  const res = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
  return res.rows.map((r) => r.pid);
}


async function mappings(url: string, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: durationSeconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          const i = Math.floor(Math.random() * streams);
          const d = digestOf(nextDigest++);
          const body = JSON.stringify({
            metadata: { name: `s${i}`, namespace: `bench-${i % 100}` },
            tag: 'latest',
            image: { metadata: { name: d }, dockerImageReference: `registry.local/bench/app@${d}` },
          });
          return { ...req, path: `${base}/namespaces/bench-${i % 100}/imagestreammappings`, body };
        },
      },
    ],
  });
}

async function runOnce(root: string, label: string, admin: Client): Promise<void> {
  const db = `${dbPrefix}_${label}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  if (dbSettings.length) {
    // Created here so that its sessions (the api's pool) start with the settings.
    await admin.query(`CREATE DATABASE ${db}`);
    for (const [name, value] of dbSettings) await admin.query(`ALTER DATABASE ${db} SET ${name} = ${escapeLiteral(value)}`);
  }
  const url = benchDatabaseUrl(db);
  const port = await unheldLoopbackPort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const child = startBenchApi(root, url, port, tsNodeApiArgs(root), (process.env['BENCH_API_ARGS'] ?? '').split(' ').filter(Boolean));
  try {
    await waitBenchApiReady(apiUrl, child);
    await preload(url, { streams, images });
    await withClient(url, async (c) => {
      await c.query('VACUUM ANALYZE');
      await c.query('CHECKPOINT');
    });
    await mappings(apiUrl, 3); // warm-up: JIT, pool, caches
    const pids = await backendPids(admin, db);
    const apiBefore = cpuSeconds(child.pid!);
    const pgBefore = pids.map(cpuSeconds);
    const load = loadavg()[0]!;
    const commits = async () => Number((await admin.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db])).rows[0]!.n);
    const commitsBefore = await commits();
    const r = await mappings(apiUrl, seconds);
    const apiCpu = cpuSeconds(child.pid!) - apiBefore;
    const pgCpu = pids.map(cpuSeconds).reduce((a, b) => a + b, 0) - pgBefore.reduce((a, b) => a + b, 0);
    const extra = (await backendPids(admin, db)).filter((p) => !pids.includes(p));
    // Statistics reach pg_stat_database when a backend goes idle, at most every second or so.
    await new Promise((r) => setTimeout(r, 1500));
    const commitsDuring = (await commits()) - commitsBefore;
    const done = r.requests.total - r.non2xx;
    const ms = (s: number) => ((1000 * s) / done).toFixed(3);
    console.log(
      `${label.padEnd(8)} ${done} mappings (${r.non2xx} non-2xx, ${r.errors + r.timeouts} errors) ${r.requests.average}/s p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms | ` +
        `CPU ms/mapping: api ${ms(apiCpu)} pg ${ms(pgCpu)} total ${ms(apiCpu + pgCpu)} | ` +
        `other transactions per mapping ${((commitsDuring - done) / done).toFixed(2)} | load avg ${load.toFixed(2)}` +
        (extra.length ? ` (${extra.length} backends started during the run, not counted)` : ''),
    );
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [i, root] of roots.entries()) await runOnce(root, `r${i}`, admin);
    }
  } finally {
    await admin.end();
  }
}

console.log(`roots: ${roots.map((r, i) => `r${i}=${r}`).join(' ')}; ${connections} connections, ${seconds}s, ${streams} streams, ${images} images`);
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
