/** Wall clock minus the monotonic clock, in ms (with a fraction), re-read when the wall clock is stepped. */
let wallOffsetMs = Date.now() - performance.now();

/**
 * Wall-clock time, in ms since the epoch with a sub-millisecond fraction, of a `performance.now()`
 * reading. The monotonic clock gives the fraction and exact differences (so an attempt's
 * `finishedAt − startedAt` is its `latencyMs`); the offset to the wall clock follows Date, which
 * has only milliseconds, and is taken again when they part by more than 2 ms (a stepped clock; Date truncates to 1).
 */
export function wallClockMs(monotonicMs: number = performance.now()): number {
  const fresh = Date.now() - performance.now();
  if (Math.abs(fresh - wallOffsetMs) > 2) wallOffsetMs = fresh;
  return wallOffsetMs + monotonicMs;
}

/** Epoch ms as RFC 3339 UTC with microseconds (`…T13:18:48.170687Z`): Postgres keeps them, Date drops them. */
export function attemptClockIso(epochMs: number = wallClockMs()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.min(999, Math.round((epochMs - wholeMs) * 1000));
  return new Date(wholeMs).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}
