import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError, type UserInfo } from '@app/api-machinery';
import { type AccessPolicy, type PasswordAuthenticator, PasswordChecksBusyError, passwordAuthenticatorOf, userInfoOf } from '@app/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendException } from '../status-exception.filter';
import { parseBasicCredentials } from './basic-credentials';
import { FailedLoginThrottle, failedLoginThrottleOf } from './failed-login-throttle';

/**
 * Paths served without API credentials: health and version (as kube-apiserver's
 * system:public-info-viewer), and the registry-facing endpoints under /registry/, which the
 * registry and its clients call with their own credentials (the notification secret, Basic users
 * of the token endpoint). The admission webhooks are not public: they resolve image stream tags
 * to digests and tell which images are denied, which is what API authentication hides, and
 * kube-apiserver presents a bearer token to webhooks from its admission kubeconfig.
 */
export function isPublicPath(path: string): boolean {
  if (['/healthz', '/livez', '/readyz'].some((p) => path === p || path.startsWith(`${p}/`))) return true;
  return path === '/version' || path.startsWith('/registry/');
}

/** Who each authenticated request acts as (keyed by the raw request, as request labels are). */
const callers = new WeakMap<object, UserInfo>();

/** Who an authenticated request acts as; undefined when API authentication is off or the path is public. */
export function callerOf(req: FastifyRequest): UserInfo | undefined {
  return callers.get(req.raw);
}

/** The name of the user an authenticated request acts as. */
export function authenticatedUserOf(req: FastifyRequest): string | undefined {
  return callers.get(req.raw)?.username;
}

/** Makes `caller` the request's caller (an impersonation the caller was allowed; see applyImpersonation). */
export function actAs(req: FastifyRequest, caller: UserInfo): void {
  callers.set(req.raw, caller);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Who presented credentials: the user they name (a Basic name; '' for a bearer token) and whether they are right. */
export interface AuthenticationAttempt {
  claimed: string;
  user: string | null;
}

/**
 * Who sent a request: a policy user's bearer token (`tokens`, as kubectl sends a kubeconfig token)
 * or Basic password (scrypt, see PasswordAuthenticator). Every token is compared (constant time),
 * so the time taken does not tell which token came close.
 */
export class ApiAuthenticator {
  private readonly tokens: { user: string; sha256: Buffer }[];
  private readonly passwords: PasswordAuthenticator;

  constructor(policy: AccessPolicy) {
    this.tokens = policy.users.flatMap((u) => u.tokenSha256s.map((t) => ({ user: u.name, sha256: Buffer.from(t, 'hex') })));
    this.passwords = passwordAuthenticatorOf(policy);
  }

  /** What `authorization` claims; null when there are no credentials of a scheme served here. */
  claimOf(authorization: string | undefined): string | null {
    if (!authorization) return null;
    if (/^bearer +\S+\s*$/i.test(authorization)) return '';
    const basic = parseBasicCredentials(authorization);
    return basic === null ? null : basic === 'malformed' ? '' : basic.name;
  }

  /** A bearer token's user; null for a token of nobody's; undefined when `authorization` is no bearer token. */
  tokenUserOf(authorization: string | undefined): string | null | undefined {
    const bearer = authorization ? /^bearer +(\S+)\s*$/i.exec(authorization) : null;
    return bearer ? this.userOfToken(bearer[1]!) : undefined;
  }

  /** The user whose API token `token` is; null when it is nobody's. */
  userOfToken(token: string): string | null {
    const presented = digest(token);
    let found: string | null = null;
    for (const t of this.tokens) if (timingSafeEqual(t.sha256, presented) && found === null) found = t.user;
    return found;
  }

  /** The user's name, or null when the credentials are missing or not a user's. */
  async authenticate(authorization: string | undefined, client = ''): Promise<string | null> {
    if (!authorization) return null;
    const tokenUser = this.tokenUserOf(authorization);
    if (tokenUser !== undefined) return tokenUser;
    const basic = parseBasicCredentials(authorization);
    if (basic === null || basic === 'malformed') return null;
    return this.passwords.authenticate(basic.name, basic.password, client);
  }
}

/** RFC 7235: a 401 names the schemes that would be accepted. */
const CHALLENGES = ['Bearer realm="imagestreamd"', 'Basic realm="imagestreamd"'];

/**
 * API_AUTHENTICATION=true: every request to a path that is not public must carry a policy user's
 * credentials, else 401 Unauthorized (the Status kube-apiserver answers), before any route runs.
 * Wrong credentials are throttled per client address and claimed user (FailedLoginThrottle): 429
 * TooManyRequests with Retry-After, which client-go waits out and retries. The throttle is the
 * policy's one (failedLoginThrottleOf; AuthenticationModule provides it), shared with the registry token endpoint.
 */
export function requireApiAuthentication(fastify: FastifyInstance, policy: AccessPolicy, throttle: FailedLoginThrottle = failedLoginThrottleOf(policy)): void {
  const authenticator = new ApiAuthenticator(policy);
  fastify.addHook('onRequest', async (req, reply) => {
    // Negotiated as the error filter's answers (YAML when asked); the headers set here stay. The
    // reply is returned: an async hook that answers resolves with it, so no route runs after.
    const send = (withHeaders: FastifyReply, error: ApiError) => {
      sendException(error, req, withHeaders);
      return withHeaders;
    };
    const path = req.url.split('?')[0]!;
    if (isPublicPath(path)) return;
    const claimed = authenticator.claimOf(req.headers.authorization);
    // A bearer token is checked first, without a slow hash: a right one is never held back, so
    // wrong guesses from a shared address (a NAT, a proxy) cannot lock every token user out;
    // wrong ones are still throttled. Tokens are random (README), so telling a right guess from a
    // wrong one during the throttle helps no guesser; passwords stay throttled right or wrong.
    const tokenUser = authenticator.tokenUserOf(req.headers.authorization);
    if (tokenUser) {
      callers.set(req.raw, userInfoOf(tokenUser));
      return;
    }
    if (claimed !== null) {
      const wait = throttle.retryAfterSeconds(req.ip, claimed);
      if (wait > 0) return send(reply.header('retry-after', String(wait)), ApiError.tooManyRequests('Too many failed login attempts, please try again later.', wait));
    }
    let user: string | null;
    try {
      // A bearer token was checked above (a wrong one is not checked twice).
      user = tokenUser === null ? null : await authenticator.authenticate(req.headers.authorization, req.ip);
    } catch (e) {
      if (!(e instanceof PasswordChecksBusyError)) throw e;
      return send(reply.header('retry-after', '1'), ApiError.tooManyRequests('Too many login attempts in flight from this client, please try again later.', 1));
    }
    if (user !== null) {
      callers.set(req.raw, userInfoOf(user));
      return;
    }
    if (claimed !== null) throttle.recordFailure(req.ip, claimed);
    return send(reply.header('www-authenticate', CHALLENGES), ApiError.unauthorized());
  });
}
