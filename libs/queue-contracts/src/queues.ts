import { type Job, UnrecoverableError } from 'bullmq';

/**
 * The job catalogue: every queue, every job name, and the payload each job carries. Producers and
 * consumers in both apps import these, so a name or a payload shape is declared exactly once.
 */
export const QueueName = {
  /** One job per stored registry notification event (manifest push, manifest delete, tag delete). */
  RegistryEvents: 'registry-events',
  /** One job per image stream whose DockerImage spec tags asked for a background import (all imported together). */
  ImageImports: 'image-imports',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  ProcessRegistryEvent: 'process-registry-event',
  ImportImageStream: 'import-image-stream',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Payload per job name. Payloads carry ids only: the Postgres row is the truth, and no secret ever rides in Redis. */
export interface JobPayloads {
  [JobName.ProcessRegistryEvent]: { eventId: string };
  /** The pending image_import_requests rows of one stream (ids, ascending) that this import settles. */
  [JobName.ImportImageStream]: { streamUid: string; requestIds: string[] };
}

/** Which jobs run on which queue; a consumer must handle every name listed for its queue. */
export const jobsOfQueue = {
  [QueueName.RegistryEvents]: [JobName.ProcessRegistryEvent],
  [QueueName.ImageImports]: [JobName.ImportImageStream],
} as const satisfies Record<QueueName, readonly JobName[]>;

export type JobsOf<Q extends QueueName> = (typeof jobsOfQueue)[Q][number];

/** A consumer's handlers for one queue: exactly one per job name (missing or extra is a type error). */
export type QueueHandlers<Q extends QueueName> = {
  [N in JobsOf<Q>]: (data: JobPayloads[N], attempt: { made: number; max: number }) => Promise<unknown>;
};

/**
 * Runs the handler for a job by its name; a name the queue does not declare can never succeed,
 * so it fails without retries.
 */
export function dispatchJob<Q extends QueueName>(handlers: QueueHandlers<Q>, job: Job): Promise<unknown> {
  const handler = (handlers as Record<string, ((data: unknown, attempt: { made: number; max: number }) => Promise<unknown>) | undefined>)[job.name];
  if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
  return handler(job.data, { made: job.attemptsMade, max: job.opts.attempts ?? 1 });
}
