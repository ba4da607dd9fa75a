/**
 * Wakes the change feeds of every api replica (Postgres NOTIFY) after this process committed
 * changes. Sent on its own, after the commit, instead of inside each writing transaction: a
 * transaction that NOTIFYs holds Postgres's global notify lock from pre-commit until its commit
 * has been flushed, so every writing transaction would serialize on one lock across its WAL
 * flush. Here at most one NOTIFY is in flight per process; commits that land meanwhile are
 * covered by one more NOTIFY when it returns (the feeds read everything new on each wake-up, and
 * poll anyway, so a lost NOTIFY only delays them).
 */
export class ChangeNotifier {
  private inFlight = false;
  private pending = false;

  constructor(private readonly send: () => Promise<unknown>) {}

  /** A change committed: make sure a NOTIFY goes out after it. */
  kick(): void {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    this.pending = false;
    void this.send()
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = false;
        if (this.pending) this.kick();
      });
  }
}
