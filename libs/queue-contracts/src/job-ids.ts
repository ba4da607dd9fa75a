import { JobName, type JobPayloads } from './queues';

/**
 * Deterministic BullMQ job ids, one builder per job name. BullMQ refuses ids that are integers or
 * contain ':'; ids that come from outside (registry event ids) are checked with isUsableJobId first.
 */
export const jobIdOf: { [N in JobName]: (data: JobPayloads[N]) => string } = {
  // The registry's event id (a UUID, stable across its retries) is the job id.
  [JobName.ProcessRegistryEvent]: (data) => data.eventId,
  // Tag names are not validated server-side: any character outside the job-id alphabet is hex-escaped.
  [JobName.ImportSpecTag]: (data) =>
    `isi.${data.streamUid}.${jobIdPart(data.tag)}.g${data.generation}${data.scheduledRequest ? `.s${data.scheduledRequest}` : ''}`,
};

function jobIdPart(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : `x${Buffer.from(value, 'utf8').toString('hex')}`;
}

const usable = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can be used verbatim as a BullMQ job id. */
export function isUsableJobId(id: string): boolean {
  return usable.test(id) && !/^\d+$/.test(id);
}
