/**
 * Graceful shutdown on SIGTERM/SIGINT: run the closers (end watches, drain in-flight requests,
 * stop consumers), then exit 0; a stuck closer is cut off after the grace period (exit 1).
 * `closers` is read when the signal arrives: parts started later may still be added to it.
 */
export function exitOnSignals(closers: (() => Promise<unknown>)[], graceSeconds: number): void {
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(1), graceSeconds * 1000);
    timer.unref();
    void Promise.allSettled(closers.map((close) => close())).then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
