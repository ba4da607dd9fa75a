import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { FailedLoginThrottle, parseBasicCredentials, setRequestLabels } from '@app/http';
import { PasswordChecksBusyError } from '@app/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryTokenIssuer, TokenAuthenticationError } from './registry-token-issuer';
import { grantedScope, parseScopes, ScopeError } from './token-scope';

/** Token endpoints answer errors as distribution's errcode JSON, which registry clients print. */
function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'application/json')
    .send(JSON.stringify({ errors: [{ code, message, detail: null }] }));
}

/**
 * `GET /registry/token`: the `auth.token.realm` of a CNCF distribution registry (Docker registry
 * v2 token authentication). 200 `{token, access_token, expires_in, issued_at}`; 401 with a Basic
 * challenge for credentials that are not a user's; 400 for another service or a request over the scope limits (a malformed scope is left out).
 * Off (404) unless REGISTRY_TOKEN_KEY_FILE is set.
 */
@Controller('registry')
export class RegistryTokenController {
  /** The policy's one throttle (AuthenticationModule), which API authentication counts in too. */
  constructor(
    @Inject(RegistryTokenIssuer) private readonly issuer: RegistryTokenIssuer | null,
    @Inject(FailedLoginThrottle) private readonly throttle: FailedLoginThrottle | null,
  ) {}

  @Get('token')
  token(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    setRequestLabels(req, { verb: 'get', resource: 'registry/token' });
    const params = new URL(req.url, 'http://token.invalid').searchParams;
    return this.answer(req.ip, reply, params.getAll('service'), params.getAll('scope'), false, req.headers.authorization);
  }

  /**
   * The OAuth2 form of the same request (distribution's token spec, oauth): `grant_type=password`
   * with `username` and `password`, `scope` space-separated, as containerd tries first when it
   * holds credentials. No refresh tokens are issued, so other grant types are 400 (containerd
   * then falls back to GET).
   */
  @Post('token')
  async oauthToken(@Req() req: FastifyRequest<{ Body: Buffer | undefined }>, @Res() reply: FastifyReply): Promise<FastifyReply> {
    setRequestLabels(req, { verb: 'create', resource: 'registry/token' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (this.issuer && type !== 'application/x-www-form-urlencoded') {
      return sendError(reply.header('cache-control', 'no-store'), 400, 'UNSUPPORTED_VALUE', 'the token request must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(req.body?.toString('utf8') ?? '');
    if (this.issuer && form.get('grant_type') !== 'password') {
      return sendError(reply.header('cache-control', 'no-store'), 400, 'UNSUPPORTED_VALUE', `unsupported grant_type ${JSON.stringify(form.get('grant_type') ?? '')}: only password`);
    }
    // A client that authenticates itself as OAuth2 allows (RFC 6749 §2.3.1: Basic, no form fields) is taken at its header.
    const formCredentials = form.has('username') || form.has('password');
    const credentials = formCredentials
      ? `Basic ${Buffer.from(`${form.get('username') ?? ''}:${form.get('password') ?? ''}`).toString('base64')}`
      : req.headers.authorization;
    return this.answer(req.ip, reply, form.getAll('service'), form.getAll('scope'), true, credentials);
  }

  /**
   * `oauth`: the answer also names the granted `scope` (OAuth2's access token response). Wrong
   * credentials are throttled per client address and user name, failures at the API included: 429
   * TOOMANYREQUESTS (distribution's errcode) with Retry-After, checked before the password so a
   * throttled guess learns nothing.
   */
  private async answer(address: string, reply: FastifyReply, services: string[], scopeParams: string[], oauth: boolean, authorization: string | undefined): Promise<FastifyReply> {
    void reply.header('cache-control', 'no-store');
    if (!this.issuer) return sendError(reply, 404, 'NOT_FOUND', 'the registry token endpoint is not configured');
    // Every `service` given must be this one (a repeated parameter naming another is refused too).
    const other = services.find((s) => s !== this.issuer!.service);
    if (other !== undefined) {
      return sendError(reply, 400, 'UNSUPPORTED_VALUE', `tokens are issued for service ${JSON.stringify(this.issuer.service)}, not ${JSON.stringify(other)}`);
    }
    let scopes;
    try {
      scopes = parseScopes(scopeParams);
    } catch (e) {
      if (e instanceof ScopeError) return sendError(reply, 400, 'UNSUPPORTED_VALUE', e.message);
      throw e;
    }
    const basic = authorization ? parseBasicCredentials(authorization) : null;
    const claimed = authorization ? (basic && basic !== 'malformed' ? basic.name : '') : null;
    const wait = claimed === null ? 0 : this.throttle!.retryAfterSeconds(address, claimed);
    if (wait > 0) return sendError(reply.header('retry-after', String(wait)), 429, 'TOOMANYREQUESTS', 'too many failed login attempts, please try again later');
    let subject: string;
    try {
      subject = await this.issuer.authenticate(authorization, address);
    } catch (e) {
      if (e instanceof PasswordChecksBusyError) {
        return sendError(reply.header('retry-after', '1'), 429, 'TOOMANYREQUESTS', 'too many login attempts in flight from this client, please try again later');
      }
      if (!(e instanceof TokenAuthenticationError)) throw e;
      if (claimed !== null) this.throttle!.recordFailure(address, claimed);
      void reply.header('www-authenticate', 'Basic realm="imagestreamd"');
      return sendError(reply, 401, 'UNAUTHORIZED', `authentication required: ${e.message}`);
    }
    const { response, access } = await this.issuer.issue(subject, scopes);
    const body = oauth ? { ...response, scope: grantedScope(access) } : response;
    return reply.status(200).header('content-type', 'application/json').send(JSON.stringify(body));
  }
}
