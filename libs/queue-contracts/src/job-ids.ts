import { createHash } from 'node:crypto';
import { JobName, type JobPayloads } from './queues';

/**
 * Deterministic BullMQ job ids, one builder per job name. BullMQ refuses ids that are integers or
 * contain ':'; ids that come from outside (registry event ids) are mapped by registryEventJobId.
 */
export const jobIdOf: { [N in JobName]: (data: JobPayloads[N]) => string } = {
  // The registry's event id (a UUID, stable across its retries) is the job id.
  [JobName.ProcessRegistryEvent]: (data) => registryEventJobId(data.eventId),
  // Stream uid + the newest request id: a set of claimed rows relayed again is the same job.
  [JobName.ImportImageStream]: (data) => `isi.${data.streamUid}.r${data.requestIds[data.requestIds.length - 1] ?? '0'}`,
};

const usable = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can be used verbatim as a BullMQ job id. */
export function isUsableJobId(id: string): boolean {
  return usable.test(id) && !/^\d+$/.test(id);
}

/**
 * A registry event id (any string: distribution sends UUIDs, but nothing in its envelope format
 * promises that) as a BullMQ job id: as it is when BullMQ takes it (readable in Redis), else `_`
 * and its SHA-256, which no id kept as it is can equal (those start with a letter or digit).
 */
export function registryEventJobId(eventId: string): string {
  return isUsableJobId(eventId) ? eventId : `_${createHash('sha256').update(eventId, 'utf8').digest('hex')}`;
}
