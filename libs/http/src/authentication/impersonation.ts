import { ApiError, type UserInfo } from '@app/api-machinery';
import { type AccessPolicy, ANONYMOUS_SUBJECT, AUTHENTICATED_SUBJECT, groupsOfUser, subjectsOf, UNAUTHENTICATED_SUBJECT } from '@app/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, forbiddenError } from '../authorization/api-authorizer';
import type { RequestAttributes } from '../authorization/request-attributes';
import { sendException } from '../status-exception.filter';
import { actAs, callerOf } from './api-authentication';

const USER_HEADER = 'impersonate-user';
const GROUP_HEADER = 'impersonate-group';
const UID_HEADER = 'impersonate-uid';
const EXTRA_HEADER_PREFIX = 'impersonate-extra-';
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** What the caller must be allowed to `impersonate` for one thing a request asks to act as. */
const impersonate = (group: string, resource: string, name: string, namespace = '', subresource = ''): RequestAttributes => ({
  resourceRequest: true,
  verb: 'impersonate',
  path: '',
  group,
  version: 'v1',
  resource,
  subresource,
  namespace,
  name,
});

/** A header's values, one per header line (Node joins repeated lines with commas, which group names may hold). */
const valuesOf = (req: FastifyRequest, header: string): string[] => (req.raw.headersDistinct[header] ?? []).filter((v) => v !== '');

/** `Impersonate-Extra-<key>`: the key is lowercase and percent-encoded on the wire (client-go headerKeyEscape). */
function extraKeyOf(header: string): string {
  const encoded = header.slice(EXTRA_HEADER_PREFIX.length).toLowerCase();
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/**
 * What a request asks to act as, in kube-apiserver's impersonation filter's terms: the user (a
 * service account when named `system:serviceaccount:<ns>:<name>`), each group, the uid and each
 * extra value, every one of them something the caller must be allowed to impersonate.
 */
function impersonationOf(req: FastifyRequest): { requests: RequestAttributes[]; info: UserInfo } | null {
  const username = valuesOf(req, USER_HEADER)[0];
  const groups = valuesOf(req, GROUP_HEADER);
  const uid = valuesOf(req, UID_HEADER)[0];
  const extraHeaders = Object.keys(req.raw.headersDistinct).filter((h) => h.startsWith(EXTRA_HEADER_PREFIX));
  if (username === undefined && groups.length === 0 && uid === undefined && extraHeaders.length === 0) return null;
  if (username === undefined) {
    // Upstream answers 500 here; a request's own mistake is a 400 on this server.
    throw ApiError.badRequest('requested impersonation of groups, a uid or extra fields without impersonating a user (Impersonate-User)');
  }
  const requests: RequestAttributes[] = [];
  const serviceAccount = SERVICE_ACCOUNT.exec(username);
  requests.push(serviceAccount ? impersonate('', 'serviceaccounts', serviceAccount[2]!, serviceAccount[1]) : impersonate('', 'users', username));
  for (const group of groups) requests.push(impersonate('', 'groups', group));
  const extra: Record<string, string[]> = {};
  for (const header of extraHeaders) {
    const key = extraKeyOf(header);
    for (const value of valuesOf(req, header)) {
      requests.push(impersonate('authentication.k8s.io', 'userextras', value, '', key));
      (extra[key] ??= []).push(value);
    }
  }
  if (uid !== undefined) requests.push(impersonate('authentication.k8s.io', 'uids', uid));
  const groupsNamed = groups.length > 0 || username === ANONYMOUS_SUBJECT;
  const info: UserInfo = { username, groups: groupsNamed ? impersonatedGroups(username, groups) : groupsOfUser(username) };
  if (uid !== undefined) info.uid = uid;
  if (Object.keys(extra).length > 0) info.extra = extra;
  return { requests, info };
}

/**
 * Named groups are the whole list, but for the group every user of that kind is in: a
 * non-anonymous user is also in system:authenticated unless system:authenticated or
 * system:unauthenticated is named, the anonymous one in system:unauthenticated.
 */
function impersonatedGroups(username: string, named: string[]): string[] {
  if (username === ANONYMOUS_SUBJECT) return named.includes(UNAUTHENTICATED_SUBJECT) ? named : [...named, UNAUTHENTICATED_SUBJECT];
  return named.includes(AUTHENTICATED_SUBJECT) || named.includes(UNAUTHENTICATED_SUBJECT) ? named : [...named, AUTHENTICATED_SUBJECT];
}

/**
 * kube-apiserver's impersonation filter (`kubectl --as=<user> --as-group=<group> --as-uid=<uid>`,
 * and client libraries' Impersonate-Extra-* fields): a caller allowed to impersonate has the
 * request handled as the user, groups, uid and extra fields it names; anyone else gets 403
 * `users "<name>" is forbidden: User "<caller>" cannot impersonate resource "users" …` for the
 * first thing it may not impersonate (`serviceaccounts` in the account's namespace, `groups`,
 * `uids` and `userextras/<key>` in authentication.k8s.io, as upstream asks its authorizer). Who
 * may: with API_AUTHORIZATION=Policy what `authorize` allows (admin on every namespace, as
 * cluster-admin; a namespace's service accounts also its edit and admin roles); with
 * AlwaysAllow, every authenticated user (the API authorizes no verb); without API authentication
 * (`policy` undefined), anyone. Runs after authentication and before authorization, as upstream's
 * filter does.
 */
export function applyImpersonation(fastify: FastifyInstance, policy: AccessPolicy | undefined, authorizeByPolicy: boolean): void {
  // Without API authentication every request is the anonymous user's, whom AlwaysAllow lets
  // impersonate (kube-apiserver with anonymous auth and AlwaysAllow acts as the named user).
  const anonymous: UserInfo | undefined = policy ? undefined : { username: ANONYMOUS_SUBJECT, groups: [UNAUTHENTICATED_SUBJECT] };
  fastify.addHook('onRequest', (req, reply, done) => {
    const caller = callerOf(req) ?? anonymous;
    if (caller === undefined) return done();
    let impersonation: ReturnType<typeof impersonationOf>;
    try {
      impersonation = impersonationOf(req);
    } catch (e) {
      return sendException(e, req, reply);
    }
    if (impersonation === null) return done();
    // Each thing named is asked of the authorizer, as upstream's filter asks, so that access reviews give the same answer.
    const refused = authorizeByPolicy && policy ? impersonation.requests.find((r) => !authorize(policy, subjectsOf(caller), r).allowed) : undefined;
    if (refused) return sendException(forbiddenError(caller.username, refused), req, reply);
    actAs(req, impersonation.info);
    done();
  });
}
