import type { ChangeRecord } from '@app/persistence';
import type { ChangeFeed } from './change-feed';

/**
 * Remembers whether a change of the given resources (in one namespace, or any) has been read from
 * the change log since the last `next()`, so a watch that polls a table of its own can wait for
 * its next write instead of polling on a timer: a change read while the watch was busy still
 * wakes the following wait.
 */
export class ChangeLatch {
  private pending = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(feed: ChangeFeed, resources: readonly string[], namespace: string | undefined) {
    this.unsubscribe = feed.onChange((c: ChangeRecord) => {
      if (!resources.includes(c.resource) || (namespace !== undefined && c.namespace !== namespace)) return;
      this.pending = true;
      this.wake?.();
    });
  }

  /** Resolves at once if a change came since the last call, else at the next one, after `timeoutMs`, or on abort. */
  async next(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (!this.pending && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    this.pending = false;
  }

  close(): void {
    this.unsubscribe();
    this.wake?.();
  }
}
