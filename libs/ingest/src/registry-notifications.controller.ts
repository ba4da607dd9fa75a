import { Controller, Delete, Get, Inject, Patch, Put, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { sendException, setRequestLabels } from '@app/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryNotificationReceiver } from './receiver.service';
import { SharedSecret } from './shared-secret';

/**
 * `POST /registry/notifications`: the endpoint a CNCF distribution registry's `notifications.endpoints`
 * entry points at. 202 once every event the service acts on is committed to the inbox; 401 without
 * the shared secret (checked before the body is read); 400 for a malformed envelope; 415 for another body type; 503 when Postgres is
 * unavailable (the registry retries until it gets a 2xx). Other methods get 405 with `Allow: POST`.
 * Its body limit is its own (`bodyLimitBytes`, REGISTRY_NOTIFICATION_MAX_BODY_BYTES), not the API's:
 * the registry resends a refused envelope forever and holds every later event behind it, and an
 * envelope of a big manifest or index (its references included) can exceed MAX_REQUEST_BODY_BYTES.
 *
 * Registered on Fastify itself, not as a Nest route: the registry sends one envelope at a time and
 * waits for each answer, so per-request framework work caps its rate, and Nest's router (route
 * proxy, execution context, handler wrapping) is skipped. Everything else is as on Nest routes:
 * what the handler throws reaches the error handler Nest installs on Fastify, which runs the global
 * StatusExceptionFilter (the same Status bodies), and the request labels feed the metrics hook.
 */
export function registerNotificationsRoute(
  fastify: FastifyInstance,
  secret: SharedSecret,
  receiver: RegistryNotificationReceiver,
  bodyLimitBytes: number,
): void {
  const onRequest = async (req: FastifyRequest) => {
    setRequestLabels(req, { verb: 'create', resource: 'registry/notifications' });
    // Before the body is read: the path is public, so a caller without the secret must not get
    // the server to buffer (and answer 413 about) up to MAX_REQUEST_BODY_BYTES first.
    secret.check(req.headers);
  };
  // The route's own error handler only so that a 413 names this route's limit; otherwise as the global filter.
  const errorHandler = (error: Error, req: FastifyRequest, reply: FastifyReply) => sendException(error, req, reply, bodyLimitBytes);
  fastify.post<{ Body: Buffer | undefined }>('/registry/notifications', { onRequest, bodyLimit: bodyLimitBytes, errorHandler }, async (req, reply) => {
    RegistryNotificationReceiver.checkContentType(req.headers['content-type']);
    const result = await receiver.receive(req.body);
    return reply.status(202).header('content-type', 'application/json').send(JSON.stringify(result));
  });
}

/** The other methods of `/registry/notifications` (POST: registerNotificationsRoute). */
@Controller('registry')
export class RegistryNotificationsController {
  constructor(@Inject(SharedSecret) private readonly secret: SharedSecret) {}

  @Get('notifications')
  get(@Res() reply: FastifyReply): never {
    return this.methodNotAllowed(reply);
  }

  @Put('notifications')
  put(@Res() reply: FastifyReply): never {
    return this.methodNotAllowed(reply);
  }

  @Patch('notifications')
  patch(@Res() reply: FastifyReply): never {
    return this.methodNotAllowed(reply);
  }

  @Delete('notifications')
  delete(@Res() reply: FastifyReply): never {
    return this.methodNotAllowed(reply);
  }

  /** The receiver exists (unless it is off: 404), but only for POST. */
  private methodNotAllowed(reply: FastifyReply): never {
    if (!this.secret.enabled) this.secret.check({});
    void reply.header('allow', 'POST');
    throw ApiError.methodNotAllowed();
  }
}
