import { EventEmitter } from 'node:events';
import {
  ChangeListener,
  type ChangeRecord,
  closeVersionGap,
  currentResourceVersion,
  type Database,
  GAP_GRACE_MS,
  MAX_CLOSED_GAP,
  olderTransactionOpen,
  readChanges,
} from '@app/persistence';

export { GAP_GRACE_MS };
/** Re-read pause while waiting for a missing version (its transaction is usually committing). */
const GAP_RETRY_MS = 5;
/** Pause before trying again to close a gap that could not be closed (an open writer, Postgres away). */
const GAP_CLOSE_RETRY_MS = 200;
/**
 * How long a gap stays open before (and between) asking Postgres whether a transaction that could
 * hold its versions is still open (olderTransactionOpen). Versions committing out of order fill in
 * within a few milliseconds; one whose holder is gone is closed at the first such check.
 */
const ABANDONED_CHECK_MS = 50;
/** While a caller waits for a version, the feed is nudged this often (a wake-up may come late). */
const WAIT_NUDGE_MS = 50;

/**
 * Tails the change log for this process: one LISTEN connection (pg's LISTEN needs a dedicated
 * session, so it is a plain pg Client beside the pool) plus a slow poll that covers missed
 * notifications and reconnects. A write on any replica reaches every replica's watchers
 * through the shared table.
 *
 * Versions are taken without a global lock, so they may commit out of order. The feed emits
 * strictly in version order: at a missing version it waits until that version commits or is
 * released (a NONE row), or, failing both, until GAP_GRACE_MS has passed since a later version
 * was written, or sooner once no transaction that could hold it is open (olderTransactionOpen: a
 * holder whose connection was cut is gone at once). Then it closes the gap with NONE rows itself
 * (closeVersionGap): a transaction that took such a version without committing it (its reply lost
 * to a cut connection, say, so it never learnt which one to release) no longer holds the feed
 * back, and one that is merely slow cannot commit it afterwards, behind the feed's position. Its
 * position is therefore a horizon: every change at or below it is known.
 */
export class ChangeFeed extends EventEmitter {
  private cursor = '0';
  private readonly listener: ChangeListener;
  private pollTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private redrain = false;
  private stopped = false;
  private gapTimer: NodeJS.Timeout | undefined;
  /**
   * Rows read past a missing version, kept for the next pass (a committed change-log row never
   * changes): while a gap is open, each retry reads only the missing range, not the 500 rows after
   * it again. `at`: when each row was written, on this process's clock (its age when read);
   * `seen`: when this feed first read it (it had committed by then).
   */
  private held: { change: ChangeRecord; at: number; seen: number }[] = [];
  /** When the open gap was last checked for a transaction that could still hold it. */
  private lastAbandonedCheck = 0;
  /** The position last announced to waiters ('position' event). */
  private announced = '0';

  constructor(
    private readonly db: Database,
    databaseUrl: string,
    private readonly pollIntervalMs = 1000,
  ) {
    super();
    this.listener = new ChangeListener(databaseUrl, () => this.kick());
    this.setMaxListeners(0);
  }

  /** Newest resourceVersion this feed has delivered: all changes at or below it were emitted. */
  get position(): string {
    return this.cursor;
  }

