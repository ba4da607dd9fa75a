import { Client } from 'pg';
import { prepareDatabase } from '@app/persistence';

export const ADMIN_URL = process.env['BENCH_DATABASE_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function benchDatabaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, migrated database for one benchmark run. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  const url = benchDatabaseUrl(name);
  const ds = await prepareDatabase(url, 1);
  await ds.destroy();
  return url;
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export const digestOf = (n: number | bigint) => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * Bulk-loads streams, images and tag history straight into the tables (as many real writes
 * would leave them), so that the benchmark measures reads and moves on a big database.
 */
export async function preload(url: string, opts: { streams: number; images: number }): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO image_streams (namespace, name, uid, resource_version, create_rv, labels, body)
       SELECT 'bench-' || (i % $2), 's' || i, gen_random_uuid(), nextval('resource_version_seq'), currval('resource_version_seq'), '{}'::jsonb,
              jsonb_build_object('metadata', jsonb_build_object('name', 's' || i, 'namespace', 'bench-' || (i % $2),
                'uid', gen_random_uuid(), 'generation', 1, 'creationTimestamp', '2026-01-01T00:00:00Z'),
                'spec', jsonb_build_object('lookupPolicy', jsonb_build_object('local', false)))
         FROM generate_series(0, $1 - 1) AS i`,
      [opts.streams, 100],
    );
    // body.metadata.uid must equal the row uid.
    await c.query(`UPDATE image_streams SET body = jsonb_set(body, '{metadata,uid}', to_jsonb(uid::text))`);
    await appendImages(c, 0, opts.images, opts.streams);
  });
}

/** Adds images [from, to) and, for each, a history entry on stream (i % streams), tag latest. */
export async function appendImages(c: Client, from: number, to: number, streams: number): Promise<void> {
  const chunk = 100000;
  for (let start = from; start < to; start += chunk) {
    const end = Math.min(to, start + chunk);
    await c.query(
      `INSERT INTO images (name, uid, resource_version, create_rv, labels, body)
       SELECT d, gen_random_uuid(), nextval('resource_version_seq'), currval('resource_version_seq'), '{}'::jsonb,
              jsonb_build_object('metadata', jsonb_build_object('name', d, 'creationTimestamp', '2026-01-01T00:00:00Z'),
                'dockerImageReference', 'registry.local/bench/app@' || d,
                'dockerImageMetadata', jsonb_build_object('kind', 'DockerImage', 'apiVersion', 'image.openshift.io/1.0', 'ContainerConfig', '{}'::jsonb, 'Size', 1000),
                'dockerImageMetadataVersion', '1.0')
         FROM (SELECT i, 'sha256:' || lpad(to_hex(i), 64, '0') AS d FROM generate_series($1::bigint, $2::bigint - 1) AS i) g`,
      [start, end],
    );
    await c.query(
      `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
       SELECT s.uid, 'latest', now(), 'registry.local/bench/app@' || g.d, g.d, 1
         FROM (SELECT i, 'sha256:' || lpad(to_hex(i), 64, '0') AS d FROM generate_series($1::bigint, $2::bigint - 1) AS i) g
         JOIN image_streams s ON s.name = 's' || (g.i % $3) AND s.namespace = 'bench-' || ((g.i % $3) % 100)`,
      [start, end, streams],
    );
  }
  await c.query('ANALYZE');
}
