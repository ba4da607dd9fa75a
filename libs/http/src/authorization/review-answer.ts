import type { ResourceInfo, WriteResult } from '@app/api-machinery';

/**
 * A review is not stored: the answer is the request's spec with the computed status, 201 as
 * upstream. Its metadata is what the create handler left of the request's (decodeReview), which
 * validation holds empty: a null creationTimestamp (kube never sets one on a review) and a
 * LocalSubjectAccessReview's namespace.
 */
export function reviewAnswer(info: ResourceInfo, spec: object, status: object, namespace = ''): Promise<WriteResult> {
  const metadata = namespace === '' ? { creationTimestamp: null } : { namespace, creationTimestamp: null };
  return Promise.resolve({ code: 201, body: { kind: info.kind, apiVersion: `${info.group}/${info.version}`, metadata, spec, status } });
}
