import type { Queryable } from '@app/persistence';
import { type EvaluateTagChangePayload, TriggerJob, triggerJobDefaults, triggerJobId, TriggerQueue } from '@app/queue-contracts';
import type { JobsOptions, Queue } from 'bullmq';

/** The tag an evaluation looks at. */
export interface EvaluatedTag {
  namespace: string;
  stream: string;
  tag: string;
}

/** An evaluation job as the relay enqueues it: its id is deterministic, so enqueueing it again is a no-op while it exists. */
export interface EvaluationJob {
  name: (typeof TriggerJob)['EvaluateTagChange'];
  data: EvaluateTagChangePayload;
  opts: JobsOptions & { jobId: string };
}

/** The evaluation job of a tag move (`tagChangeId` its id) or of an evaluation request (`req<id>`). */
export function evaluationJob(tagChangeId: string, t: EvaluatedTag): EvaluationJob {
  return {
    name: TriggerJob.EvaluateTagChange,
    data: { tagChangeId, namespace: t.namespace, stream: t.stream, tag: t.tag },
    opts: { ...triggerJobDefaults[TriggerQueue.Evaluation], jobId: triggerJobId.evaluate(tagChangeId) },
  };
}

/** Records the jobs the relay has just enqueued, in its transaction (see the OpenEvaluations migration). */
export async function recordOpenEvaluations(tx: Queryable, jobs: EvaluationJob[]): Promise<void> {
  if (!jobs.length) return;
  await tx.query(
    `INSERT INTO trigger_open_evaluations (job_id, tag_change_id, namespace, stream, tag)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (job_id) DO UPDATE SET checked_at = now()`,
    [jobs.map((j) => j.opts.jobId), jobs.map((j) => j.data.tagChangeId), jobs.map((j) => j.data.namespace), jobs.map((j) => j.data.stream), jobs.map((j) => j.data.tag)],
    'trg-record-open-evaluations',
  );
}

/** The evaluation ran to its end: nothing is left to recover. */
export async function settleEvaluation(db: Queryable, jobId: string): Promise<void> {
  await db.query(`DELETE FROM trigger_open_evaluations WHERE job_id = $1`, [jobId], 'trg-settle-evaluation');
}

/**
 * Enqueues again the open evaluations not looked at for `afterSeconds` whose job Redis no longer
 * holds (lost with a Redis restart or flush) or that failed after their retries (Postgres away
 * longer than the backoff); one that completed without being settled is settled; one still
 * waiting or running is looked at again later. Evaluation is level-driven, so running one twice
 * fires nothing twice. Returns how many were enqueued or retried.
 */
export async function reviveLostEvaluations(db: Queryable, queue: Queue, afterSeconds: number, limit = 500): Promise<number> {
  const rows = await db.query<{ job_id: string; tag_change_id: string; namespace: string; stream: string; tag: string }>(
    `SELECT job_id, tag_change_id, namespace, stream, tag FROM trigger_open_evaluations
      WHERE checked_at < now() - make_interval(secs => $1) ORDER BY checked_at LIMIT $2`,
    [afterSeconds, limit],
  );
  let revived = 0;
  for (const r of rows) {
    const existing = await queue.getJob(r.job_id);
    const state = existing ? await existing.getState() : 'unknown';
    if (state === 'completed') {
      await settleEvaluation(db, r.job_id);
      continue;
    }
    if (state === 'unknown') {
      const job = evaluationJob(r.tag_change_id, r);
      await queue.add(job.name, job.data, job.opts);
      revived++;
    } else if (state === 'failed') {
      await existing!.retry('failed');
      revived++;
    }
    await db.query(`UPDATE trigger_open_evaluations SET checked_at = now() WHERE job_id = $1`, [r.job_id]);
  }
  return revived;
}
