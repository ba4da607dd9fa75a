import { Logger } from '@nestjs/common';
import { compactChangeLog, type Database } from '@app/persistence';

/** A pass runs this often at most (and every retention period when that is shorter). */
const COMPACT_EVERY_SECONDS = 60;

/**
 * Compacts the change log in the background: a first pass as soon as the process starts, then one
 * every min(60 s, retention) after the previous one ended. The first pass is at start-up because
 * an api restarted more often than the period (a crash loop, frequent rollouts) would otherwise
 * never compact. Every replica runs it; concurrent passes share the rows (see compactChangeLog).
 */
export class ChangeLogCompactor {
  private readonly logger = new Logger('ChangeLogCompactor');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly retentionSeconds: number,
  ) {}

  start(): void {
    const everyMs = Math.min(COMPACT_EVERY_SECONDS, this.retentionSeconds) * 1000;
    const pass = () => {
      this.running = compactChangeLog(this.db, this.retentionSeconds, { stopped: () => this.stopped })
        .then(() => undefined)
        .catch((e: unknown) => this.logger.warn(`change-log compaction failed: ${(e as Error).message}`))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(pass, everyMs);
        });
    };
    this.schedule(pass, 0);
  }

  private schedule(pass: () => void, delayMs: number): void {
    this.timer = setTimeout(pass, delayMs);
    // Compaction never keeps a process alive.
    this.timer.unref();
  }

  /** Stops after the batch in flight, so that the pool is not closed under it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
