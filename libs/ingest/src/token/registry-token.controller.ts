import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { setRequestLabels } from '@app/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryTokenIssuer, TokenAuthenticationError } from './registry-token-issuer';
import { parseScopes, ScopeError } from './token-scope';

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
 * challenge for credentials that are not a user's; 400 for a malformed scope or another service.
 * Off (404) unless REGISTRY_TOKEN_KEY_FILE is set.
 */
@Controller('registry')
export class RegistryTokenController {
  constructor(@Inject(RegistryTokenIssuer) private readonly issuer: RegistryTokenIssuer | null) {}

  @Get('token')
  token(@Req() req: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    setRequestLabels(req, { verb: 'get', resource: 'registry/token' });
    if (!this.issuer) return sendError(reply.header('cache-control', 'no-store'), 404, 'NOT_FOUND', 'the registry token endpoint is not configured');
    void reply.header('cache-control', 'no-store');
    const params = new URL(req.url, 'http://token.invalid').searchParams;
    const service = params.get('service');
    if (service !== null && service !== this.issuer.service) {
      return sendError(reply, 400, 'UNSUPPORTED_VALUE', `tokens are issued for service ${JSON.stringify(this.issuer.service)}, not ${JSON.stringify(service)}`);
    }
    let scopes;
    try {
      scopes = parseScopes(params.getAll('scope'));
    } catch (e) {
      if (e instanceof ScopeError) return sendError(reply, 400, 'UNSUPPORTED_VALUE', e.message);
      throw e;
    }
    let subject: string;
    try {
      subject = this.issuer.authenticate(req.headers.authorization);
    } catch (e) {
      if (!(e instanceof TokenAuthenticationError)) throw e;
      void reply.header('www-authenticate', 'Basic realm="imagestreamd"');
      return sendError(reply, 401, 'UNAUTHORIZED', `authentication required: ${e.message}`);
    }
    return reply.status(200).header('content-type', 'application/json').send(JSON.stringify(this.issuer.issue(subject, scopes)));
  }
}
