import type { JobsOptions, WorkerOptions } from 'bullmq';
import { QueueName } from './queues';

/** Retry tuning that comes from configuration. */
export interface RetryTuning {
  attempts: number;
  /** First retry delay; exponential backoff doubles it each time. */
  backoffMs: number;
}

/**
 * Options for every job added to a queue. Completed jobs are removed at once: the Postgres row
 * records the outcome, and a removed job lets the same deterministic id be added again (redrive).
 * Failed jobs are kept a day for inspection.
 */
export function jobOptionsFor(queue: QueueName, tuning: RetryTuning): JobsOptions {
  // Both queues retry storage faults the same way. Image imports record registry failures as tag
  // conditions (the job succeeds), so their retries are for storage faults only.
  switch (queue) {
    case QueueName.RegistryEvents:
    case QueueName.ImageImports:
      return {
        attempts: tuning.attempts,
        backoff: { type: 'exponential', delay: tuning.backoffMs },
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600, count: 10000 },
      };
  }
}

/**
 * Consumer options per queue. Short lock and stall intervals: jobs take milliseconds, and a
 * crashed worker's active jobs must return to the queue within seconds, not the 30 s default.
 */
export function workerOptionsFor(queue: QueueName, concurrency: number): Omit<WorkerOptions, 'connection' | 'prefix'> {
  switch (queue) {
    case QueueName.RegistryEvents:
      return { concurrency, lockDuration: 5000, stalledInterval: 2500, maxStalledCount: 10 };
    case QueueName.ImageImports:
      // An import waits on remote registries for seconds; BullMQ renews the lock while it runs.
      return { concurrency, lockDuration: 30000, stalledInterval: 15000, maxStalledCount: 5 };
  }
}
