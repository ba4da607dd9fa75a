import { type DeliverBatchPayload, type DeliverPayload, TriggerJob, triggerJobDefaults, triggerJobId, TriggerQueue } from '@app/queue-contracts';

/** The delivery queue's jobs, as the relay's sweeper and the processors enqueue them. */
export function deliverJob(p: DeliverPayload, delay = 0) {
  return { name: TriggerJob.Deliver, data: p, opts: { ...triggerJobDefaults[TriggerQueue.Delivery], jobId: triggerJobId.deliver(p), delay } };
}

/**
 * First attempts go out in batches of this many deliveries (one claim and one record statement,
 * and one BullMQ job, each): a tag's 100 triggers are one batch.
 */
export const deliverBatchSize = 100;

export function deliverBatchJobs(ids: string[]) {
  const jobs = [];
  for (let i = 0; i < ids.length; i += deliverBatchSize) {
    const data: DeliverBatchPayload = { deliveryIds: ids.slice(i, i + deliverBatchSize) };
    jobs.push({ name: TriggerJob.DeliverBatch, data, opts: { ...triggerJobDefaults[TriggerQueue.Delivery], jobId: triggerJobId.deliverBatch(data) } });
  }
  return jobs;
}
