import { spawn } from 'node:child_process';

export interface BarePosts {
  rps: number;
  p50: number;
  p99: number;
}

/**
 * The bare receiver round trip, from its own process (as the worker is): undici POSTs of a body
 * the size of a real event to `<receiver>/baseline`, `connections` at a time, for 3 s. The
 * baseline the notification benchmarks give their figures against.
 */
export async function barePosts(hookUrls: string[], bodyBytes: number, connections: number): Promise<BarePosts> {
  const script = `
    const { Agent, request } = require('undici');
    const urls = ${JSON.stringify(hookUrls.map((u) => u.replace(/\/hook$/, '/baseline')))};
    const body = 'x'.repeat(${bodyBytes});
    const agent = new Agent({ connections: ${Math.max(1, Math.ceil(connections / hookUrls.length))} });
    const lat = []; let n = 0; const end = performance.now() + 3000;
    const worker = async (i) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await request(urls[(i + n++) % urls.length], { method: 'POST', dispatcher: agent, body, headers: { 'content-type': 'application/cloudevents+json' } });
        await res.body.dump();
        lat.push(performance.now() - t0);
      }
    };
    Promise.all(Array.from({ length: ${connections} }, (_, i) => worker(i))).then(() => {
      lat.sort((a, b) => a - b);
      console.log(JSON.stringify({ rps: lat.length / 3, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] }));
      process.exit(0);
    });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(out) as BarePosts;
}
