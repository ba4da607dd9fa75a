import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
const body = (id: string) => JSON.stringify({ events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 402, digest: 'sha256:' + 'a'.repeat(64), length: 402, repository: 'p/app', tag: 'v1', url: 'http://x/v2' }, request: {}, actor: {}, source: { addr: 'vm:5500', instanceID: 'i' } }] }, null, 3);
async function main() {
  const r = await autocannon({ url: 'http://127.0.0.1:18555/registry/notifications', connections: 64, duration: 6, method: 'POST', headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: 'Bearer bench-ingest-secret' }, requests: [{ setupRequest: (req) => ({ ...req, body: body(randomUUID()) }) }] });
  console.log(r.requests.average, r.latency.p50, r.latency.p99, r.non2xx);
}
void main();
