import { Logger } from '@nestjs/common';
import { type Job, Queue, Worker } from 'bullmq';
import type { Database } from '@app/persistence';
import {
  addJobs,
  dispatchJob,
  JobName,
  jobsOfQueue,
  type QueueHandlers,
  QueueName,
  redisConnectionOptions,
  type RetryTuning,
  workerOptionsFor,
} from '@app/queue-contracts';
import type { ImportConfig } from '@app/config';
import type { ImportRequest, ImportRequestsRepository } from './import-requests.repository';
import type { StreamImporter } from './stream-importer';

const RELAY_BATCH = 100;
/** A request enqueued this long ago and still not settled lost its job (Redis data loss): enqueue again. */
const REQUEUE_AFTER_MS = 10 * 60_000;
const CLEANUP_EVERY_MS = 60_000;
const SETTLED_RETENTION_S = 24 * 3600;
const tuning: RetryTuning = { attempts: 5, backoffMs: 1000 };

/** Claimed requests by stream, in order of their oldest request: one import job each. */
function byStream(requests: ImportRequest[]): { streamUid: string; requestIds: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const r of requests) {
    const ids = groups.get(r.streamUid);
    if (ids) ids.push(r.id);
    else groups.set(r.streamUid, [r.id]);
  }
  return [...groups].map(([streamUid, requestIds]) => ({ streamUid, requestIds }));
}

/**
 * The worker side of background imports: a relay that moves pending image_import_requests rows
 * into the image-imports queue (rows stay pending while Redis is away), one job per stream for
 * the rows it claimed, and the BullMQ consumer that runs each stream import. Job ids are
 * deterministic (stream uid, newest request id), so rows relayed twice are one job.
 */
export class ImageImportWorker {
  private readonly logger = new Logger('ImageImportWorker');
  private worker: Worker | null = null;
  private readonly queue: Queue;
  private timer: NodeJS.Timeout | null = null;
  private relaying: Promise<void> | null = null;
  private lastCleanup = 0;
  private lastSchedule = 0;
  private readonly handlers: QueueHandlers<typeof QueueName.ImageImports>;

  constructor(
    private readonly config: ImportConfig,
    private readonly redisUrl: string,
    private readonly db: Database,
    private readonly requests: ImportRequestsRepository,
    importer: StreamImporter,
  ) {
    this.handlers = {
      [JobName.ImportImageStream]: async (data, attempt) => {
        try {
          return await importer.run(data.streamUid, data.requestIds);
        } catch (e) {
          if (attempt.made + 1 >= attempt.max) await importer.giveUp(data.requestIds, (e as Error).message);
          throw e;
        }
      },
    };
    for (const name of jobsOfQueue[QueueName.ImageImports]) {
      if (typeof this.handlers[name] !== 'function') throw new Error(`no handler for job ${name} on ${QueueName.ImageImports}`);
    }
    this.queue = new Queue(QueueName.ImageImports, { connection: redisConnectionOptions(redisUrl, 'producer'), prefix: config.queuePrefix });
    this.queue.on('error', () => undefined);
  }

  start(): void {
    this.worker = new Worker(QueueName.ImageImports, (job: Job) => this.run(job), {
      connection: redisConnectionOptions(this.redisUrl, 'worker'),
      prefix: this.config.queuePrefix,
      ...workerOptionsFor(QueueName.ImageImports, this.config.workerConcurrency),
    });
    this.worker.on('error', (e) => this.logger.warn(`image-imports worker: ${e.message}`));
    // While Postgres or Redis is away every pass fails: passes back off (doubling, to 5 s) and the
    // failure is logged once, then every 30 s, instead of at the relay's pace.
    let failures = 0;
    let lastWarnAt = 0;
    const tick = () => {
      this.relaying = this.relay()
        .then(() => {
          if (failures > 0) this.logger.log(`import relay recovered after ${failures} failed pass(es)`);
          failures = 0;
        })
        .catch((e: unknown) => {
          failures++;
          if (failures === 1 || Date.now() - lastWarnAt >= 30_000) {
            lastWarnAt = Date.now();
            this.logger.warn(`import relay failed (${failures} pass(es) in a row): ${(e as Error).message}`);
          }
        })
        .finally(() => {
          this.relaying = null;
          const delay = failures === 0 ? this.config.relayIntervalMs : Math.min(5000, this.config.relayIntervalMs * 2 ** Math.min(failures, 10));
          if (this.timer) this.timer = setTimeout(tick, delay);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /**
   * One relay pass: record due scheduled re-imports (every SCHEDULE_TICK, rate-limited per
   * stream), claim pending rows, enqueue one job per stream in one round trip, put them back if
   * Redis refused.
   */
  async relay(): Promise<number> {
    const { scheduledIntervalSeconds: interval, scheduledPerMinute: perMinute } = this.config;
    // The schedule is looked at a few times per interval (at most every 30 s), never faster than each second.
    const tickMs = Math.max(1000, Math.min(30_000, (interval * 1000) / 4));
    if (interval > 0 && Date.now() - this.lastSchedule >= tickMs) {
      this.lastSchedule = Date.now();
      await this.requests.scheduleDue(this.db, interval, Math.max(1, Math.ceil((perMinute * tickMs) / 60_000)));
    }
    const claimed = await this.requests.claim(this.db, RELAY_BATCH, REQUEUE_AFTER_MS);
    if (claimed.length) {
      try {
        await addJobs(this.queue, JobName.ImportImageStream, byStream(claimed), tuning);
      } catch (e) {
        await this.requests.unclaim(this.db, claimed.map((r) => r.id));
        throw e;
      }
    }
    if (Date.now() - this.lastCleanup > CLEANUP_EVERY_MS) {
      this.lastCleanup = Date.now();
      await this.requests.deleteSettled(this.db, SETTLED_RETENTION_S);
    }
    return claimed.length;
  }

  private run(job: Job): Promise<unknown> {
    return dispatchJob(this.handlers, job);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.relaying;
    await this.worker?.close();
    await this.queue.close().catch(() => undefined);
  }
}
