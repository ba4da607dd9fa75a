import type { TriggerConfig } from '@app/config';
import { type Database, noteChange } from '@app/persistence';
import type { DeliverPayload } from '@app/queue-contracts';
import { finished } from 'node:stream/promises';
import { Agent, type Dispatcher, request } from 'undici';
import { attemptClockIso, wallClockMs } from './attempt-clock';
import { AttemptDeadline, AttemptTimeoutError } from './attempt-deadline';
import { claimSql, type ClaimedRow, type DeliveryRow, dueSql } from './delivery-claim';
import { deliveryRequestHeaders } from './delivery-headers';
import { logAttemptOutcome } from './delivery-log';
import { type DeliveryState, recordDeliveryAttempt } from './delivery-metrics';
import { deliveryChangesSql, versionDeliveries } from './delivery-versions';
import { ownersStillDeadLettered, type PermanentFailure, recordOutcomeOnTrigger, settleDeadLetter } from './dead-letter-condition';
import { SigningSecretError } from './signing';
import { AddressPolicy, SsrfError } from './ssrf';
import { retryAfterMs } from './retry-after';
import { BatchSendQueue } from './batch-send-queue';
import { BatchSigningRefresh } from './batch-signing-refresh';
import { OutcomeRecorder } from './outcome-recorder';
import { outcomeWriteDeadline, writeOutcome } from './outcome-write';
import { replayWaitMs } from './redrive-order';
import { OwnerSendOrder } from './owner-send-order';
import { deadLetterIfSuperseded, NOT_SENT_SUPERSEDED, withdrawIfSuperseded } from './superseded-retry';
import { backoffMs, TargetLimiter, targetPauseMs } from './target-limiter';
import { followOwnerUrl } from './owner-url';

export type { DeliveryRow } from './delivery-claim';

/** What the queue layer should do after an attempt. */
export type AttemptOutcome =
  | { kind: 'done' }
  | { kind: 'busy'; retryInMs: number }
  /** `target`: the receiver the next attempt goes to (the owner's URL may have moved it). */
  | { kind: 'retry'; attempt: number; delayMs: number; target: string }
  | { kind: 'dead' };

/** Follow-up jobs of a batch: retries with backoff, and deliveries the batch did not get to send. */
export interface BatchOutcome {
  sent: number;
  delivered: number;
  followUps: { payload: DeliverPayload; delayMs: number }[];
}

const permanentStatus = (code: number) => code >= 400 && code < 500 && ![408, 425, 429].includes(code);

/** How long a batch waits for a slot of a busy target before handing its deliveries to their own jobs. */
const batchSlotWaitMs = 1000;
/** How often a batch looks again for a free target slot when every row left waits for one. */
const batchSlotPollMs = 20;
/** How much of a receiver's answer body is read; the rest is not waited for (see drainBody). */
const answerBodyLimit = 128 * 1024;
/** Delivery statements in flight on the shared pool at once (see withDb). */
const deliveryDbSlots = 4;
/**
 * How old a batch row's signing keys and headers may be when it is sent (see BatchSigningRefresh):
 * rows sent at once after their claim read nothing more; one read serves all rows still waiting.
 */
const batchSigningFreshMs = 200;
/** Deliveries of a batch claimed first, on their own (see deliverBatch). */
const batchHeadSize = 16;
/** Parallel POSTs of one batch job (each still takes a per-target slot). */
const batchParallelism = 32;

interface BatchRecord {
  id: string;
  attempt_id: string;
  sent: boolean;
  state: 'delivered' | 'dead' | 'pending';
  delay_ms: number;
  status_code?: number | null;
  latency?: number;
  error: string | null;
  started?: string;
  finished?: string;
  permanent?: PermanentFailure | null;
  /** Not sent: a newer fire of its owner went first (see owner-send-order.ts). */
  superseded?: boolean;
}

/** A batch record with the row's new URL and target when the send followed its owner's URL (owner-url.ts); else as it is. */
function withRetarget(record: BatchRecord, row: DeliveryRow | undefined): BatchRecord & { url?: string; target_key?: string; claims?: number } {
  const fenced = { ...record, claims: row?.claims };
  return row?.retargeted ? { ...fenced, url: row.url, target_key: row.target_key } : fenced;
}

