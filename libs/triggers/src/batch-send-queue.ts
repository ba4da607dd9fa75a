/** A slot of a target while a POST to it runs (TargetLimiter's). */
export interface TargetSlot {
  release: () => void;
}

/** What BatchSendQueue needs of a target limiter. */
export interface SlotSource {
  tryAcquire(target: string): TargetSlot | { retryInMs: number };
  /** The ms left of a pause the target's receiver asked for (Retry-After), 0 when none. */
  pausedMs(target: string): number;
}

/**
 * The rows of one delivery batch in send order, handed out only with a slot of their target.
 * A row whose target is busy is skipped, not waited for, so rows of other targets behind it go
 * ahead (a slow receiver's rows never hold back a healthy one's). A target busy for `giveUpMs`
 * since it was first found so, stopped (its POST failed), or paused (its receiver asked for a
 * wait) gives up its remaining rows to `onGiveUp`, with the pause left as their delay: they are
 * sent by single jobs that wait for the target without a worker slot. Rows are handed out only
 * for `handOutForMs` from the queue's start: the batch's claim leases them for a limited time, and
 * a row sent after its lease ran out could be sent a second time by the single job the sweeper
 * gives it meanwhile (a target that frees a slot or a rate token every second is never "busy for
 * giveUpMs", so without this bound its rows would wait in the batch for as long as it takes).
 */
export class BatchSendQueue<R extends { target_key: string }> {
  private rows: R[];
  private readonly busySince = new Map<string, number>();
  private readonly stopped = new Set<string>();
  private readonly startedAt: number;

  constructor(
    rows: readonly R[],
    private readonly slots: SlotSource,
    private readonly giveUpMs: number,
    private readonly onGiveUp: (row: R, delayMs: number) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly handOutForMs = Infinity,
  ) {
    this.rows = [...rows];
    this.startedAt = now();
  }

  /** The next row that can be sent now with its slot; 'wait' while rows wait for busy targets; 'done'. */
  next(): { row: R; slot: TargetSlot } | 'wait' | 'done' {
    if (this.handOutOver()) {
      for (const row of this.rows) this.stop(row.target_key);
      return 'done';
    }
    const busyNow = new Set<string>();
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i]!;
      const target = row.target_key;
      if (busyNow.has(target)) continue;
      // Paused: nothing goes to it before the pause ends, so its rows need not wait here.
      if (this.slots.pausedMs(target) > 0) {
        this.stop(target);
        i = -1;
        busyNow.clear();
        continue;
      }
      const slot = this.slots.tryAcquire(target);
      if (!('retryInMs' in slot)) {
        this.rows.splice(i, 1);
        this.busySince.delete(target);
        return { row, slot };
      }
      busyNow.add(target);
      const since = this.busySince.get(target) ?? this.now();
      this.busySince.set(target, since);
      if (this.now() - since >= this.giveUpMs) {
        this.stop(target);
        i = -1; // the list changed: scan again from the start
        busyNow.clear();
      }
    }
    return this.rows.length ? 'wait' : 'done';
  }

  /** The rows not handed out yet. */
  pending(): readonly R[] {
    return this.rows;
  }

  /** More rows of the batch (claimed after the first ones): a stopped target's go to onGiveUp at once. */
  add(rows: readonly R[]): void {
    for (const row of rows) {
      if (this.handOutOver()) this.stop(row.target_key);
      if (this.stopped.has(row.target_key)) this.onGiveUp(row, this.slots.pausedMs(row.target_key));
      else this.rows.push(row);
    }
  }

  private handOutOver(): boolean {
    return this.now() - this.startedAt >= this.handOutForMs;
  }

  /** No more POSTs to `target` from this batch: its rows left go to onGiveUp, delayed by its pause. */
  stop(target: string): void {
    if (this.stopped.has(target)) return;
    this.stopped.add(target);
    const delayMs = this.slots.pausedMs(target);
    const kept: R[] = [];
    for (const row of this.rows) {
      if (row.target_key === target) this.onGiveUp(row, delayMs);
      else kept.push(row);
    }
    this.rows = kept;
  }
}
