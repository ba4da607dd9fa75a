import type { Queryable } from './database';

/** Advisory lock key that orders resourceVersion assignment with commit. */
export const RV_LOCK_KEY = 7310;

/**
 * Takes the next n resourceVersions. The transaction-scoped advisory lock is held until commit,
 * so versions become visible in the order they were taken: a watcher that has seen version N
 * has seen every committed version below N (invariant 4). Call it as late as possible in a
 * transaction: it serialises only the tail of each write.
 */
export async function allocateResourceVersions(tx: Queryable, n = 1): Promise<bigint[]> {
  const rows = await tx.query<{ rv: string }>(
    `WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(${RV_LOCK_KEY}))
     SELECT nextval('resource_version_seq')::text AS rv FROM l, generate_series(1, $1::int)`,
    [n],
  );
  return rows.map((r) => BigInt(r.rv));
}

export async function allocateResourceVersion(tx: Queryable): Promise<string> {
  const [rv] = await allocateResourceVersions(tx, 1);
  return String(rv);
}