interface SendResult {
  statusCode: number | null;
  error: string | null;
  permanent: PermanentFailure | null;
  latency: number;
  /** When the exchange began and ended (this process's clock, microseconds): the attempt row's times. */
  startedAt: string;
  finishedAt: string;
  /** The receiver's Retry-After on a failed answer, in ms (null when it sent none). */
  retryAfterMs: number | null;
}

/**
 * HTTP attempts of deliveries: sign, POST, record the attempt (time, status, latency, error),
 * then mark delivered, schedule the next attempt with backoff, or dead-letter it. The body is
 * the stored event, byte-identical on every attempt, and `webhook-id` is the delivery id, so a
 * receiver dedupes retries and crash re-runs by it.
 *
 * First attempts run in batches (`deliverBatch`): two statements claim the batch (its first rows
 * and the rest) and record every attempt as started; outcomes are recorded a few statements per
 * batch. Retries and redrives run one delivery per job (`attempt`). Both paths share `post`.
 */
export class DeliveryService {
  readonly policy: AddressPolicy;
  readonly limiter: TargetLimiter;
  private readonly agent: Agent;
  /** One owner's fires reach its receiver oldest first, one at a time (see owner-send-order.ts). */
  private readonly sendOrder = new OwnerSendOrder();
  private dbActive = 0;
  private readonly dbWaiting: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly config: TriggerConfig,
  ) {
    this.policy = new AddressPolicy(config.allowedCidrs, config.allowedHosts);
    this.limiter = new TargetLimiter(config.targetConcurrency, config.targetRatePerSecond);
    this.agent = new Agent({
      connect: { lookup: this.policy.connectLookup(), timeout: config.deliveryTimeoutMs },
      keepAliveTimeout: 10_000,
      connections: config.targetConcurrency,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * At most `deliveryDbSlots` delivery statements use the shared pool at once. Delivery jobs run
   * many at a time (each mostly waiting on HTTP); unbounded, they queued for every pool client and
   * starved the other users of the worker's pool (registry ingestion, evaluation, the relay).
   */
  private async withDb<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dbActive >= deliveryDbSlots) await new Promise<void>((r) => this.dbWaiting.push(r));
    else this.dbActive++;
    try {
      return await fn();
    } finally {
      const next = this.dbWaiting.shift();
      if (next) next();
      else this.dbActive--;
    }
  }

  async attempt(id: string, generation: number, attempt: number, target?: string): Promise<AttemptOutcome> {
    // A busy target is known before any read: a delayed job costs no Postgres round trip.
    const wait = target ? this.limiter.wouldWait(target) : 0;
    if (wait > 0) return { kind: 'busy', retryInMs: wait };
    const slot = target ? this.limiter.tryAcquire(target) : null;
    if (slot && 'retryInMs' in slot) return { kind: 'busy', retryInMs: slot.retryInMs };
    let held = slot;
    try {
      // A redriven delivery waits for the earlier fires of its owner redriven with it (see redrive-order.ts).
      // (First fires have nothing to wait for: no statement, no pool slot.)
      const replayWait = generation > 1 ? await this.withDb(() => replayWaitMs(this.db, id, generation)) : null;
      if (replayWait !== null) return { kind: 'busy', retryInMs: replayWait };
      // A later fire of the owner went out first: this older one is not sent (see superseded-retry.ts).
      if (await this.withDb(() => deadLetterIfSuperseded(this.db, id, generation))) {
        noteChange(this.db);
        return { kind: 'dead' };
      }
      // Claim and start the attempt in one statement. Not claimable: delivered, dead, superseded
      // by a redrive, this attempt already made, or leased by an attempt in flight elsewhere (a
      // batch job BullMQ re-ran after a crash, while the sweeper also queued this one): done here.
      const claimedAt = Date.now();
      const [d] = await this.withDb(() => this.db.query<ClaimedRow>(
        claimSql(`id = $1 AND generation = $2 AND attempts < $3 AND ${dueSql}`, '$3', '$4'),
        [id, generation, attempt, this.config.jobLockMs],
        'trg-delivery-claim',
      ));
      if (!d) {
        noteUnclaimed(this.db);
        return { kind: 'done' };
      }
      // The owner's URL changed since the fire: the slot held was for the old receiver.
      if (followOwnerUrl(d) && held) {
        held.release();
        held = null;
      }
      if (!held) {
        const late = this.limiter.tryAcquire(d.target_key);
        if ('retryInMs' in late) {
          // Jobs without a target name (older payloads) learn it here: give the claim back.
          await this.withDb(() => this.db.query(`WITH w AS (DELETE FROM trigger_delivery_attempts WHERE id = $2) UPDATE trigger_deliveries SET leased_until = NULL WHERE id = $1`, [d.id, d.attempt_id]));
          return { kind: 'busy', retryInMs: late.retryInMs };
        }
        held = late;
      }
      const started = { id: d.attempt_id };
      // A retry the database's rule let through still waits for a POST of its owner in flight here.
      const ordered = (await this.sendOrder.enter(d.owner_uid, d.seq, false)) as () => void;
      // That rule ran before the claim: a newer fire due at the same moment (both held by a
      // Retry-After pause) may have started here since, and been answered while this one waited.
      // Asked again then (a first fire only; a redriven one is replayed in order or named): sent
      // after it, the older image reached the receiver last.
      let r: SendResult;
      try {
        if (d.generation === 1 && this.sendOrder.newerStarted(d.owner_uid, d.seq) && (await this.withDb(() => withdrawIfSuperseded(this.db, d.id, d.attempt_id)))) {
          noteChange(this.db);
          return { kind: 'dead' };
        }
        r = await this.post(d);
      } finally {
        ordered();
      }
      this.pauseTarget(d.target_key, r);
      const next = this.nextState(d, r, attempt);
      let deadLettered = false;
      // Recorded also after a storage blip, while the lease holds (see writeOutcome).
      const writeBy = outcomeWriteDeadline(claimedAt, this.config.jobLockMs, this.config.deliveryTimeoutMs);
      const recorded = await writeOutcome(() => this.withDb(() => this.db.transaction(async (tx) => {
        deadLettered = false; // a run again (deadlock, closed version) decides afresh
        // Fenced by the claim (claims = ours): after this sender's lease ran out another may
        // have claimed the row, sent it and recorded its answer; this late outcome then writes
        // nothing, and its attempt keeps the "interrupted" that claim closed it with.
        const moved = await tx.query<{ id: string }>(
          `UPDATE trigger_deliveries SET attempts = $2, state = $3, last_error = $4, last_status_code = $5,
                  next_attempt_at = now() + make_interval(secs => $6::float8 / 1000), leased_until = NULL,
                  delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                  dead_at = CASE WHEN $3 = 'dead' THEN now() ELSE dead_at END, url = $8, target_key = $9
            WHERE id = $1 AND generation = $7 AND claims = $10 RETURNING id`,
          [d.id, attempt, next.state, r.error, r.statusCode, next.delayMs, d.generation, d.url, d.target_key, d.claims],
        );
        if (!moved.length) return false;
        await tx.query(
          `UPDATE trigger_delivery_attempts SET started_at = $6::timestamptz, finished_at = $5::timestamptz, status_code = $2, latency_ms = $3, error = $4 WHERE id = $1`,
          [started.id, r.statusCode, r.latency, r.error, r.finishedAt, r.startedAt],
        );
        await versionDeliveries(tx, moved.map(() => ({ id: d.id, namespace: d.namespace, owner: d.owner_name, state: next.state, prevState: 'pending' })));
        if (moved.length && d.owner_kind === 'Trigger' && next.state !== 'pending') deadLettered = await recordOutcomeOnTrigger(tx, d, next.state === 'dead', r.error, r.permanent);
        return moved.length > 0;
      })), writeBy);
      if (deadLettered) await writeOutcome(() => this.withDb(() => settleDeadLetter(this.db, d)), writeBy);
      // Deleted during the POST (its owner was removed, or retention), or claimed by another
      // sender after this one's lease ran out: nothing to record or retry here.
      if (!recorded) return { kind: 'done' };
      if (next.state === 'delivered') return { kind: 'done' };
      if (next.state === 'dead') return { kind: 'dead' };
      return { kind: 'retry', attempt: attempt + 1, delayMs: next.delayMs, target: d.target_key };
    } finally {
      held?.release();
    }
  }

  /**
   * First attempts of freshly created deliveries. Two statements claim them, the first
   * `batchHeadSize` rows and the rest, on two connections at once (a lease,
   * leased_until, keeps the sweeper off while the job runs; a crashed job is re-run by BullMQ
   * after its lock expires and sends again with the same webhook-id) and record each attempt
   * as started; the POSTs run in parallel under the per-target limits (BatchSendQueue: a busy
   * target's rows wait aside while other targets' rows go ahead); outcomes are recorded as they
   * come in, a few statements per batch (OutcomeRecorder), so a delivered row does not wait for a
   * slow receiver's answer in the same batch. A target that fails or stays busy stops getting
   * POSTs from this batch: its remaining deliveries go to single jobs, which wait for the target
   * without holding a worker.
   */
  async deliverBatch(ids: string[]): Promise<BatchOutcome> {
    // The first rows are claimed on their own, so their POSTs start while the rest is claimed on
    // another connection: a claim's time grows with its rows, and the first POST waited for all
    // of them. Whatever either claim took is sent; a failed claim fails the job afterwards, and
    // its re-run claims what is left.
    const claim = (part: string[]) =>
      this.withDb(() => this.db.query<ClaimedRow>(
        // A new delivery is leased to its batch by the evaluator before anyone claimed it (claims = 0).
        claimSql(`generation = 1 AND attempts = 0 AND (claims = 0 OR (${dueSql}))`, '1', '$2', '$1::text[]'),
        [part, this.config.jobLockMs],
        'trg-delivery-batch-claim',
      )).then(
        (rows) => ({ rows, error: null }),
        (e: unknown) => ({ rows: [] as ClaimedRow[], error: e instanceof Error ? e : new Error(String(e)) }),
      );
    const claimedAt = Date.now();
    const headClaim = claim(ids.slice(0, batchHeadSize));
    const tailClaim = ids.length > batchHeadSize ? claim(ids.slice(batchHeadSize)) : null;
    // Keys and headers are read by the claim; a row that waits for its receiver reads them again.
    const signing = new BatchSigningRefresh<ClaimedRow>((sql, params) => this.withDb(() => this.db.query(sql, params)), batchSigningFreshMs);
    const head = await headClaim;
    signing.claimed(head.rows);
    let failure: Error | null = head.error;
    let claimed = head.rows.length;
    const outcome: BatchOutcome = { sent: 0, delivered: 0, followUps: [] };
    const byId = new Map(head.rows.map((d) => [d.id, d]));
    // Outcomes are recorded also after a storage blip, while the (head's, the earlier) lease holds.
    const writeBy = outcomeWriteDeadline(claimedAt, this.config.jobLockMs, this.config.deliveryTimeoutMs);
    const recorder = new OutcomeRecorder<BatchRecord>((records) => this.recordBatchOutcomes(records, byId, outcome, writeBy));
    const unsent = (d: ClaimedRow, delayMs: number): BatchRecord => ({ id: d.id, attempt_id: d.attempt_id, sent: false, state: 'pending', delay_ms: delayMs, error: null });
    // Rows are handed out while a POST begun then ends inside the claim's lease (jobLockMs is at
    // least twice the delivery timeout); later ones go to single jobs, see BatchSendQueue.
    const handOutForMs = this.config.jobLockMs - this.config.deliveryTimeoutMs;
    const queue = new BatchSendQueue(head.rows, this.limiter, batchSlotWaitMs, (d, delayMs) => recorder.add(unsent(d, delayMs)), undefined, handOutForMs);
    // The tail's rows join the queue when its claim answers; runners out of rows wait for it.
    const tail = tailClaim?.then((r) => {
      failure ??= r.error;
      claimed += r.rows.length;
      signing.claimed(r.rows);
      for (const d of r.rows) byId.set(d.id, d);
      queue.add(r.rows);
    });
    let tailPending = tail !== undefined;
    const runner = async () => {
      for (;;) {
        const next = queue.next();
        if (next === 'done') {
          if (!tailPending) return;
          await tail;
          tailPending = false;
          continue;
        }
        if (next === 'wait') {
          await new Promise((r) => setTimeout(r, batchSlotPollMs));
          continue;
        }
        const { row: d, slot } = next;
        // An older fire of the owner in flight here goes first; one newer already started makes
        // this one superseded: not sent, dead-lettered without a request (see owner-send-order.ts).
        const ordered = await this.sendOrder.enter(d.owner_uid, d.seq);
        if (ordered === 'superseded') {
          slot.release();
          recorder.add({ id: d.id, attempt_id: d.attempt_id, sent: false, state: 'dead', delay_ms: 0, error: NOT_SENT_SUPERSEDED, superseded: true });
          continue;
        }
        // A wait that left too little of the lease for the POST hands the row to a single job (as BatchSendQueue does).
        if (Date.now() - claimedAt > handOutForMs) {
          ordered();
          slot.release();
          recorder.add(unsent(d, 0));
          continue;
        }
        let r: SendResult;
        try {
          await signing.fresh(d, () => queue.pending());
          // Its slot and queue place were the old receiver's; what it sends goes to the URL the owner names now.
          followOwnerUrl(d);
          r = await this.post(d);
        } finally {
          ordered();
          slot.release();
        }
        // Paused first, so the rows the stop hands to single jobs carry the pause as their delay.
        this.pauseTarget(d.target_key, r);
        if (r.error) queue.stop(d.target_key);
        const n = this.nextState(d, r, 1);
        recorder.add({
          id: d.id,
          attempt_id: d.attempt_id,
          sent: true,
          state: n.state,
          delay_ms: n.delayMs,
          status_code: r.statusCode,
          latency: r.latency,
          error: r.error,
          started: r.startedAt,
          finished: r.finishedAt,
          permanent: r.permanent,
        });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(batchParallelism, ids.length) }, runner));
    } finally {
      // What was decided is recorded also when a runner failed (a re-run claims only the rest).
      await tail;
      await recorder.drain();
    }
    if (claimed < ids.length) noteUnclaimed(this.db);
    if (failure !== null) throw failure;
    return outcome;
  }

  /**
   * Records finished (or withdrawn, for unsent) first attempts of a batch in one statement: the
   * attempt rows, the deliveries' states and their change-log rows; then settles the triggers'
   * dead-letter conditions and adds to `outcome` what the queue layer needs.
   */
  private async recordBatchOutcomes(records: BatchRecord[], byId: Map<string, DeliveryRow>, outcome: BatchOutcome, writeBy: number): Promise<void> {
    // Successes are recorded without the triggers' locks (a fan-out touches thousands): which of
    // them must clear DeadLettered is read after this commits (see settleDeadLetter).
    const finished = await writeOutcome(() => this.withDb(() => this.db.query<{ owner_uid: string; id: string; state: 'delivered' | 'dead' }>(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, attempt_id bigint, sent boolean, state text, delay_ms float8,
                                                                   status_code int, latency int, error text, started timestamptz, finished timestamptz,
                                                                   url text, target_key text, claims int)),
            -- v carries r's columns, so the update reads one CTE (a join of r with v was a nested loop: n²)
            v AS MATERIALIZED (SELECT r.*, nextval('resource_version_seq') AS rv FROM r),
            -- An attempt another sender's claim already closed (this one's lease ran out) keeps what that claim wrote.
            fin AS (UPDATE trigger_delivery_attempts a SET started_at = r.started, finished_at = r.finished, status_code = r.status_code, latency_ms = r.latency, error = r.error
                      FROM r WHERE a.id = r.attempt_id AND r.sent AND a.finished_at IS NULL RETURNING 1),
            gone AS (DELETE FROM trigger_delivery_attempts a USING r WHERE a.id = r.attempt_id AND NOT r.sent AND a.finished_at IS NULL RETURNING 1),
            upd AS (UPDATE trigger_deliveries d SET attempts = CASE WHEN r.sent THEN 1 ELSE 0 END, state = r.state,
                           last_error = r.error, last_status_code = r.status_code,
                           next_attempt_at = now() + make_interval(secs => r.delay_ms / 1000), leased_until = NULL,
                           delivered_at = CASE WHEN r.state = 'delivered' THEN now() ELSE d.delivered_at END,
                           dead_at = CASE WHEN r.state = 'dead' THEN now() ELSE d.dead_at END,
                           url = coalesce(r.url, d.url), target_key = coalesce(r.target_key, d.target_key),
                           resource_version = r.rv
                      FROM v r WHERE d.id = r.id AND d.generation = 1 AND d.claims = r.claims
                    RETURNING d.id, d.owner_uid, d.owner_kind, r.state, d.namespace, d.owner_name),
            ch AS (${deliveryChangesSql('v', 'upd', 'MODIFIED', `'pending'`)})
       SELECT upd.owner_uid::text AS owner_uid, upd.id, upd.state FROM upd WHERE upd.owner_kind = 'Trigger' AND upd.state IN ('delivered', 'dead')`,
      [JSON.stringify(records.map((r) => withRetarget(r, byId.get(r.id))))],
      'trg-delivery-batch-record',
    )), writeBy);
    noteChange(this.db);
    const deliveredOwners = [...new Set(finished.filter((c) => c.state === 'delivered').map((c) => c.owner_uid))];
    const stillDeadLettered = await writeOutcome(() => this.withDb(() => ownersStillDeadLettered(this.db, deliveredOwners)), writeBy);
    const recordById = new Map(records.map((r) => [r.id, r]));
    for (const c of finished) {
      if (c.state === 'delivered' && !stillDeadLettered.has(c.owner_uid)) continue;
      const rec = recordById.get(c.id)!;
      // Nothing was asked of the receiver: the trigger's DeadLettered condition stays as it is.
      if (rec.superseded) continue;
      const d = byId.get(c.id)!;
      const deadLettered = await writeOutcome(() => this.withDb(() => this.db.transaction((tx) => recordOutcomeOnTrigger(tx, d, rec.state === 'dead', rec.error, rec.permanent ?? null))), writeBy);
      if (deadLettered) await writeOutcome(() => this.withDb(() => settleDeadLetter(this.db, d)), writeBy);
    }
    for (const r of records) {
      if (r.sent) outcome.sent++;
      if (r.state === 'delivered') outcome.delivered++;
      if (r.state === 'pending') {
        outcome.followUps.push({ payload: { deliveryId: r.id, generation: 1, attempt: r.sent ? 2 : 1, target: byId.get(r.id)!.target_key }, delayMs: r.delay_ms });
      }
    }
  }

  /**
   * A receiver's Retry-After on a 429 or 503 holds back every delivery to its target in this
   * process, not only the next attempt of the one that got it (see targetPauseMs).
   */
  private pauseTarget(target: string, r: SendResult): void {
    this.limiter.pause(target, targetPauseMs(r.statusCode, r.retryAfterMs, this.config.backoffBaseMs, this.config.backoffMaxMs));
  }

  /** What a sent attempt leads to (called once per attempt, so it is counted in the metrics and logged here). */
  private nextState(d: DeliveryRow, r: SendResult, attempt: number): { state: DeliveryState; delayMs: number } {
    const next = this.decideNext(r, attempt);
    recordDeliveryAttempt(next.state, r.statusCode, r.error !== null, r.latency);
    logAttemptOutcome(d, { attempt, statusCode: r.statusCode, error: r.error, latency: r.latency, permanent: r.permanent }, next.state, next.delayMs);
    return next;
  }

  private decideNext(r: SendResult, attempt: number): { state: DeliveryState; delayMs: number } {
    if (r.error === null) return { state: 'delivered', delayMs: 0 };
    if (r.permanent || attempt >= this.config.attemptBudget) return { state: 'dead', delayMs: 0 };
    // A receiver's Retry-After is honoured (Standard Webhooks), up to the longest backoff: a huge
    // value must not park a delivery for days.
    const backoff = backoffMs(attempt, this.config.backoffBaseMs, this.config.backoffMaxMs);
    return { state: 'pending', delayMs: Math.max(backoff, Math.min(r.retryAfterMs ?? 0, this.config.backoffMaxMs)) };
  }

  /** One signed POST, bounded as a whole by the delivery timeout; never throws (the outcome is data to record). */
  private async post(d: DeliveryRow): Promise<SendResult> {
    const body = d.body;
    const t0 = performance.now();
    const startedAt = attemptClockIso(wallClockMs(t0));
    const deadline = new AttemptDeadline(this.config.deliveryTimeoutMs);
    let statusCode: number | null = null;
    let error: string | null = null;
    let permanent: PermanentFailure | null = null;
    let retryAfter: number | null = null;
    try {
      const headers = deliveryRequestHeaders(d, body, Math.floor(Date.now() / 1000));
      await deadline.race(this.policy.checkCached(d.url));
      const res = await deadline.race(
        request(d.url, {
          method: 'POST',
          dispatcher: this.agent,
          headers,
          body,
          signal: deadline.signal,
          // Backstops only: the deadline above ends the attempt first.
          headersTimeout: this.config.deliveryTimeoutMs,
          bodyTimeout: this.config.deliveryTimeoutMs,
        }),
      );
      statusCode = res.statusCode;
      await deadline.race(drainBody(res.body, answerBodyLimit));
      if (statusCode < 200 || statusCode >= 300) {
        error = `receiver answered ${statusCode}`;
        // 410: the receiver wants no more messages (Standard Webhooks): the trigger's endpoint is disabled too.
        permanent = statusCode === 410 ? 'ReceiverGone' : permanentStatus(statusCode) ? 'ReceiverRejected' : null;
        retryAfter = retryAfterMs(res.headers['retry-after']);
      }
    } catch (e) {
      const err = e as Error;
      const code = (e as { code?: string }).code ?? '';
      error = e instanceof AttemptTimeoutError || /Timeout/.test(err.name) || /TIMEOUT/.test(code) ? `timed out after ${this.config.deliveryTimeoutMs} ms` : err.message;
      permanent = e instanceof SsrfError ? 'AddressNotAllowed' : e instanceof SigningSecretError ? 'SigningSecretUnavailable' : null;
    } finally {
      deadline.clear();
    }
    const t1 = performance.now();
    return { statusCode, error, permanent, latency: Math.round(t1 - t0), startedAt, finishedAt: attemptClockIso(wallClockMs(t1)), retryAfterMs: retryAfter };
  }
}

/**
 * Reads an answer's body to its end and discards it, but stops at `limit` bytes (closing the
 * connection): the status is the answer, and a receiver streaming without end must not hold the
 * attempt. A body the receiver cuts short (a reset, a close before its length) rejects, so its
 * attempt is an error and retried; undici's `dump` settled quietly then, and such a 2xx counted
 * as delivered. The deadline's signal, given to `request`, destroys the body when it passes.
 */
async function drainBody(body: Dispatcher.ResponseData['body'], limit: number): Promise<void> {
  let read = 0;
  let stopped = false;
  body.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read <= limit || stopped) return;
    stopped = true;
    body.destroy();
  });
  try {
    await finished(body);
  } catch (e) {
    // Destroyed here on purpose (undici then reports an abort): not the receiver's failure.
    if (!stopped) throw e;
  }
}

/**
 * A claim that took fewer rows than asked may have dead-lettered some for a disabled endpoint
 * (a change-log row each): wake the change feeds. Rare (duplicate jobs, disabled endpoints), and
 * NOTIFYs coalesce; without it watchers would see those changes at the feeds' next poll.
 */
function noteUnclaimed(db: Database): void {
  noteChange(db);
}

