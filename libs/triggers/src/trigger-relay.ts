import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { TriggerConfig } from '@app/config';
import { ChangeListener, Database } from '@app/persistence';
import { TriggerJob, TriggerQueue } from '@app/queue-contracts';
import type { Queue } from 'bullmq';
import { DeliveryCollector } from './delivery-collector';
import { deliverJob } from './delivery-jobs';
import { evaluationJob, recordOpenEvaluations, reviveLostEvaluations } from './open-evaluations';
import { TRIGGER_CONFIG } from './triggers-api.module';
import { ownerPausedSql } from './paused-owner';

/** Pause before the relay pass owed to wake-ups that arrived during the previous one. */
const relayRerunDelayMs = 5;

/** How often open evaluations are checked for lost jobs, and how old one must be to be checked (evaluations take well under a second; a backlog may take longer). */
const evaluationRevivalEveryMs = 15_000;
const evaluationRevivalAfterSeconds = 60;

/**
 * Relay: moves unrelayed tag_changes rows (and evaluation requests written by trigger writes)
 * into evaluation jobs. Rows are marked in the same transaction that enqueued them, after the
 * enqueue succeeded: Redis down → rollback → rows wait in Postgres. A late-committing row with a
 * lower id is still unrelayed, so nothing is skipped; SKIP LOCKED lets several workers share it.
 * Also the sweeper: pending deliveries whose job is gone (Redis lost, redrive) are re-enqueued,
 * and deliveries of removed owners are garbage-collected (DeliveryCollector), a few batches a pass.
 */
@Injectable()
export class TriggerRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('TriggerRelay');
  private timer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;
  private rerun = false;
  private listener?: ChangeListener;
  private readonly collector: DeliveryCollector;

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
    this.collector = new DeliveryCollector(db);
  }

  onApplicationBootstrap(): void {
    // Not awaited: with Redis down at boot the command would wait for it, and the worker (ingest,
    // imports, this relay, which all cope with Redis outages) would never start. BullMQ's
    // connection keeps the command queued until Redis answers.
    this.schedulePrune();
    const url = this.db.connectionUrl;
    if (url) {
      this.listener = new ChangeListener(url, () => this.kick());
      void this.listener.start();
    }
    this.kick();
    // While Postgres or Redis is away every pass fails: passes back off (doubling, to 5 s) and a
    // failure is logged once, then every 30 s, instead of twice a second.
    let failures = 0;
    let lastWarnAt = 0;
    const failed = (what: string) => (e: Error) => {
      failures++;
      if (failures === 1 || Date.now() - lastWarnAt >= 30_000) {
        lastWarnAt = Date.now();
        this.log.warn(`${what}: ${e.message}`);
      }
    };
    const sweep = () => {
      if (this.stopped) return;
      const failuresBefore = failures;
      this.sweepOnce()
        .catch(failed('sweep'))
        // Bounded per pass (10 batches of 500): a removed owner with many deliveries takes several passes.
        .then(() => this.collector.collectRemovedOwners())
        .catch(failed('delivery garbage collection'))
        .then(() => this.reviveEvaluationsWhenDue())
        .catch(failed('evaluation revival'))
        .finally(() => {
          if (failures === failuresBefore) failures = 0;
          this.sweepTimer = setTimeout(sweep, failures === 0 ? 500 : Math.min(5000, 500 * 2 ** Math.min(failures, 10)));
        });
    };
    sweep();
  }

  /** Idempotent: done at boot and again with each revival pass, as a Redis restart loses the schedule too. */
  private schedulePrune(): void {
    this.maintenance
      .upsertJobScheduler('prune-hourly', { every: 3600_000 }, { name: TriggerJob.Prune, data: {} })
      .catch((e: Error) => this.log.warn(`prune schedule: ${e.message}`));
  }

  private lastEvaluationRevival = Date.now();

  /** Every evaluationRevivalEveryMs: evaluation jobs lost in Redis are enqueued again (see reviveLostEvaluations). */
  private async reviveEvaluationsWhenDue(): Promise<void> {
    if (Date.now() - this.lastEvaluationRevival < evaluationRevivalEveryMs) return;
    this.lastEvaluationRevival = Date.now();
    this.schedulePrune();
    const revived = await reviveLostEvaluations(this.db, this.evaluation, evaluationRevivalAfterSeconds);
    if (revived > 0) this.log.warn(`enqueued ${revived} evaluation(s) again: their jobs were lost or had failed`);
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
        'trg-relay-changes',
      );
      const requests = await tx.query<{ id: string; namespace: string; stream: string; tag: string }>(
        // ORDER BY the column, qualified: a bare `id` names the text output column ('10' before '9': not the oldest first, and no index).
        `SELECT id::text AS id, namespace, stream, tag FROM trigger_evaluation_requests ORDER BY trigger_evaluation_requests.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
        'trg-relay-requests',
      );
      if (!changes.length && !requests.length) return 0;
      // Only the newest change of each tag in this pass becomes a job: evaluation is level-driven,
      // so the older ones would find nothing the newest does not (all rows are marked relayed).
      const newest = new Map<string, { id: string; namespace: string; stream: string; tag: string }>();
      for (const c of changes) {
        if (!c.followed) continue;
        const k = `${c.namespace}/${c.stream}/${c.tag}`;
        const seen = newest.get(k);
        if (!seen || BigInt(c.id) > BigInt(seen.id)) newest.set(k, c);
      }
      const jobs = [...[...newest.values()].map((c) => evaluationJob(c.id, c)), ...requests.map((r) => evaluationJob(`req${r.id}`, r))];
      if (jobs.length) await this.evaluation.addBulk(jobs);
      await recordOpenEvaluations(tx, jobs);
      if (changes.length) await tx.query(`UPDATE tag_changes SET relayed = true WHERE id = ANY($1::bigint[])`, [changes.map((c) => c.id)], 'trg-relay-mark');
      if (requests.length) await tx.query(`DELETE FROM trigger_evaluation_requests WHERE id = ANY($1::bigint[])`, [requests.map((r) => r.id)]);
      return changes.length + requests.length;
    });
  }

  async sweepOnce(): Promise<number> {
    const rows = await this.db.query<{ id: string; generation: number; attempts: number; target_key: string }>(
      `SELECT id, generation, attempts, target_key FROM trigger_deliveries
        WHERE state = 'pending' AND next_attempt_at < now() - interval '10 seconds'
          AND (leased_until IS NULL OR leased_until < now() - interval '10 seconds') AND NOT ${ownerPausedSql('trigger_deliveries')}
        ORDER BY next_attempt_at LIMIT 1000`,
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
