import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { startApiProcess } from '../test/support/api-process';
const body = (id: string) => JSON.stringify({ events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 402, digest: 'sha256:' + 'a'.repeat(64), length: 402, repository: 'p/app', tag: 'v1', url: 'http://x/v2' }, request: {}, actor: {}, source: { addr: 'vm:5500', instanceID: 'i' } }] }, null, 3);
async function main() {
  const api = await startApiProcess({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/imagestreamd_bench_ingest', REGISTRY_NOTIFY_SECRET: 'bench-ingest-secret', QUEUE_PREFIX: 'scratch', LOG_LEVEL: 'warn', ...JSON.parse(process.env.XENV ?? '{}') });
  for (const c of [1, 1, 64]) {
    const r = await autocannon({ url: `${api.url}/registry/notifications`, connections: c, duration: 4, method: 'POST', headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: 'Bearer bench-ingest-secret' }, requests: [{ setupRequest: (req) => ({ ...req, body: body(randomUUID()) }) }] });
    console.log(c, r.requests.average, r.latency.p50, r.latency.p99, r.non2xx);
  }
  await api.stop();
}
void main();
