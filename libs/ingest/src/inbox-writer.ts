import { ApiError } from '@app/api-machinery';
import type { StoredEvent } from './envelope';
import type { InboxRepository } from './inbox.repository';

interface Waiter {
  events: StoredEvent[];
  resolve(fresh: Set<string>): void;
  reject(e: unknown): void;
}

/** Inserts in flight at once; further envelopes wait and go together in the next INSERT. */
const MAX_IN_FLIGHT = 2;
/** Rows per INSERT at most (keeps one statement's JSON parameter small). */
const MAX_ROWS = 500;

/**
 * Group commit for the receiver. Every envelope's events are stored with one multi-row INSERT
 * before its answer; when envelopes arrive faster than Postgres commits, those that arrive while
 * MAX_IN_FLIGHT inserts are running are stored together in the next one. Each caller still gets
 * its answer only after the commit that holds its rows (a 2xx means committed), a failed INSERT
 * of several envelopes is retried envelope by envelope (only a failing one's sender hears of its
 * failure), and a lone sender (the registry) never waits for anyone.
 */
export class InboxWriter {
  private readonly waiting: Waiter[] = [];
  private inFlight = 0;

  constructor(private readonly inbox: InboxRepository) {}

  /** Stores the events; resolves with the ids that were new (first writer of an id wins). */
  write(events: StoredEvent[]): Promise<Set<string>> {
    if (events.length === 0) return Promise.resolve(new Set());
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0) {
      const batch: Waiter[] = [];
      let rows = 0;
      while (this.waiting.length > 0 && (batch.length === 0 || rows + this.waiting[0]!.events.length <= MAX_ROWS)) {
        const w = this.waiting.shift()!;
        batch.push(w);
        rows += w.events.length;
      }
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async insertAlone(w: Waiter): Promise<void> {
    try {
      w.resolve(new Set(await this.inbox.insert(w.events)));
    } catch (e) {
      w.reject(e);
    }
  }

  private async run(batch: Waiter[]): Promise<void> {
    try {
      const fresh = new Set(await this.inbox.insert(batch.flatMap((w) => w.events)));
      for (const w of batch) {
        const mine = new Set<string>();
        for (const e of w.events) {
          // An id repeated across envelopes of one batch counts as new for the first only.
          if (fresh.delete(e.id)) mine.add(e.id);
        }
        w.resolve(mine);
      }
    } catch (e) {
      // Nothing of the batch committed. A value Postgres refused (400) belongs to one envelope:
      // each is stored again alone, so that only its sender hears of it. One after another: this
      // path is rare. Anything else (an outage, 503) is every envelope's, answered at once.
      if (batch.length > 1 && e instanceof ApiError && e.code === 400) for (const w of batch) await this.insertAlone(w);
      else for (const w of batch) w.reject(e);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
