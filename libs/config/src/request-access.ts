import { AsyncLocalStorage } from 'node:async_hooks';

/** The attributes of one access question, as a SubjectAccessReview's resourceAttributes. */
export interface AccessQuestion {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** The answer, as a review's status: allowed, and why (the reason a Forbidden error quotes). */
export interface AccessAnswer {
  allowed: boolean;
  reason: string;
}

/**
 * Who an authenticated API request comes from and what that caller may do: for the checks a
 * write makes on the caller's behalf beyond the route's own authorization (OpenShift's stream
 * strategy asks a SubjectAccessReview for the caller before it tags an image from another
 * namespace). Absent for server-made writes and when API authentication is off.
 */
export interface RequestAccess {
  user: string;
  can(question: AccessQuestion): AccessAnswer;
}

const storage = new AsyncLocalStorage<RequestAccess>();

/** Runs `fn` (a request's handler) with `access` as its caller. */
export function runWithRequestAccess(access: RequestAccess, fn: () => void): void {
  storage.run(access, fn);
}

/** The caller of the request being handled, if it was authenticated. */
export function currentRequestAccess(): RequestAccess | undefined {
  return storage.getStore();
}

/**
 * What OpenShift's stream strategy (TagVerifier) asks before a write reads another namespace's
 * stream on the caller's behalf: may the caller pull it (`get imagestreams/layers`)? Null when
 * allowed, or when there is no caller (server-made writes); else the Forbidden detail worded as
 * upstream's, `<ns>/<stream>: "<reason>" "<evaluationError>"`.
 */
export function sourcePullRefusal(namespace: string, stream: string): string | null {
  const access = currentRequestAccess();
  if (!access) return null;
  const answer = access.can({ verb: 'get', group: 'image.openshift.io', resource: 'imagestreams', subresource: 'layers', namespace, name: stream });
  return answer.allowed ? null : `${namespace}/${stream}: ${JSON.stringify(answer.reason)} ""`;
}
