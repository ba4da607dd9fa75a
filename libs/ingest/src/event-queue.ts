import { Queue } from 'bullmq';
import type { AppConfig } from '@app/config';
import { addJob, addJobs, JobName, jobIdOf, QueueName, redisConnectionOptions, type RetryTuning } from '@app/queue-contracts';
import { registryEventEnqueueFailures } from './ingest-metrics';

/**
 * enqueueSoon sends at most one addBulk per interval. An event after a quiet interval goes at once
 * (no added latency at a registry's usual rates); under load, the events of an interval share one
 * Redis round trip. One job per addBulk costs the api about five times the CPU per job of ten per
 * addBulk, and that time is taken from the next request of a serial sender.
 */
const ENQUEUE_INTERVAL_MS = 10;
/** Ids per addBulk at most. */
const ENQUEUE_MAX_BATCH = 500;

/**
 * The producer side of the registry-events queue. Its Redis connection fails fast (no offline
 * queue): enqueueing is best-effort because the inbox row is the truth and the sweeper enqueues
 * whatever did not make it.
 */
export class RegistryEventQueue {
  readonly queue: Queue;
  private readonly tuning: RetryTuning;
  private readonly pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the last flush (monotonic: a wall-clock step cannot stall the queue). */
  private lastFlushAt = -ENQUEUE_INTERVAL_MS;

  constructor(config: AppConfig) {
    this.tuning = { attempts: config.ingestAttempts, backoffMs: config.ingestBackoffMs };
    this.queue = new Queue(QueueName.RegistryEvents, {
      connection: redisConnectionOptions(config.redisUrl, 'producer'),
      prefix: config.queuePrefix,
    });
    // Connection errors surface on each add(); the emitter must not crash the process.
    this.queue.on('error', () => undefined);
  }

  /**
   * Enqueues freshly stored events after the caller has answered (a timer), at once or when the
   * interval since the last addBulk is over; ids from every caller in between go to Redis in one
   * addBulk round trip. Never throws.
   */
  enqueueSoon(eventIds: string[]): void {
    this.pending.push(...eventIds);
    const wait = Math.max(0, this.lastFlushAt + ENQUEUE_INTERVAL_MS - performance.now());
    this.timer ??= setTimeout(() => void this.flush(), wait);
  }

  /** Enqueues now; never throws (returns how many reached Redis). */
  async enqueue(eventIds: string[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    try {
      await addJobs(
        this.queue,
        JobName.ProcessRegistryEvent,
        eventIds.map((eventId) => ({ eventId })),
        this.tuning,
      );
      return eventIds.length;
    } catch {
      registryEventEnqueueFailures.inc({ by: 'receiver' }, eventIds.length);
      return 0;
    }
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = performance.now();
    while (this.pending.length > 0) await this.enqueue(this.pending.splice(0, ENQUEUE_MAX_BATCH));
  }

  /**
   * Makes sure a pending event has a live job: a missing one is added; one left completed or failed
   * (a stalled job BullMQ gave up on, a job of an earlier redrive) is replaced; a waiting, delayed or
   * active one is left alone. Throws when Redis is unavailable.
   */
  async ensureQueued(eventId: string): Promise<'added' | 'replaced' | 'present'> {
    const jobId = jobIdOf[JobName.ProcessRegistryEvent]({ eventId });
    const job = await this.queue.getJob(jobId);
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'present';
      await job.remove().catch(() => undefined);
    }
    await addJob(this.queue, JobName.ProcessRegistryEvent, { eventId }, this.tuning);
    return job ? 'replaced' : 'added';
  }

  /** Sends what enqueueSoon still holds, then closes the connection. */
  async close(): Promise<void> {
    await this.flush();
    await this.queue.close().catch(() => undefined);
  }
}