  async start(): Promise<void> {
    // Start below the newest version: a transaction holding a lower one may still commit.
    const newest = BigInt(await currentResourceVersion(this.db));
    this.cursor = String(newest > 1000n ? newest - 1000n : 0n);
    this.db.setVersionHorizon({ position: () => this.cursor, waitFor: (rv, ms) => this.waitFor(rv, ms), onChange: (fn) => this.onChange(fn) });
    await this.listener.start();
    this.pollTimer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  /** Reads everything past the cursor; coalesces concurrent wake-ups into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.redrain = true;
      return;
    }
    this.draining = this.drain()
      .catch(() => undefined)
      .finally(() => {
        this.draining = undefined;
        this.announce();
        if (this.redrain) {
          this.redrain = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;; this.announce()) {
      const held = this.held;
      this.held = [];
      const first = held[0];
      // With rows held past a gap, only the versions below them are read; else the next page.
      const upTo = first ? String(BigInt(first.change.rv) - 1n) : undefined;
      const read = upTo === undefined || BigInt(upTo) > BigInt(this.cursor) ? await readChanges(this.db, this.cursor, 500, upTo ? { upTo } : {}) : [];
      const now = performance.now();
      // A full page may stop short of the held rows: the versions between are not missing, only unread.
      const truncated = first !== undefined && read.length >= 500;
      const rows = [...read.map((change) => ({ change, at: now - (change.ageMs ?? 0), seen: now })), ...(truncated ? [] : held)];
      let gapClosed = false;
      for (let i = 0; i < rows.length; i++) {
        const { change, at, seen } = rows[i]!;
        const expected = BigInt(this.cursor) + 1n;
        const last = BigInt(change.rv) - 1n;
        if (BigInt(change.rv) !== expected) {
          // A lower version is missing: hold this one (and those after it) back and look again
          // shortly, until its holder has gone or the grace period has passed.
          if (now - at < GAP_GRACE_MS && !(await this.holderGone(seen))) {
            this.held = rows.slice(i);
            return this.retryIn(GAP_RETRY_MS);
          }
          // Then close the gap and read what it holds; a gap too wide to be a transaction's
          // versions (the sequence moved by hand) is passed over without writing a row per version.
          if (last - expected < MAX_CLOSED_GAP) {
            this.held = rows.slice(i);
            const closed = await closeVersionGap(this.db, expected, last).then(
              () => true,
              () => false,
            );
            if (!closed) return this.retryIn(GAP_CLOSE_RETRY_MS);
            this.db.noteChange();
            gapClosed = true;
            break;
          }
        }
        this.cursor = change.rv;
        if (change.type !== 'NONE') this.emit('change', change);
      }
      if (gapClosed) continue;
      if (truncated) this.held = held;
      // Held rows all went out (or wait beyond a full page): read on; else a short page means nothing more yet.
      if (!first && read.length < 500) return;
    }
  }

  /**
   * Whether no transaction that could hold the versions below a row first read at `seen` is open
   * any more. Asked only once the gap has lasted ABANDONED_CHECK_MS, and at most that often; an
   * error answers no (the grace period still applies).
   */
  private async holderGone(seen: number): Promise<boolean> {
    const now = performance.now();
    if (now - seen < ABANDONED_CHECK_MS || now - this.lastAbandonedCheck < ABANDONED_CHECK_MS) return false;
    this.lastAbandonedCheck = now;
    const open = await olderTransactionOpen(this.db, (performance.now() - seen) / 1000).catch(() => true);
    return !open;
  }

  /** Tells waiters (waitFor) that the position moved. */
  private announce(): void {
    if (this.announced === this.cursor) return;
    this.announced = this.cursor;
    this.emit('position', this.cursor);
  }

  /** Drains again after `ms` (one timer at a time). */
  private retryIn(ms: number): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.kick();
    }, ms);
    this.gapTimer.unref();
  }

  /** Resolves once every change up to `rv` has been read, or after `timeoutMs`. */
  async waitFor(rv: string, timeoutMs: number): Promise<void> {
    const reached = () => this.stopped || BigInt(this.cursor) >= BigInt(rv);
    if (reached()) return;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (reached()) done();
      };
      const done = () => {
        clearTimeout(timeout);
        clearInterval(nudge);
        this.off('position', check);
        resolve();
      };
      const timeout = setTimeout(done, timeoutMs);
      const nudge = setInterval(() => this.kick(), WAIT_NUDGE_MS);
      this.on('position', check);
      this.kick();
    });
  }

  onChange(fn: (c: ChangeRecord) => void): () => void {
    this.on('change', fn);
    return () => this.off('change', fn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.emit('position', this.cursor);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    await this.listener.stop();
    await this.draining;
  }
}
