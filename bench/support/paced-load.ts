import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { LoadResult } from './load';

export interface PacedLoadOptions {
  url: string;
  connections: number;
  /** Requests per second, spread evenly: one every 1/rate seconds. */
  ratePerSecond: number;
  durationSeconds: number;
  method: 'GET' | 'POST';
  next: () => { path: string; body?: string };
}

/**
 * An open-loop load: requests are due at a steady rate whether or not earlier answers came back,
 * and each latency is measured from when its request was due, so time spent waiting for a free
 * connection counts (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it lets every connection send its per-second quota as fast
 * as answers come back at the start of each second, all connections in step, then idle until the
 * next second; "1,500/s" becomes a closed-loop burst, not arrivals spread over the second, which
 * is how a latency target at a rate is stated. undici's Pool does the HTTP (keep-alive connections,
 * one request at a time on each; a request due while all are busy waits in the pool's queue).
 */
export async function runPacedLoad(opts: PacedLoadOptions): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const interval = 1000 / opts.ratePerSecond;
  const count = Math.round(opts.ratePerSecond * opts.durationSeconds);
  const answers: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const early = due - performance.now();
    // Timers fire at millisecond granularity: requests that fell due meanwhile go out together.
    if (early >= 1) await sleep(early);
    const { path, body } = opts.next();
    answers.push(
      pool
        .request({ path, method: opts.method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body } : {}) })
        .then(async (res) => {
          await res.body.dump();
          latencies.push(performance.now() - due);
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(answers);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
  return { rps: latencies.length / elapsed, total: latencies.length, p50: at(0.5), p99: at(0.99), errors, non2xx };
}
