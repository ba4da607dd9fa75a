import autocannon from 'autocannon';
import { spawn } from 'node:child_process';

export interface LoadResult {
  rps: number;
  /** Requests answered in all. */
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests instead (durationSeconds is then ignored). */
  amount?: number;
  method?: 'GET' | 'POST';
  /** Builds each request: path and optional JSON body. */
  next?: () => { path: string; body?: string };
}

/** Drives load with autocannon and reports requests/s and latency percentiles (ms). */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationSeconds }),
    method: opts.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    requests: opts.next
      ? [
          {
            setupRequest: (req) => {
              const n = opts.next!();
              return { ...req, path: n.path, ...(n.body !== undefined ? { body: n.body } : {}) };
            },
          },
        ]
      : undefined,
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * The baseline: a bare Node http server answering a fixed JSON body, in its own process like
 * the api under test, so both compete with the load generator on equal terms.
 */
export async function startBaselineServer(): Promise<{ url: string; close(): Promise<void> }> {
  const script = `
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('baseline server exited')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function formatResult(name: string, r: LoadResult, baseline?: LoadResult): string {
  const ratio = baseline ? ` ratio=${(r.rps / baseline.rps).toFixed(2)}` : '';
  return `${name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s  p50=${r.p50}ms p99=${r.p99}ms errors=${r.errors} non2xx=${r.non2xx}${ratio}`;
}
