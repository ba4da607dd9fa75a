/**
 * Which keys (streams, Images) changed while reads were in flight, so that a read can tell
 * whether what it loaded may already be outdated. Only changes that some read in flight could
 * care about are remembered, and only until the oldest such read ends.
 */
export class ChangesDuringReads {
  private epoch = 0;
  /** Reads in flight by the epoch at which they began. */
  private readonly inFlight = new Map<number, number>();
  /** Key → epoch of its newest change (after the increment that change made). */
  private readonly changedAt = new Map<string, number>();

  /** Starts a read; pass the returned mark to `end`. */
  begin(): number {
    this.inFlight.set(this.epoch, (this.inFlight.get(this.epoch) ?? 0) + 1);
    return this.epoch;
  }

  changed(key: string): void {
    this.epoch++;
    if (this.inFlight.size > 0) this.changedAt.set(key, this.epoch);
  }

  /** True when none of `keys` changed since the read begun at `mark` (which stays in flight). */
  unchangedSince(mark: number, keys: string[]): boolean {
    return keys.every((k) => (this.changedAt.get(k) ?? 0) <= mark);
  }

  /** Ends the read begun at `mark` (also when it failed); true when none of `keys` changed since. */
  end(mark: number, keys: string[]): boolean {
    const unchanged = this.unchangedSince(mark, keys);
    const left = (this.inFlight.get(mark) ?? 1) - 1;
    if (left > 0) this.inFlight.set(mark, left);
    else this.inFlight.delete(mark);
    this.forget();
    return unchanged;
  }

  /** Drops changes no read in flight began before (every one of them already sees those). */
  private forget(): void {
    if (this.inFlight.size === 0) return this.changedAt.clear();
    if (this.changedAt.size < 1024) return;
    const oldest = Math.min(...this.inFlight.keys());
    for (const [key, at] of this.changedAt) if (at <= oldest) this.changedAt.delete(key);
  }

  /** Remembered changes (for tests: the bookkeeping stays bounded). */
  get remembered(): number {
    return this.changedAt.size;
  }
}
