import { InjectQueue, BullModule, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { serveTriggerBacklogMetrics } from './backlog-metrics';
import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { loadTriggerConfig, type TriggerConfig } from '@app/config';
import { Database } from '@app/persistence';
import {
  type DeliverBatchPayload,
  type DeliverPayload,
  type EvaluateTagChangePayload,
  TriggerJob,
  triggerJobDefaults,
  triggerJobId,
  TriggerQueue,
} from '@app/queue-contracts';
import { DelayedError, type Job, type Queue } from 'bullmq';
import { DeliveryCollector } from './delivery-collector';
import { deliverBatchJobs, deliverJob } from './delivery-jobs';
import { DeliveryService } from './delivery.service';
import { TriggerEvaluator } from './evaluator';
import { settleEvaluation } from './open-evaluations';
import { TriggerRelay } from './trigger-relay';
import { TRIGGER_CONFIG, TriggersApiModule } from './triggers-api.module';

// Worker options are fixed at decoration time; read once from the environment (validated at boot too).
const bootConfig = loadTriggerConfig();

const workerLog = new Logger('TriggerWorkers');

@Processor(TriggerQueue.Evaluation, {
  concurrency: bootConfig.evaluationConcurrency,
  lockDuration: bootConfig.jobLockMs,
  stalledInterval: bootConfig.jobLockMs,
  maxStalledCount: 10,
  prefix: bootConfig.queuePrefix,
})
export class EvaluationProcessor extends WorkerHost {
  /** Redis outages: BullMQ reconnects by itself; an unhandled 'error' event would crash the process. */
  @OnWorkerEvent('error')
  onWorkerError(e: Error): void {
    workerLog.warn(`evaluation worker: ${e.message}`);
  }

  constructor(
    @Inject(TriggerEvaluator) private readonly evaluator: TriggerEvaluator,
    @InjectQueue(TriggerQueue.Delivery) private readonly delivery: Queue,
    @Inject(Database) private readonly db: Database,
  ) {
    super();
  }

  async process(job: Job<EvaluateTagChangePayload>): Promise<number> {
    const evaluated = await this.evaluate(job.data);
    // Settled only once it ran to its end: a job lost or failed before is enqueued again (TriggerRelay).
    await settleEvaluation(this.db, job.id ?? triggerJobId.evaluate(job.data.tagChangeId));
    return evaluated;
  }

  private async evaluate({ namespace, stream, tag, tagChangeId }: EvaluateTagChangePayload): Promise<number> {
    // Level-driven: when the tag has moved again since this change, the newer change's own job
    // evaluates the newer level, which is all this one could find. Under load this turns a
    // backlog of moves of one tag into one evaluation instead of one each.
    if (
      /^\d+$/.test(tagChangeId) &&
      (await this.evaluator.superseded({ namespace, stream, tag }, tagChangeId))
    )
      return 0;
    // Each committed page is handed to delivery at once. A crash between commit and enqueue
    // leaves the deliveries pending in Postgres, where the sweeper finds them.
    const ids = await this.evaluator.evaluate({ namespace, stream, tag }, 500, async (page) => {
      await this.delivery.addBulk(deliverBatchJobs(page));
    });
    await this.evaluator.evaluateWorkloads({ namespace, stream, tag });
    return ids.length;
  }
}

@Processor(TriggerQueue.Delivery, {
  concurrency: bootConfig.deliveryConcurrency,
  lockDuration: bootConfig.jobLockMs,
  stalledInterval: bootConfig.jobLockMs,
  maxStalledCount: 10,
  prefix: bootConfig.queuePrefix,
})
export class DeliveryProcessor extends WorkerHost implements OnApplicationShutdown {
  /** Redis outages: BullMQ reconnects by itself; an unhandled 'error' event would crash the process. */
  @OnWorkerEvent('error')
  onWorkerError(e: Error): void {
    workerLog.warn(`delivery worker: ${e.message}`);
  }

  constructor(
    @Inject(DeliveryService) private readonly deliveries: DeliveryService,
    @InjectQueue(TriggerQueue.Delivery) private readonly queue: Queue,
  ) {
    super();
  }

  async process(job: Job<DeliverPayload | DeliverBatchPayload>, token?: string): Promise<string> {
    if (job.name === TriggerJob.DeliverBatch) {
      const result = await this.deliveries.deliverBatch((job.data as DeliverBatchPayload).deliveryIds);
      if (result.followUps.length)
        await this.queue.addBulk(result.followUps.map((f) => deliverJob(f.payload, f.delayMs)));
      return `sent ${result.sent}, delivered ${result.delivered}, follow-ups ${result.followUps.length}`;
    }
    const { deliveryId, generation, attempt, target } = job.data as DeliverPayload;
    const outcome = await this.deliveries.attempt(deliveryId, generation, attempt, target);
    switch (outcome.kind) {
      case 'busy':
        // The target is at its in-flight or rate limit: give the worker slot back and come back later.
        await job.moveToDelayed(Date.now() + outcome.retryInMs + Math.floor(Math.random() * 50), token);
        throw new DelayedError();
      case 'retry':
        await this.queue.add(
          TriggerJob.Deliver,
          { deliveryId, generation, attempt: outcome.attempt, target: outcome.target },
          {
            ...triggerJobDefaults[TriggerQueue.Delivery],
            jobId: triggerJobId.deliver({ deliveryId, generation, attempt: outcome.attempt }),
            delay: outcome.delayMs,
          },
        );
        return 'retry';
      case 'dead':
      case 'done':
        return outcome.kind;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.deliveries.close();
  }
}

@Processor(TriggerQueue.Maintenance, { prefix: bootConfig.queuePrefix })
export class MaintenanceProcessor extends WorkerHost {
  /** Redis outages: BullMQ reconnects by itself; an unhandled 'error' event would crash the process. */
  @OnWorkerEvent('error')
  onWorkerError(e: Error): void {
    workerLog.warn(`maintenance worker: ${e.message}`);
  }

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(TRIGGER_CONFIG) private readonly config: TriggerConfig,
  ) {
    super();
  }

  /**
   * Retention: relayed feed rows and finished attempts older than the window go, and so do
   * deliveries finished longer ago than theirs (in batches, each with its DELETED event).
   */
  async process(): Promise<number> {
    // Each pruned move leaves a tombstone, at a feed position the prune takes for them (the next
    // id, after every cursor handed out before it; none when nothing is pruned): feed watches send
    // its DELETED at or past that position. pruned_at is read after the position was taken (see
    // TagChangeFeedHandler.feedHorizon).
    const [feed] = await this.db.query<{ n: string }>(
      `WITH d AS (
          DELETE FROM tag_changes WHERE relayed AND recorded_at < now() - make_interval(secs => $1)
          RETURNING id, recorded_at, namespace, stream, tag, previous_image, image, docker_image_reference, cause),
        p AS (SELECT nextval('tag_changes_id_seq') AS position WHERE EXISTS (SELECT 1 FROM d)),
        t AS (
          INSERT INTO tag_change_tombstones (feed_position, pruned_at, id, recorded_at, namespace, stream, tag, previous_image, image, docker_image_reference, cause)
          SELECT p.position, clock_timestamp(), d.* FROM p, d ORDER BY d.id RETURNING 1)
       SELECT count(*)::text AS n FROM t`,
      [this.config.feedRetentionSeconds],
    );
    // A tombstone goes once a move has followed its prune; from then on a cursor below its position
    // is 410 (deleting it raises tag_change_expiry), so none needs its DELETED events. An emptied
    // feed keeps them: a cursor from before the prune still gets them.
    await this.db.query(`DELETE FROM tag_change_tombstones WHERE feed_position < (SELECT min(id) FROM tag_changes)`);
    await this.db.query(
      `DELETE FROM trigger_delivery_attempts WHERE finished_at < now() - make_interval(secs => $1)`,
      [this.config.feedRetentionSeconds],
    );
    const deliveries = await new DeliveryCollector(this.db).expire(this.config.deliveryRetentionSeconds);
    return Number(feed?.n ?? 0) + deliveries;
  }
}

/** The worker side: relay, evaluation and delivery consumers, pruning. */
@Module({
  imports: [
    TriggersApiModule,
    BullModule.registerQueue(
      { name: TriggerQueue.Evaluation, prefix: bootConfig.queuePrefix },
      { name: TriggerQueue.Delivery, prefix: bootConfig.queuePrefix },
      { name: TriggerQueue.Maintenance, prefix: bootConfig.queuePrefix },
    ),
  ],
  providers: [
    {
      provide: DeliveryService,
      inject: [Database, TRIGGER_CONFIG],
      useFactory: (db: Database, config: TriggerConfig) => {
        serveTriggerBacklogMetrics(db);
        return new DeliveryService(db, config);
      },
    },
    TriggerRelay,
    EvaluationProcessor,
    DeliveryProcessor,
    MaintenanceProcessor,
  ],
  exports: [TriggerRelay],
})
export class TriggersWorkerModule {}
