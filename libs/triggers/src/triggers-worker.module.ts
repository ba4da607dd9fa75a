import { InjectQueue, BullModule, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { loadTriggerConfig, type TriggerConfig } from '@app/config';
import { ChangeListener, Database } from '@app/persistence';
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
import { DeliveryService } from './delivery.service';
import { TriggerEvaluator } from './evaluator';
import { TRIGGER_CONFIG, TriggersApiModule } from './triggers-api.module';

// Worker options are fixed at decoration time; read once from the environment (validated at boot too).
const bootConfig = loadTriggerConfig();

function deliverJob(p: DeliverPayload, delay = 0) {
  return { name: TriggerJob.Deliver, data: p, opts: { ...triggerJobDefaults[TriggerQueue.Delivery], jobId: triggerJobId.deliver(p), delay } };
}

/**
 * First attempts go out in batches of this many deliveries (one claim and one record statement,
 * and one BullMQ job, each): a tag's 100 triggers are one batch.
 */
const deliverBatchSize = 100;

function deliverBatchJobs(ids: string[]) {
  const jobs = [];
  for (let i = 0; i < ids.length; i += deliverBatchSize) {
    const data: DeliverBatchPayload = { deliveryIds: ids.slice(i, i + deliverBatchSize) };
    jobs.push({ name: TriggerJob.DeliverBatch, data, opts: { ...triggerJobDefaults[TriggerQueue.Delivery], jobId: triggerJobId.deliverBatch(data) } });
  }
  return jobs;
}

/** Pause before the relay pass owed to wake-ups that arrived during the previous one. */
const relayRerunDelayMs = 5;

/**
 * Relay: moves unrelayed tag_changes rows (and evaluation requests written by trigger writes)
 * into evaluation jobs. Rows are marked in the same transaction that enqueued them, after the
 * enqueue succeeded: Redis down → rollback → rows wait in Postgres. A late-committing row with a
 * lower id is still unrelayed, so nothing is skipped; SKIP LOCKED lets several workers share it.
 * Also the sweeper: pending deliveries whose job is gone (Redis lost, redrive) are re-enqueued.
 */
const workerLog = new Logger('TriggerWorkers');

@Injectable()
export class TriggerRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('TriggerRelay');
  private timer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;
  private rerun = false;
  private listener?: ChangeListener;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(TRIGGER_CONFIG) private readonly config: TriggerConfig,
    @InjectQueue(TriggerQueue.Evaluation) private readonly evaluation: Queue,
    @InjectQueue(TriggerQueue.Delivery) private readonly delivery: Queue,
    @InjectQueue(TriggerQueue.Maintenance) private readonly maintenance: Queue,
  ) {
    // Redis outages surface as 'error' events; without a listener Node throws them. The relay
    // keeps rows in Postgres meanwhile, so logging is all there is to do.
    for (const queue of [evaluation, delivery, maintenance]) queue.on('error', (e: Error) => this.log.warn(`${queue.name} queue: ${e.message}`));
  }

  onApplicationBootstrap(): void {
    // Not awaited: with Redis down at boot the command would wait for it, and the worker (ingest,
    // imports, this relay, which all cope with Redis outages) would never start. BullMQ's
    // connection keeps the command queued until Redis answers.
    this.maintenance
      .upsertJobScheduler('prune-hourly', { every: 3600_000 }, { name: TriggerJob.Prune, data: {} })
      .catch((e: Error) => this.log.warn(`prune schedule: ${e.message}`));
    const url = this.db.connectionUrl;
    if (url) {
      this.listener = new ChangeListener(url, () => this.kick());
      void this.listener.start();
    }
    this.kick();
    const sweep = () => {
      if (this.stopped) return;
      this.sweepOnce()
        .catch((e: Error) => this.log.warn(`sweep: ${e.message}`))
        .finally(() => (this.sweepTimer = setTimeout(sweep, 500)));
    };
    sweep();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.sweepTimer);
    await this.listener?.stop();
    await this.running;
  }

  /**
   * Runs relay passes until one moves nothing. Woken by every committed change anywhere (the
   * change channel's NOTIFY: a tag move writes a change-log row), so a move is relayed as soon as
   * it commits; the poll every TRIGGER_RELAY_INTERVAL_MS only covers notifications lost while the
   * LISTEN session was down. Wake-ups during a pass are folded into one more pass.
   */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    clearTimeout(this.timer);
    let pause = this.config.relayIntervalMs;
    this.running = (async () => {
      while (!this.stopped && (await this.relayOnce()) > 0);
    })()
      .catch((e: Error) => {
        this.log.warn(`relay: ${e.message}`);
        pause = Math.max(pause, 1000);
        this.rerun = false;
      })
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        // Wake-ups that came during the pass get one more, a little later: every commit in the
        // system NOTIFYs, so under load this bounds the probes instead of running back to back.
        const delay = this.rerun ? relayRerunDelayMs : pause;
        this.rerun = false;
        this.timer = setTimeout(() => this.kick(), delay);
      });
  }

  /** One relay pass; returns how many rows moved. */
  async relayOnce(limit = 500): Promise<number> {
    // The relay runs on every wake-up (see kick), most of which find nothing: an idle pass is this
    // one autocommit round trip instead of the locking transaction's four (BEGIN, two SELECTs, COMMIT).
    const [probe] = await this.db.query<{ pending: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM tag_changes WHERE NOT relayed) OR EXISTS (SELECT 1 FROM trigger_evaluation_requests) AS pending`,
      [],
      'trg-relay-probe',
    );
    if (!probe?.pending) return 0;
    return this.db.transaction(async (tx) => {
      // A move of a tag nothing follows needs no evaluation: it is only marked relayed. A trigger
      // or workload that starts following the tag later writes its own evaluation request, which
      // sees the tag as it is then (level-driven), so skipping loses no fire.
      const changes = await tx.query<{ id: string; namespace: string; stream: string; tag: string; followed: boolean }>(
        `SELECT c.id::text AS id, c.namespace, c.stream, c.tag,
                EXISTS (SELECT 1 FROM trigger_subscriptions s
                         WHERE s.from_namespace = c.namespace AND s.stream = c.stream AND s.tag = c.tag) AS followed
           FROM tag_changes c WHERE NOT c.relayed ORDER BY c.id LIMIT $1 FOR UPDATE OF c SKIP LOCKED`,
        [limit],
      );
      const requests = await tx.query<{ id: string; namespace: string; stream: string; tag: string }>(
        `SELECT id::text AS id, namespace, stream, tag FROM trigger_evaluation_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (!changes.length && !requests.length) return 0;
      const job = (id: string, r: { namespace: string; stream: string; tag: string }) => {
        const data: EvaluateTagChangePayload = { tagChangeId: id, namespace: r.namespace, stream: r.stream, tag: r.tag };
        return { name: TriggerJob.EvaluateTagChange, data, opts: { ...triggerJobDefaults[TriggerQueue.Evaluation], jobId: triggerJobId.evaluate(id) } };
      };
      // Only the newest change of each tag in this pass becomes a job: evaluation is level-driven,
      // so the older ones would find nothing the newest does not (all rows are marked relayed).
      const newest = new Map<string, { id: string; namespace: string; stream: string; tag: string }>();
      for (const c of changes) {
        if (!c.followed) continue;
        const k = `${c.namespace}/${c.stream}/${c.tag}`;
        const seen = newest.get(k);
        if (!seen || BigInt(c.id) > BigInt(seen.id)) newest.set(k, c);
      }
      const jobs = [...[...newest.values()].map((c) => job(c.id, c)), ...requests.map((r) => job(`req${r.id}`, r))];
      if (jobs.length) await this.evaluation.addBulk(jobs);
      if (changes.length) await tx.query(`UPDATE tag_changes SET relayed = true WHERE id = ANY($1::bigint[])`, [changes.map((c) => c.id)]);
      if (requests.length) await tx.query(`DELETE FROM trigger_evaluation_requests WHERE id = ANY($1::bigint[])`, [requests.map((r) => r.id)]);
      return changes.length + requests.length;
    });
  }

  async sweepOnce(): Promise<number> {
    const rows = await this.db.query<{ id: string; generation: number; attempts: number; target_key: string }>(
      `SELECT id, generation, attempts, target_key FROM trigger_deliveries
        WHERE state = 'pending' AND next_attempt_at < now() - interval '10 seconds' ORDER BY next_attempt_at LIMIT 1000`,
    );
    if (!rows.length) return 0;
    const jobs = rows.map((r) => deliverJob({ deliveryId: r.id, generation: r.generation, attempt: r.attempts + 1, target: r.target_key }));
    await this.delivery.addBulk(jobs);
    // A job id dedupes against a finished job too (kept for an hour or a week): the row is still
    // pending, so that job did not settle it; a failed one is retried, a completed one replaced.
    // Only overdue rows get here, so checking them one by one is rare work.
    for (const j of jobs) {
      const existing = await this.delivery.getJob(j.opts.jobId);
      if (!existing) continue;
      const state = await existing.getState();
      if (state === 'failed') await existing.retry('failed');
      else if (state === 'completed') {
        await existing.remove();
        await this.delivery.add(j.name, j.data, j.opts);
      }
    }
    return rows.length;
  }
}

