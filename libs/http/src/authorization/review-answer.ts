import { nowTimestamp, type ResourceInfo, type WriteResult } from '@app/api-machinery';

/** A review is not stored: the answer is the request's spec with the computed status, 201 as upstream. */
export function reviewAnswer(info: ResourceInfo, spec: object, status: object): Promise<WriteResult> {
  return Promise.resolve({
    code: 201,
    body: { kind: info.kind, apiVersion: `${info.group}/${info.version}`, metadata: { creationTimestamp: nowTimestamp() }, spec, status },
  });
}
