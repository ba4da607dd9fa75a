import { randomBytes, randomUUID } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import { loadTriggerConfig } from '@app/config';
import type { Database } from '@app/persistence';
import { redisConnectionOptions, triggerJobId, TriggerQueue } from '@app/queue-contracts';
import { reviveLostEvaluations, TriggerRelay } from '@app/triggers';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * The relay's and the sweeper's Redis side, driven directly against real Postgres and Redis.
 * The delivery sweeper: a pending delivery overdue in Postgres gets a live job again even when
 * Redis still holds a finished job under the same deterministic id (BullMQ would dedupe the add).
 * The relay: only moves of tags something follows become evaluation jobs, and an evaluation whose
 * job Redis lost (or that failed for good) is enqueued again from Postgres.
 */
describe('trigger relay and delivery sweeper', () => {
  const prefix = `sweep${randomBytes(4).toString('hex')}`;
  const connection = redisConnectionOptions(redisUrl, 'worker');
  let testDb: OpenTestDatabase;
  let db: Database;
  const queues: Record<string, Queue> = {};

  beforeAll(async () => {
    testDb = await openTestDatabase();
    db = testDb.db;
    for (const name of [TriggerQueue.Evaluation, TriggerQueue.Delivery, TriggerQueue.Maintenance]) queues[name] = new Queue(name, { connection, prefix });
  });
  afterAll(async () => {
    for (const q of Object.values(queues)) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await testDb?.close();
  });

  /** A pending delivery whose next attempt (attempt 2) is a minute overdue. */
  const overdueDelivery = async (id: string) => {
    await db.query(
      `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event, attempts, next_attempt_at)
       VALUES ($1, $1, 'demo', 'Trigger', 't', $2, $3, 'http://127.0.0.1:9/', 'http://127.0.0.1:9', '{}', 1, now() - interval '1 minute')`,
      [id, randomUUID(), `sha256:${'a'.repeat(64)}`],
    );
    return triggerJobId.deliver({ deliveryId: id, generation: 1, attempt: 2 });
  };

  /** Runs one job under `jobId` to the end (completed or failed) with a throwaway worker. */
  const finishedJob = async (jobId: string, deliveryId: string, outcome: 'completed' | 'failed') => {
    const delivery = queues[TriggerQueue.Delivery]!;
    await delivery.add('deliver', { deliveryId, generation: 1, attempt: 2 }, { jobId, attempts: 1, removeOnComplete: false, removeOnFail: false });
    const worker = new Worker(
      TriggerQueue.Delivery,
      async (job: Job) => {
        if (job.id === jobId && outcome === 'failed') throw new Error('receiver gone');
        return 'done';
      },
      { connection, prefix },
    );
    const deadline = Date.now() + 10000;
    while ((await delivery.getJobState(jobId)) !== outcome && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    expect(await delivery.getJobState(jobId)).toBe(outcome);
  };

  it('replaces a completed job and retries a failed one, each carrying the next attempt', async () => {
    const completedId = await overdueDelivery('msg_sweep_completed');
    const failedId = await overdueDelivery('msg_sweep_failed');
    await finishedJob(completedId, 'msg_sweep_completed', 'completed');
    await finishedJob(failedId, 'msg_sweep_failed', 'failed');

    const relay = new TriggerRelay(db, loadTriggerConfig({}), queues[TriggerQueue.Evaluation]!, queues[TriggerQueue.Delivery]!, queues[TriggerQueue.Maintenance]!);
    expect(await relay.sweepOnce()).toBe(2);

    const delivery = queues[TriggerQueue.Delivery]!;
    for (const [jobId, deliveryId] of [
      [completedId, 'msg_sweep_completed'],
      [failedId, 'msg_sweep_failed'],
    ] as const) {
      expect(await delivery.getJobState(jobId)).toBe('waiting');
      const job = await delivery.getJob(jobId);
      expect(job?.data).toMatchObject({ deliveryId, generation: 1, attempt: 2 });
    }
  });
  it('relays every tag move but queues evaluation only for tags a trigger or workload follows', async () => {
    const move = async (stream: string) => {
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
         VALUES ('relay', $1, $2, 'latest', NULL, $3, $4, 'mapping') RETURNING id::text AS id`,
        [stream, randomUUID(), `sha256:${'b'.repeat(64)}`, `r.test/relay/${stream}@sha256:${'b'.repeat(64)}`],
      );
      return row!.id;
    };
    await db.query(
      `INSERT INTO trigger_subscriptions (owner_uid, kind, namespace, name, from_namespace, stream, tag)
       VALUES ($1, 'Trigger', 'relay', 'watcher', 'relay', 'followed', 'latest')`,
      [randomUUID()],
    );
    const followed = await move('followed');
    const unfollowed = await move('unfollowed');
    const relay = new TriggerRelay(db, loadTriggerConfig({}), queues[TriggerQueue.Evaluation]!, queues[TriggerQueue.Delivery]!, queues[TriggerQueue.Maintenance]!);
    expect(await relay.relayOnce()).toBe(2);

    const rows = await db.query<{ id: string; relayed: boolean }>(`SELECT id::text AS id, relayed FROM tag_changes WHERE namespace = 'relay' ORDER BY id`);
    expect(rows).toEqual([
      { id: followed, relayed: true },
      { id: unfollowed, relayed: true },
    ]);
    const evaluation = queues[TriggerQueue.Evaluation]!;
    expect(await evaluation.getJob(triggerJobId.evaluate(followed))).toBeDefined();
    expect(await evaluation.getJob(triggerJobId.evaluate(unfollowed))).toBeUndefined();
  });

  it('an evaluation whose job Redis lost, or that failed after its retries, is enqueued again; a completed one is settled', async () => {
    const evaluation = queues[TriggerQueue.Evaluation]!;
    const relay = new TriggerRelay(db, loadTriggerConfig({}), evaluation, queues[TriggerQueue.Delivery]!, queues[TriggerQueue.Maintenance]!);
    const followedMove = async (stream: string) => {
      await db.query(
        `INSERT INTO trigger_subscriptions (owner_uid, kind, namespace, name, from_namespace, stream, tag) VALUES ($1, 'Trigger', 'revive', $2, 'revive', $2, 'latest')`,
        [randomUUID(), stream],
      );
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
         VALUES ('revive', $1, $2, 'latest', NULL, $3, $4, 'mapping') RETURNING id::text AS id`,
        [stream, randomUUID(), `sha256:${'c'.repeat(64)}`, `r.test/revive/${stream}@sha256:${'c'.repeat(64)}`],
      );
      return triggerJobId.evaluate(row!.id);
    };
    const [lost, failed, completed, waiting] = [await followedMove('lost'), await followedMove('failed'), await followedMove('completed'), await followedMove('waiting')];
    expect(await relay.relayOnce()).toBeGreaterThanOrEqual(4);
    const open = async () => (await db.query<{ job_id: string }>(`SELECT job_id FROM trigger_open_evaluations ORDER BY job_id`)).map((r) => r.job_id);
    expect(await open()).toEqual(expect.arrayContaining([lost, failed, completed, waiting]));

    // Redis loses one job (a restart without persistence); one fails for good; one completes but
    // its settling never commits (the worker died right after).
    await (await evaluation.getJob(lost))!.remove();
    const worker = new Worker(
      TriggerQueue.Evaluation,
      async (job: Job) => {
        if (job.id === failed) throw new Error('the storage backend is unavailable');
        return 0;
      },
      { connection, prefix },
    );
    const deadline = Date.now() + 10000;
    while (((await evaluation.getJobState(failed)) !== 'failed' || (await evaluation.getJobState(completed)) !== 'completed') && Date.now() < deadline) {
      // The failed job's backoff (500 ms doubling) would take minutes over 10 attempts: fail it at once.
      const job = await evaluation.getJob(failed);
      if ((await job?.getState()) === 'delayed') await job!.promote().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.close();
    expect([await evaluation.getJobState(failed), await evaluation.getJobState(completed)]).toEqual(['failed', 'completed']);
    // A job still waiting (re-added below, as the worker took it) is left alone.
    await evaluation.add('evaluate-tag-change', { tagChangeId: waiting.slice(5), namespace: 'revive', stream: 'waiting', tag: 'latest' }, { jobId: waiting });
    if ((await evaluation.getJobState(waiting)) === 'completed') {
      await (await evaluation.getJob(waiting))!.remove();
      await evaluation.add('evaluate-tag-change', { tagChangeId: waiting.slice(5), namespace: 'revive', stream: 'waiting', tag: 'latest' }, { jobId: waiting });
    }

    // Nothing is looked at before it has been open for the grace period.
    expect(await reviveLostEvaluations(db, evaluation, 60)).toBe(0);
    await db.query(`UPDATE trigger_open_evaluations SET checked_at = now() - interval '2 minutes'`);
    expect(await reviveLostEvaluations(db, evaluation, 60)).toBe(2);
    expect(await evaluation.getJobState(lost)).toBe('waiting');
    expect((await evaluation.getJob(lost))!.data).toMatchObject({ namespace: 'revive', stream: 'lost', tag: 'latest' });
    expect(await evaluation.getJobState(failed)).toBe('waiting');
    expect(await evaluation.getJobState(waiting)).toBe('waiting');
    expect(await open()).not.toContain(completed);
    expect(await open()).toEqual(expect.arrayContaining([lost, failed, waiting]));
    // Looked at just now: not again until the grace period has passed once more.
    expect(await reviveLostEvaluations(db, evaluation, 60)).toBe(0);
  });
});