@Processor(TriggerQueue.Evaluation, { concurrency: bootConfig.evaluationConcurrency, lockDuration: bootConfig.jobLockMs, stalledInterval: bootConfig.jobLockMs, maxStalledCount: 10, prefix: bootConfig.queuePrefix })
export class EvaluationProcessor extends WorkerHost {
  /** Redis outages: BullMQ reconnects by itself; an unhandled 'error' event would crash the process. */
  @OnWorkerEvent('error')
  onWorkerError(e: Error): void {
    workerLog.warn(`evaluation worker: ${e.message}`);
  }

  constructor(
    @Inject(TriggerEvaluator) private readonly evaluator: TriggerEvaluator,
    @InjectQueue(TriggerQueue.Delivery) private readonly delivery: Queue,
  ) {
    super();
  }

  async process(job: Job<EvaluateTagChangePayload>): Promise<number> {
    const { namespace, stream, tag, tagChangeId } = job.data;
    // Level-driven: when the tag has moved again since this change, the newer change's own job
    // evaluates the newer level, which is all this one could find. Under load this turns a
    // backlog of moves of one tag into one evaluation instead of one each.
    if (/^\d+$/.test(tagChangeId) && (await this.evaluator.superseded({ namespace, stream, tag }, tagChangeId))) return 0;
    // Each committed page is handed to delivery at once. A crash between commit and enqueue
    // leaves the deliveries pending in Postgres, where the sweeper finds them.
    const ids = await this.evaluator.evaluate({ namespace, stream, tag }, 500, async (page) => {
      await this.delivery.addBulk(deliverBatchJobs(page));
    });
    await this.evaluator.evaluateWorkloads({ namespace, stream, tag });
    return ids.length;
  }
}

