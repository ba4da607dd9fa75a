import { Queue } from 'bullmq';
import type { AppConfig } from '@app/config';
import { addJob, JobName, jobIdOf, QueueName, redisConnectionOptions, type RetryTuning } from '@app/queue-contracts';
import { registryEventEnqueueFailures } from './ingest-metrics';

/**
 * The producer side of the registry-events queue. Its Redis connection fails fast (no offline
 * queue): enqueueing is best-effort because the inbox row is the truth and the sweeper enqueues
 * whatever did not make it.
 */
export class RegistryEventQueue {
  readonly queue: Queue;
  private readonly tuning: RetryTuning;

  constructor(config: AppConfig) {
    this.tuning = { attempts: config.ingestAttempts, backoffMs: config.ingestBackoffMs };
    this.queue = new Queue(QueueName.RegistryEvents, {
      connection: redisConnectionOptions(config.redisUrl, 'producer'),
      prefix: config.queuePrefix,
    });
    // Connection errors surface on each add(); the emitter must not crash the process.
    this.queue.on('error', () => undefined);
  }

  /** Enqueues freshly stored events; never throws (returns how many reached Redis). */
  async enqueue(eventIds: string[], by: 'receiver' | 'redrive' = 'receiver'): Promise<number> {
    let ok = 0;
    await Promise.all(
      eventIds.map(async (eventId) => {
        try {
          await addJob(this.queue, JobName.ProcessRegistryEvent, { eventId }, this.tuning);
          ok++;
        } catch {
          registryEventEnqueueFailures.inc({ by });
        }
      }),
    );
    return ok;
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

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
