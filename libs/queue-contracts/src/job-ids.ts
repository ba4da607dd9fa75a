import { JobName, type JobPayloads } from './queues';

/**
 * Deterministic BullMQ job ids, one builder per job name. BullMQ refuses ids that are integers or
 * contain ':'; ids that come from outside (registry event ids) are checked with isUsableJobId first.
 */
export const jobIdOf: { [N in JobName]: (data: JobPayloads[N]) => string } = {
  // The registry's event id (a UUID, stable across its retries) is the job id.
  [JobName.ProcessRegistryEvent]: (data) => data.eventId,
  // Stream uid + the newest request id: a set of claimed rows relayed again is the same job.
  [JobName.ImportImageStream]: (data) => `isi.${data.streamUid}.r${data.requestIds[data.requestIds.length - 1] ?? '0'}`,
};

const usable = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can be used verbatim as a BullMQ job id. */
export function isUsableJobId(id: string): boolean {
  return usable.test(id) && !/^\d+$/.test(id);
}
