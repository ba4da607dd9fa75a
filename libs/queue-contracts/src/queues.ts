import { type Job, UnrecoverableError } from 'bullmq';

/**
 * The job catalogue: every queue, every job name, and the payload each job carries. Producers and
 * consumers in both apps import these, so a name or a payload shape is declared exactly once.
 */
export const QueueName = {
  /** One job per stored registry notification event (manifest push, manifest delete, tag delete). */
  RegistryEvents: 'registry-events',
  /** One job per spec tag generation that asks for a background import (from.kind DockerImage). */
  ImageImports: 'image-imports',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = {
  ProcessRegistryEvent: 'process-registry-event',
  ImportSpecTag: 'import-spec-tag',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Payload per job name. Payloads carry ids only: the Postgres row is the truth, and no secret ever rides in Redis. */
export interface JobPayloads {
  [JobName.ProcessRegistryEvent]: { eventId: string };
  /**
   * Identifies an image_import_requests row: (stream uid, tag, spec tag generation), plus the row
   * id for a scheduled re-import (several of those share one generation).
   */
  [JobName.ImportSpecTag]: { streamUid: string; tag: string; generation: number; scheduledRequest?: string };
}

/** Which jobs run on which queue; a consumer must handle every name listed for its queue. */
export const jobsOfQueue = {
  [QueueName.RegistryEvents]: [JobName.ProcessRegistryEvent],
  [QueueName.ImageImports]: [JobName.ImportSpecTag],
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
