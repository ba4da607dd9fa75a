import type { UserInfo } from '@app/api-machinery';
import { type AccessPolicy, type AccessQuestion, runWithRequestAccess, subjectsOf } from '@app/config';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../authentication/api-authentication';
import { authorize } from './api-authorizer';
import { registryAccessStatus, registryActionOf } from './registry-access';

/**
 * What the authenticated `caller` may do, as the access reviews answer it (see
 * SelfSubjectAccessReviewHandler): with API_AUTHORIZATION=Policy the API's own decision; otherwise
 * the registry's questions (pull and push on imagestreams/layers) from the user's grants, and
 * everything else allowed, as the API then authorizes no verb.
 */
export function callerAnswer(policy: AccessPolicy, authorizeByPolicy: boolean, caller: UserInfo, q: AccessQuestion) {
  const subjects = subjectsOf(caller);
  if (authorizeByPolicy) return authorize(policy, subjects, { resourceRequest: true, path: '', version: 'v1', ...q });
  const action = registryActionOf({ ...q });
  if (action) return registryAccessStatus(policy, subjects, action, { namespace: q.namespace });
  return { allowed: true, reason: 'the API authorizes no verb (API_AUTHORIZATION=AlwaysAllow)' };
}

/**
 * Runs each authenticated request's handler with its caller's access (RequestAccess), for the
 * checks writes make on the caller's behalf. A preHandler hook: it wraps the handler itself,
 * after the body is read, so the caller is known for the whole of the handler's async work.
 */
export function bindRequestAccess(fastify: FastifyInstance, policy: AccessPolicy, authorizeByPolicy: boolean): void {
  fastify.addHook('preHandler', (req, _reply, done) => {
    const caller = callerOf(req);
    if (caller === undefined) return done();
    runWithRequestAccess({ user: caller.username, can: (q) => callerAnswer(policy, authorizeByPolicy, caller, q) }, done);
  });
}
