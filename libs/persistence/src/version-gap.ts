import type { Database } from './database';

/**
 * The widest gap closed with NONE rows. A wider one is not a transaction's few versions but the
 * sequence moved by hand (setval): the feed passes it without writing millions of rows.
 */
export const MAX_CLOSED_GAP = 10_000;

/** How long closing a gap waits for a transaction that wrote one of its versions and is still open. */
const CLOSE_LOCK_TIMEOUT_MS = 1000;

/**
 * Writes a NONE row for every version from `from` to `to` that has no change-log row: versions the
 * change feed gave up waiting for. From then on a transaction that still holds one of them cannot
 * commit it (its change-log insert meets the NONE row's key: Database.transaction retries it with
 * new versions), so no committed change is ever behind a feed's position, unseen by watchers.
 *
 * A version whose row an open transaction has written already makes the insert wait for that
 * transaction (a unique index does): committed, the row stays; rolled back, the NONE row goes in.
 * The wait is bounded; past it this throws and the feed tries again later.
 */
export async function closeVersionGap(db: Database, from: bigint, to: bigint): Promise<void> {
  if (to < from) return;
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${CLOSE_LOCK_TIMEOUT_MS}ms'`);
    await tx.query(
      `INSERT INTO resource_changes (rv, resource, namespace, name, type)
       SELECT v, '', '', '', 'NONE' FROM generate_series($1::bigint, $2::bigint) AS v ON CONFLICT (rv) DO NOTHING`,
      [String(from), String(to)],
    );
  });
}

/**
 * Whether a write failed because a version it took had been closed by a change feed
 * (closeVersionGap) while it was in flight: the whole write is safe to run again with new versions.
 */
export function isClosedVersionConflict(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = err.driverError?.code ?? err.code;
  const constraint = err.driverError?.constraint ?? err.constraint;
  return code === '23505' && constraint === 'resource_changes_pkey';
}
