import { Controller, Delete, Get, Inject, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { setRequestLabels } from '@app/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryNotificationReceiver } from './receiver.service';
import { SharedSecret } from './shared-secret';

type Req = FastifyRequest<{ Body: Buffer | undefined }>;

/**
 * `POST /registry/notifications`: the endpoint a CNCF distribution registry's `notifications.endpoints`
 * entry points at. 202 once every event the service acts on is committed to the inbox; 401 without
 * the shared secret; 400 for a malformed envelope; 415 for another body type; 503 when Postgres is
 * unavailable (the registry retries until it gets a 2xx). Other methods get 405 with `Allow: POST`.
 */
@Controller('registry')
export class RegistryNotificationsController {
  constructor(
    @Inject(SharedSecret) private readonly secret: SharedSecret,
    @Inject(RegistryNotificationReceiver) private readonly receiver: RegistryNotificationReceiver,
  ) {}

  @Post('notifications')
  async receive(@Req() req: Req, @Res() reply: FastifyReply): Promise<void> {
    setRequestLabels(req, { verb: 'create', resource: 'registry/notifications' });
    this.secret.check(req.headers);
    RegistryNotificationReceiver.checkContentType(req.headers['content-type']);
    const result = await this.receiver.receive(req.body);
    void reply.status(202).header('content-type', 'application/json').send(JSON.stringify(result));
  }

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
