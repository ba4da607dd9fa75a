import type { Queryable } from './database';

/** A transaction that remembers the versions it took, so a rollback can release them. */
export interface VersionTracking {
  noteAllocated(rvs: bigint[]): void;
  /** A dry run: it rolls back whatever happens, so it takes no version from the sequence. */
  readonly rollsBack?: boolean;
  /** A dry run's stand-in versions taken so far (the next ones continue after them). */
  standIns?: number;
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
  if (tracks(tx) && tx.rollsBack) {
    const taken = tx.standIns ?? 0;
    tx.standIns = taken + n;
    return standInVersions(tx, taken, n);
  }
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

/**
 * The versions a dry run writes with. A dry run must change nothing observable, and a value taken
 * from the sequence would be (the next list or bookmark would show the sequence moved, as it does
 * not on kube-apiserver, whose dry runs never reach etcd). They are negative, so they never meet
 * a real version, and distinct per transaction (its transaction id; `taken` counts those it took
 * before, e.g. a deletecollection's earlier objects), so concurrent dry runs do not meet on the
 * change log's key either; nothing of them commits.
 */
async function standInVersions(tx: Queryable, taken: number, n: number): Promise<bigint[]> {
  const rows = await tx.query<{ rv: string }>(
    `SELECT (-(txid_current() * 1048576 + $1::bigint + g))::text AS rv FROM generate_series(1, $2::int) AS g`,
    [taken, n],
    'isd-dry-run-rvs',
  );
  return rows.map((r) => BigInt(r.rv));
}
