/**
 * Wall-clock time of this process with microseconds, as RFC 3339 UTC (`…T13:18:48.170687Z`). An
 * attempt's start and end are taken here, around its HTTP exchange, so `finishedAt − startedAt`
 * is the `latencyMs` the attempt records (Date has only milliseconds; Postgres keeps microseconds).
 */
export function attemptClockIso(epochMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.min(999, Math.round((epochMs - wholeMs) * 1000));
  return new Date(wholeMs).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}
