import type { Job, Queue } from 'bullmq';
import { jobIdOf } from './job-ids';
import { jobOptionsFor, type RetryTuning } from './job-defaults';
import { type JobName, type JobPayloads, jobsOfQueue, type QueueName } from './queues';

/** The queue a job name belongs to. */
export function queueOfJob(name: JobName): QueueName {
  for (const [queue, names] of Object.entries(jobsOfQueue) as [QueueName, readonly JobName[]][]) {
    if (names.includes(name)) return queue;
  }
  throw new Error(`job ${name} belongs to no queue`);
}

/**
 * Adds a job with its deterministic id and its queue's default options. Adding an id that still
 * exists in the queue is a no-op in BullMQ, so repeats (receiver + sweeper) are harmless.
 */
export function addJob<N extends JobName>(queue: Queue, name: N, data: JobPayloads[N], tuning: RetryTuning): Promise<Job> {
  if (queue.name !== queueOfJob(name)) throw new Error(`job ${name} does not belong to queue ${queue.name}`);
  return queue.add(name, data, { ...jobOptionsFor(queueOfJob(name), tuning), jobId: jobIdOf[name](data) });
}

/** Adds many jobs of one name in one round trip (BullMQ addBulk), each with its deterministic id. */
export function addJobs<N extends JobName>(queue: Queue, name: N, data: JobPayloads[N][], tuning: RetryTuning): Promise<Job[]> {
  if (queue.name !== queueOfJob(name)) throw new Error(`job ${name} does not belong to queue ${queue.name}`);
  const opts = jobOptionsFor(queueOfJob(name), tuning);
  return queue.addBulk(data.map((d) => ({ name, data: d, opts: { ...opts, jobId: jobIdOf[name](d) } })));
}
