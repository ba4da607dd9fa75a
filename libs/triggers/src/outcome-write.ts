import { ApiError } from '@app/api-machinery';

/** Pauses between tries of an outcome write: short at first (most storage blips are), doubling up to this. */
const firstPauseMs = 100;
const longestPauseMs = 2000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Storage unreachable (503: connection cut, Postgres restarting) or a lock held too long (504): worth another try. */
function transient(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 503 || e.code === 504);
}

/**
 * How long a sender may keep trying to record the outcome of a POST it made: while its claim's
 * lease holds, less the attempt bound as a margin (the sweeper may claim a row a second before its
 * lease ends, and clocks differ), so a late write never lands after another sender took the row.
 */
export function outcomeWriteDeadline(claimedAtMs: number, jobLockMs: number, deliveryTimeoutMs: number): number {
  return claimedAtMs + jobLockMs - deliveryTimeoutMs;
}

/**
 * Runs a write of an attempt's outcome, trying again on a transient storage failure until
 * `deadlineMs` (ms since the epoch). The POST has happened: given up on, the write would leave
 * the delivery leased and pending, and the sweeper would send it again once the lease ended, so
 * a few seconds of Postgres outage would reach the receiver as a second request. A write whose
 * commit was lost in the outage runs again and records the same outcome (at most one more
 * MODIFIED change of the Delivery). A loop of its own, not a retry library: what bounds it is
 * the lease's deadline and only storage refusals are retried, which is all this is.
 */
export async function writeOutcome<T>(write: () => Promise<T>, deadlineMs: number): Promise<T> {
  for (let pause = firstPauseMs; ; pause = Math.min(2 * pause, longestPauseMs)) {
    try {
      return await write();
    } catch (e) {
      if (!transient(e) || Date.now() + pause >= deadlineMs) throw e;
      await sleep(pause);
    }
  }
}