@Processor(TriggerQueue.Delivery, { concurrency: bootConfig.deliveryConcurrency, lockDuration: bootConfig.jobLockMs, stalledInterval: bootConfig.jobLockMs, maxStalledCount: 10, prefix: bootConfig.queuePrefix })
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
      if (result.followUps.length) await this.queue.addBulk(result.followUps.map((f) => deliverJob(f.payload, f.delayMs)));
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
        await this.queue.add(TriggerJob.Deliver, { deliveryId, generation, attempt: outcome.attempt, ...(target ? { target } : {}) }, {
          ...triggerJobDefaults[TriggerQueue.Delivery],
          jobId: triggerJobId.deliver({ deliveryId, generation, attempt: outcome.attempt }),
          delay: outcome.delayMs,
        });
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

  /** Retention: relayed feed rows and finished attempts older than the window go. */
  async process(): Promise<number> {
    const [feed] = await this.db.query<{ n: string }>(
      `WITH d AS (DELETE FROM tag_changes WHERE relayed AND recorded_at < now() - make_interval(secs => $1) RETURNING 1) SELECT count(*)::text AS n FROM d`,
      [this.config.feedRetentionSeconds],
    );
    await this.db.query(`DELETE FROM trigger_delivery_attempts WHERE finished_at < now() - make_interval(secs => $1)`, [this.config.feedRetentionSeconds]);
    return Number(feed?.n ?? 0);
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
      useFactory: (db: Database, config: TriggerConfig) => new DeliveryService(db, config),
    },
    TriggerRelay,
    EvaluationProcessor,
    DeliveryProcessor,
    MaintenanceProcessor,
  ],
  exports: [TriggerRelay],
})
export class TriggersWorkerModule {}
