import { Logger } from '@nestjs/common';
import { type Job, Worker } from 'bullmq';
import type { AppConfig } from '@app/config';
import {
  dispatchJob,
  JobName,
  jobsOfQueue,
  type QueueHandlers,
  QueueName,
  redisConnectionOptions,
  workerOptionsFor,
} from '@app/queue-contracts';
import type { RegistryEventProcessor } from './event-processor';

/**
 * The BullMQ consumer of the registry-events queue. Handlers are declared per job name (a missing
 * one is a type error, and a runtime check refuses to start); an unknown job name fails for good.
 */
export class RegistryEventsWorker {
  private readonly logger = new Logger('RegistryEventsWorker');
  private worker: Worker | null = null;
  private readonly handlers: QueueHandlers<typeof QueueName.RegistryEvents>;

  constructor(
    private readonly config: AppConfig,
    processor: RegistryEventProcessor,
  ) {
    this.handlers = {
      [JobName.ProcessRegistryEvent]: (data, attempt) => processor.process(data.eventId, attempt),
    };
    for (const name of jobsOfQueue[QueueName.RegistryEvents]) {
      if (typeof this.handlers[name] !== 'function') throw new Error(`no handler for job ${name} on ${QueueName.RegistryEvents}`);
    }
  }

  start(): void {
    this.worker = new Worker(QueueName.RegistryEvents, (job: Job) => this.run(job), {
      connection: redisConnectionOptions(this.config.redisUrl, 'worker'),
      prefix: this.config.queuePrefix,
      ...workerOptionsFor(QueueName.RegistryEvents, this.config.ingestConcurrency),
    });
    // Redis outages are reported here while ioredis reconnects; the sweeper re-enqueues afterwards.
    this.worker.on('error', (e) => this.logger.warn(`registry-events worker: ${e.message}`));
  }

  private run(job: Job): Promise<unknown> {
    return dispatchJob(this.handlers, job);
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }
}
