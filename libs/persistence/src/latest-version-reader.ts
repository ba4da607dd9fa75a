/**
 * Reads the newest committed resourceVersion for many concurrent callers with few queries,
 * without giving any caller a version older than its own call: each caller gets the answer of
 * a query that started after it called. At most one query runs and one waits; every caller
 * arriving while one runs shares the next. Under load that is one query per round trip
 * instead of one per caller.
 *
 * This is what makes a read served from memory linearizable (as kube-apiserver's consistent
 * reads from its watch cache: fetch the current revision, wait for the cache to reach it):
 * the version covers every write that finished before the read began.
 */
export class LatestVersionReader {
  private running: Promise<string> | undefined;
  private queued: Promise<string> | undefined;

  constructor(private readonly fetchLatest: () => Promise<string>) {}

  read(): Promise<string> {
    if (!this.running) return this.start();
    // The running query may have started before this call: wait for the next one.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<string> {
    const query = this.fetchLatest();
    this.running = query;
    const clear = () => {
      if (this.running === query) this.running = undefined;
    };
    query.then(clear, clear);
    return query;
  }
}
