import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import type { RegistryEventQueue } from './event-queue';
import type { InboxRepository } from './inbox.repository';
import { registryEventEnqueueFailures } from './ingest-metrics';

const BATCH = 500;
/** Retention cleanup runs about once a minute. */
const CLEANUP_EVERY_MS = 60_000;

/**
 * Makes the inbox row the truth: every INGEST_SWEEP_INTERVAL_MS it finds events stored but still
 * pending after INGEST_SWEEP_AFTER_MS (their enqueue failed while Redis was down, Redis lost its
 * data, a worker died holding them) and makes sure each has a live job. Deterministic job ids make
 * this safe to run in every worker replica at once. It also deletes settled events past retention.
 */
export class RegistryEventSweeper {
  private readonly logger = new Logger('RegistryEventSweeper');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastCleanup = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly inbox: InboxRepository,
    private readonly queue: RegistryEventQueue,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((e: unknown) => this.logger.warn(`sweep failed: ${(e as Error).message}`))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, this.config.ingestSweepIntervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** One pass; returns how many events were (re-)enqueued. */
  async sweep(): Promise<number> {
    let enqueued = 0;
    const ids = await this.inbox.sweepCandidates(this.config.ingestSweepAfterMs, BATCH);
    for (const id of ids) {
      try {
        if ((await this.queue.ensureQueued(id)) !== 'present') enqueued++;
      } catch {
        // Redis still away: the rest of the batch would fail the same way.
        registryEventEnqueueFailures.inc({ by: 'sweeper' }, ids.length - enqueued);
        break;
      }
    }
    if (enqueued) this.logger.log(`re-enqueued ${enqueued} stored registry events`);
    if (Date.now() - this.lastCleanup > CLEANUP_EVERY_MS) {
      this.lastCleanup = Date.now();
      await this.inbox.deleteFinished(this.config.ingestRetentionSeconds, 10000);
    }
    return enqueued;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
