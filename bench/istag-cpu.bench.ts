import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unheldLoopbackPort } from '../test/support/free-port';
import { cpuSeconds, startBenchApi, tsNodeApiArgs, waitBenchApiReady } from './support/api-child';
import { freshDatabase, preload, withClient } from './support/bench-db';

/**
 * CPU per cached GET imagestreamtag, for comparing commits on a machine other work loads: the
 * CPU seconds of the api process during a fixed number of GETs (random streams, all served from
 * the read cache after the warm-up), divided by the GETs done. Unlike req/s this hardly depends
 * on how much CPU others leave us.
 *
 *   BENCH_API_ROOTS=/path/to/base,/path/to/change npx ts-node -r tsconfig-paths/register \
 *     --transpile-only bench/istag-cpu.bench.ts
 *
 * One database (loaded once, migrated by the first root's api) serves every run; each run starts
 * a fresh api process of one root, so the roots alternate round by round.
 */
const roots = (process.env['BENCH_API_ROOTS'] ?? '.').split(',').map((r) => resolve(r));
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const amount = Number(process.env['BENCH_REQUESTS'] ?? 100000);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const streams = Number(process.env['BENCH_STREAMS'] ?? 2000);
const images = Number(process.env['BENCH_IMAGES'] ?? 20000);
const dbName = process.env['BENCH_DB'] ?? 'imagestreamd_istagcpu';
/**
 * `BENCH_BUILD=1`: run each root's api as transpiled JavaScript, as the image does (Dockerfile),
 * instead of through ts-node, whose REPL module loads `domain` (async hooks on every promise).
 */
const built = process.env['BENCH_BUILD'] === '1';
/** Also measure `GET /livez` (the framework's floor) in each run. */
const withLivez = process.env['BENCH_LIVEZ'] === '1';
const base = '/apis/image.openshift.io/v1';

/** Node arguments that run a root's api: from a build of it made once (BENCH_BUILD=1), or through ts-node. */
const mainArgs = new Map<string, string[]>();
const builds: string[] = [];
function apiMainArgs(root: string): string[] {
  let args = mainArgs.get(root);
  if (!args) {
    if (built) {
      const out = join(tmpdir(), `isd-istagcpu-build-${process.pid}-${mainArgs.size}`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require(join(root, 'test', 'support', 'app-build')) as { buildApps(out: string): void }).buildApps(out);
      builds.push(out);
      args = ['-r', join(out, 'register-paths.js'), join(out, 'apps', 'api', 'src', 'main.js')];
    } else {
      args = tsNodeApiArgs(root);
    }
    mainArgs.set(root, args);
  }
  return args;
}


async function gets(url: string, opts: { amount?: number; duration?: number; livez?: boolean }): Promise<autocannon.Result> {
  return autocannon({
    url: opts.livez ? `${url}/livez` : url,
    connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.duration ?? 3 }),
    requests: opts.livez
      ? undefined
      : [
          {
            setupRequest: (req) => {
              const i = Math.floor(Math.random() * streams);
              return { ...req, path: `${base}/namespaces/bench-${i % 100}/imagestreamtags/s${i}:latest` };
            },
          },
        ],
  });
}

async function measure(label: string, pid: number, run: () => Promise<autocannon.Result>): Promise<void> {
  const load = loadavg()[0]!;
  const before = cpuSeconds(pid);
  const started = Date.now();
  const r = await run();
  const seconds = (Date.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - before;
  const done = r.requests.total - r.non2xx;
  console.log(
    `${label.padEnd(14)} ${done} GETs (${r.non2xx} non-2xx, ${r.errors + r.timeouts} errors) ${(r.requests.total / seconds).toFixed(0)}/s p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms | ` +
      `api CPU µs/GET ${((1e6 * cpu) / done).toFixed(1)} | load avg ${load.toFixed(2)}`,
  );
}

async function runOnce(root: string, label: string, url: string): Promise<void> {
  const port = await unheldLoopbackPort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const child = startBenchApi(root, url, port, apiMainArgs(root));
  try {
    await waitBenchApiReady(apiUrl, child);
    await gets(apiUrl, { duration: 4 }); // warm-up: JIT, pool, and every stream into the read cache
    await measure(`${label} istag`, child.pid!, () => gets(apiUrl, { amount }));
    if (withLivez) await measure(`${label} livez`, child.pid!, () => gets(apiUrl, { amount, livez: true }));
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const url = await freshDatabase(dbName);
  // The first root's api migrates the fresh database; then it is loaded once for every run.
  const port = await unheldLoopbackPort();
  const first = startBenchApi(roots[0]!, url, port, apiMainArgs(roots[0]!));
  try {
    await waitBenchApiReady(`http://127.0.0.1:${port}`, first);
  } finally {
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGTERM');
    await exited;
  }
  await preload(url, { streams, images });
  await withClient(url, async (c) => {
    await c.query('VACUUM ANALYZE');
    await c.query('CHECKPOINT');
  });
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [i, root] of roots.entries()) await runOnce(root, `r${i}`, url);
    }
  } finally {
    for (const out of builds) rmSync(out, { recursive: true, force: true });
  }
}

console.log(`roots: ${roots.map((r, i) => `r${i}=${r}`).join(' ')}; ${connections} connections, ${amount} GETs per run, ${streams} streams, ${images} images`);
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
