import { ApiError } from '@app/api-machinery';
import { type AccessPolicy, AUTHENTICATED_SUBJECT } from '@app/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { everywhereRoleGrant, forbiddenError } from '../authorization/api-authorizer';
import { sendException } from '../status-exception.filter';
import { actAs, authenticatedUserOf } from './api-authentication';

const IMPERSONATE_USER = 'impersonate-user';

/** The impersonation headers other than the user's (`kubectl --as-group`, `--as-uid`, extra fields). */
function otherImpersonationHeaders(req: FastifyRequest): string[] {
  return Object.keys(req.headers).filter((h) => h.startsWith('impersonate-') && h !== IMPERSONATE_USER);
}

/**
 * kube-apiserver's impersonation filter, for users (`kubectl --as=<user>`): a caller allowed to
 * impersonate has the request handled as the named user, anyone else gets 403 `users "<name>" is
 * forbidden: User "<caller>" cannot impersonate resource "users" …`. Who may: with
 * API_AUTHORIZATION=Policy a role on every namespace (as cluster-admin may); with AlwaysAllow,
 * every authenticated user (the API authorizes no verb). Group, uid and extra impersonation are
 * refused (403): this server's identities are users only, and dropping the headers silently
 * would run the request with more rights than the client asked for. Runs after authentication
 * and before authorization, as upstream's filter does.
 */
export function applyImpersonation(fastify: FastifyInstance, policy: AccessPolicy, authorizeByPolicy: boolean): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const caller = authenticatedUserOf(req);
    const target = req.headers[IMPERSONATE_USER];
    const others = otherImpersonationHeaders(req);
    if (caller === undefined || (target === undefined && others.length === 0)) return done();
    if (others.length > 0) {
      return sendException(ApiError.forbiddenOn({ group: '', resource: 'users', kind: 'users' }, '', `impersonating with ${others.join(', ')} is not supported: only Impersonate-User is`), req, reply);
    }
    const name = Array.isArray(target) ? target[0]! : target!;
    const allowed = !authorizeByPolicy || everywhereRoleGrant(policy, [caller, AUTHENTICATED_SUBJECT]) >= 0;
    if (!allowed) {
      return sendException(forbiddenError(caller, { resourceRequest: true, verb: 'impersonate', path: '', group: '', version: 'v1', resource: 'users', subresource: '', namespace: '', name }), req, reply);
    }
    actAs(req, name);
    done();
  });
}
