/**
 * Records outcomes as they come in, in few statements: one write at a time, each taking every
 * outcome that arrived while the previous one ran (a group commit, as the one-trip mapping
 * writes use), so a fast answer is recorded within one write's time whatever else is in flight.
 * A failed write stops further writes and `drain` rejects with it, so the job fails and is re-run
 * (a re-run claims only the deliveries whose outcome was not written).
 */
export class OutcomeRecorder<T> {
  private pending: T[] = [];
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): void {
    this.pending.push(item);
    if (!this.writing) this.writing = this.writeAll();
  }

  /** Resolves once everything added so far is written; rejects with a write's failure. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure !== null) throw this.failure;
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length && this.failure === null) {
        const items = this.pending;
        this.pending = [];
        try {
          await this.write(items);
        } catch (e) {
          this.failure = e instanceof Error ? e : new Error(String(e));
        }
      }
    } finally {
      this.writing = null;
    }
  }
}
