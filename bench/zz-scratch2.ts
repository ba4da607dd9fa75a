import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
const url = 'postgres://postgres@127.0.0.1:5432/imagestreamd_bench_ingest';
const ev = { id: 'x', timestamp: new Date().toISOString(), action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 402, digest: 'sha256:' + 'a'.repeat(64), length: 402, repository: 'p/app', tag: 'v1', url: 'http://x/v2' }, request: {}, actor: {}, source: { addr: 'vm:5500', instanceID: 'i' } };
async function run(name: string, q: (pool: Pool) => Promise<unknown>) {
  const pool = new Pool({ connectionString: url, max: 1 });
  await q(pool);
  const n = 2000; const t0 = performance.now();
  for (let i = 0; i < n; i++) await q(pool);
  console.log(name, ((performance.now() - t0) / n).toFixed(3), 'ms');
  await pool.end();
}
async function main() {
  await run('recordset', (p) => p.query(`INSERT INTO registry_events (id, kind, repository, tag, digest, media_type, event_time, event_ns, source_instance, event)
       SELECT r.id, r.kind, r.repository, r.tag, r.digest, r.media_type, r.ts::timestamptz, r.ns::bigint, r.src, r.event
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, repository text, tag text, digest text,
                                                media_type text, ts text, ns text, src text, event jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id`, [JSON.stringify([{ id: randomUUID(), kind: 'manifest-push', repository: 'p/app', tag: 'v1', digest: ev.target.digest, media_type: ev.target.mediaType, ts: ev.timestamp, ns: '1795598251738194307', src: 'i', event: ev }])]));
  await run('plain', (p) => p.query(`INSERT INTO registry_events (id, kind, repository, tag, digest, media_type, event_time, event_ns, source_instance, event)
           VALUES ($1, 'manifest-push', $2, $3, $4, $5, $6::timestamptz, $7::bigint, $8, $9::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`, [randomUUID(), 'p/app', 'v1', ev.target.digest, ev.target.mediaType, ev.timestamp, '1795598251738194307', 'i', JSON.stringify(ev)]));
  await run('plain-named', (p) => p.query({ name: 'ins', text: `INSERT INTO registry_events (id, kind, repository, tag, digest, media_type, event_time, event_ns, source_instance, event)
           VALUES ($1, 'manifest-push', $2, $3, $4, $5, $6::timestamptz, $7::bigint, $8, $9::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`, values: [randomUUID(), 'p/app', 'v1', ev.target.digest, ev.target.mediaType, ev.timestamp, '1795598251738194307', 'i', JSON.stringify(ev)] }));
  await run('recordset-named', (p) => p.query({ name: 'ins2', text: `INSERT INTO registry_events (id, kind, repository, tag, digest, media_type, event_time, event_ns, source_instance, event)
       SELECT r.id, r.kind, r.repository, r.tag, r.digest, r.media_type, r.ts::timestamptz, r.ns::bigint, r.src, r.event
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, repository text, tag text, digest text,
                                                media_type text, ts text, ns text, src text, event jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id`, values: [JSON.stringify([{ id: randomUUID(), kind: 'manifest-push', repository: 'p/app', tag: 'v1', digest: ev.target.digest, media_type: ev.target.mediaType, ts: ev.timestamp, ns: '1795598251738194307', src: 'i', event: ev }])] }));
  await run('select1', (p) => p.query('SELECT 1'));
}
void main();
