import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '@app/api-machinery';
import type { AccessPolicy } from '@app/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Paths served without API credentials: health and version (as kube-apiserver's
 * system:public-info-viewer), and the registry-facing endpoints under /registry/ and the admission
 * webhooks under /admission/, which the registry and kube-apiserver call with their own credentials
 * (the notification secret, Basic users of the token endpoint) or none (webhooks rely on TLS).
 */
export function isPublicPath(path: string): boolean {
  if (['/healthz', '/livez', '/readyz'].some((p) => path === p || path.startsWith(`${p}/`))) return true;
  return path === '/version' || path.startsWith('/registry/') || path.startsWith('/admission/');
}

/** The user each authenticated request came from (keyed by the raw request, as request labels are). */
const users = new WeakMap<object, string>();

/** The authenticated caller of a request; undefined when API authentication is off or the path is public. */
export function authenticatedUserOf(req: FastifyRequest): string | undefined {
  return users.get(req.raw);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Who sent a request: a policy user's bearer token (`tokens`, as kubectl sends a kubeconfig token)
 * or Basic password. Every candidate is compared (constant time), so the time taken does not tell
 * which user or token came close.
 */
export class ApiAuthenticator {
  private readonly tokens: { user: string; sha256: Buffer }[];

  constructor(private readonly policy: AccessPolicy) {
    this.tokens = policy.users.flatMap((u) => u.tokenSha256s.map((t) => ({ user: u.name, sha256: Buffer.from(t, 'hex') })));
  }

  /** The user's name, or null when the credentials are missing or not a user's. */
  authenticate(authorization: string | undefined): string | null {
    if (!authorization) return null;
    const bearer = /^bearer +(\S+)\s*$/i.exec(authorization);
    if (bearer) {
      const presented = digest(bearer[1]!);
      let found: string | null = null;
      for (const t of this.tokens) if (timingSafeEqual(t.sha256, presented) && found === null) found = t.user;
      return found;
    }
    const basic = /^basic +(\S+)\s*$/i.exec(authorization);
    if (!basic) return null;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    const presented = digest(decoded.slice(colon + 1));
    let found: string | null = null;
    for (const u of this.policy.users) {
      if (timingSafeEqual(Buffer.from(u.passwordSha256, 'hex'), presented) && u.name === decoded.slice(0, colon)) found = u.name;
    }
    return found;
  }
}

/**
 * API_AUTHENTICATION=true: every request to a path that is not public must carry a policy user's
 * credentials, else 401 Unauthorized (the Status kube-apiserver answers), before any route runs.
 */
export function requireApiAuthentication(fastify: FastifyInstance, policy: AccessPolicy): void {
  const authenticator = new ApiAuthenticator(policy);
  fastify.addHook('onRequest', (req, reply, done) => {
    const path = req.url.split('?')[0]!;
    if (isPublicPath(path)) {
      done();
      return;
    }
    const user = authenticator.authenticate(req.headers.authorization);
    if (user !== null) {
      users.set(req.raw, user);
      done();
      return;
    }
    void reply
      .code(401)
      .header('content-type', 'application/json')
      .send(JSON.stringify(ApiError.unauthorized().toStatus()));
  });
}
