import type { Database, Queryable } from './database';

/**
 * How long a missing resourceVersion may stay uncommitted, while some transaction that could hold
 * it is still open, before the change feed takes it as abandoned and closes it (closeVersionGap).
 */
export const GAP_GRACE_MS = 5000;

/**
 * How long a consistent read (a list without a resourceVersion) waits for the change feed to
 * settle every version up to the newest committed one: past the grace period, so only a writer
 * that has written its change row and still not committed (the feed waits for it) can outlast it.
 */
export const CONSISTENT_READ_WAIT_MS = GAP_GRACE_MS + 1000;

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

/**
 * Whether a transaction that began `secondsAgo` or earlier is still open in this database. A
 * version below one committed `secondsAgo` was taken before that commit, by a transaction that
 * began before it: with no such transaction open, nobody can commit the version any more (its
 * holder rolled back or lost its connection), and the change feed need not wait out the grace
 * period for it. Conservative: a session of another role, whose transaction Postgres hides
 * (state NULL), counts as one that may hold it.
 */
export async function olderTransactionOpen(db: Queryable, secondsAgo: number): Promise<boolean> {
  const [row] = await db.query<{ open: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND (backend_type = 'client backend' OR backend_type IS NULL)
         AND (xact_start <= clock_timestamp() - make_interval(secs => $1::float8) OR (state IS NULL AND xact_start IS NULL))) AS open`,
    [secondsAgo],
    'isd-older-transaction-open',
  );
  return row?.open !== false;
}

/** The widest range versionsComplete counts (an index range of that many keys is a few milliseconds). */
const MAX_COUNTED_RANGE = 20_000;

/**
 * Whether every version in (`from`, `to`] has a change-log row (a change, or NONE for a released
 * one) visible to `tx`: then no version up to `to` can still commit, and `tx`'s snapshot holds
 * every change up to `to`. Only a range this feed could plausibly be behind by is counted.
 */
export async function versionsComplete(tx: Queryable, from: string, to: string): Promise<boolean> {
  const width = BigInt(to) - BigInt(from);
  if (width <= 0n) return true;
  if (width > BigInt(MAX_COUNTED_RANGE)) return false;
  const [row] = await tx.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM resource_changes WHERE rv > $1::bigint AND rv <= $2::bigint`,
    [from, to],
    'isd-versions-complete',
  );
  return BigInt(row?.n ?? '0') === width;
}
