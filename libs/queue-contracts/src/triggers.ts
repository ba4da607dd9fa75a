import type { JobsOptions } from 'bullmq';

/**
 * Trigger pipeline queues: relay (tag_changes outbox) → evaluation (fan-out) → delivery.
 * Every job id is deterministic so a repeated enqueue of the same work is a no-op while the
 * job exists; Postgres rows (tag_changes.relayed, trigger_deliveries) are the durable dedupe.
 */
export const TriggerQueue = {
  Evaluation: 'trigger-evaluation',
  Delivery: 'trigger-delivery',
  Maintenance: 'trigger-maintenance',
} as const;
export type TriggerQueueName = (typeof TriggerQueue)[keyof typeof TriggerQueue];

export const TriggerJob = {
  /** Evaluate the triggers that follow the tag moved by one tag_changes row. */
  EvaluateTagChange: 'evaluate-tag-change',
  /** One HTTP attempt of one delivery. */
  Deliver: 'deliver',
  /** First attempts of the deliveries one evaluation page created, in one job (few round trips per delivery). */
  DeliverBatch: 'deliver-batch',
  /** Prune the feed and old attempts; re-enqueue deliveries whose job went missing. */
  Prune: 'prune',
  Sweep: 'sweep',
} as const;
export type TriggerJobName = (typeof TriggerJob)[keyof typeof TriggerJob];

export interface EvaluateTagChangePayload {
  tagChangeId: string;
  namespace: string;
  stream: string;
  tag: string;
}

export interface DeliverPayload {
  deliveryId: string;
  /** Redrive generation and attempt number: part of the job id, so each attempt is its own job. */
  generation: number;
  attempt: number;
  /** Receiver origin, when known: a busy target is detected without reading Postgres. */
  target?: string;
}

export interface DeliverBatchPayload {
  deliveryIds: string[];
}

export interface TriggerJobPayloads {
  [TriggerJob.EvaluateTagChange]: EvaluateTagChangePayload;
  [TriggerJob.Deliver]: DeliverPayload;
  [TriggerJob.DeliverBatch]: DeliverBatchPayload;
  [TriggerJob.Prune]: Record<string, never>;
  [TriggerJob.Sweep]: Record<string, never>;
}

/** Job ids: no ':' (BullMQ reserves it) and never all digits. */
export const triggerJobId = {
  evaluate: (tagChangeId: string) => `eval-${tagChangeId}`,
  deliver: (p: DeliverPayload) => `dlv-${p.deliveryId}-g${p.generation}-a${p.attempt}`,
  /** Delivery ids are deterministic, so the same page of the same evaluation gets the same batch id. */
  deliverBatch: (p: DeliverBatchPayload) => `dlvb-${p.deliveryIds[0] ?? 'none'}-n${p.deliveryIds.length}`,
};

/** Default options per queue. Retries of deliveries are scheduled by the delivery service (own attempt budget). */
export const triggerJobDefaults: Record<TriggerQueueName, JobsOptions> = {
  [TriggerQueue.Evaluation]: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  [TriggerQueue.Delivery]: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 50000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  [TriggerQueue.Maintenance]: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
};
