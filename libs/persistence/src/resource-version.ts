import type { Queryable } from './database';

/** A transaction that remembers the versions it took, so a rollback can release them. */
export interface VersionTracking {
  noteAllocated(rvs: bigint[]): void;
}

function tracks(q: Queryable): q is Queryable & VersionTracking {
  return typeof (q as Partial<VersionTracking>).noteAllocated === 'function';
}

/**
 * Takes the next n resourceVersions from the one global sequence (invariant 4). Versions may
 * commit out of order; the change feed (libs/http change-feed.ts) delivers them in order and
 * waits for a missing one until it commits or is released (a rolled-back transaction writes a
 * NONE row for each version it took, see Database.transaction).
 */
export async function allocateResourceVersions(tx: Queryable, n = 1): Promise<bigint[]> {
  const rows = await tx.query<{ rv: string }>(
    `SELECT nextval('resource_version_seq')::text AS rv FROM generate_series(1, $1::int)`,
    [n],
    'isd-allocate-rvs',
  );
  const rvs = rows.map((r) => BigInt(r.rv));
  if (tracks(tx)) tx.noteAllocated(rvs);
  return rvs;
}

export async function allocateResourceVersion(tx: Queryable): Promise<string> {
  const [rv] = await allocateResourceVersions(tx, 1);
  return String(rv);
}
