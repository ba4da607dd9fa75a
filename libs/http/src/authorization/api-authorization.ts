import { type AccessPolicy, ANONYMOUS_SUBJECT, subjectsOf, UNAUTHENTICATED_SUBJECT } from '@app/config';
import type { ResourceRegistry } from '@app/persistence';
import type { FastifyInstance } from 'fastify';
import { callerOf, isPublicPath } from '../authentication/api-authentication';
import { setRequestLabels } from '../request-labels';
import { sendException } from '../status-exception.filter';
import { authorize, forbiddenError } from './api-authorizer';
import { requestAttributesOf } from './request-attributes';

/**
 * API_AUTHORIZATION=Policy: every request to a path that is not public is decided by `authorize`
 * for the user API authentication found (in `system:authenticated`), before any route runs, as
 * kube-apiserver's authorization filter runs after authentication; a refused one is 403 with
 * kube-apiserver's Forbidden Status. Installed after requireApiAuthentication and before the
 * ImageStreamTag GET fast path (an onRequest hook too), so no route escapes it.
 *
 * `registry` names the kinds served: a refused request of a known kind is counted under its verb and
 * resource (metrics), one of an unknown kind under its method only (no label from a client's
 * made-up resource name).
 */
export function requireApiAuthorization(fastify: FastifyInstance, policy: AccessPolicy, registry?: ResourceRegistry): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (isPublicPath(req.url.split('?')[0]!)) return done();
    const caller = callerOf(req);
    const subjects = caller === undefined ? [ANONYMOUS_SUBJECT, UNAUTHENTICATED_SUBJECT] : subjectsOf(caller);
    const attributes = requestAttributesOf(req.method, req.url);
    if (authorize(policy, subjects, attributes).allowed) return done();
    const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
    if (attributes.resourceRequest && registry?.find(attributes.group, attributes.version, resource)) setRequestLabels(req, { verb: attributes.verb, resource });
    sendException(forbiddenError(caller?.username ?? ANONYMOUS_SUBJECT, attributes), req, reply);
  });
}
