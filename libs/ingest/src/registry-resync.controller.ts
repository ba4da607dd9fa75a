import { Controller, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import { setRequestLabels } from '@app/http';
import { RegistryError } from '@app/registry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorReason } from './error-reason';
import { RegistryResync } from './registry-resync';
import { repositoryTarget } from './repository-target';
import { SharedSecret } from './shared-secret';

/**
 * `POST /registry/resync[?repository=<ns>/<name>]`: one resync pass now (after a registry restart
 * that lost notifications, say), answered with what it found once the events it stored are in
 * the inbox. Guarded by the registry's shared secret, as the inbox API is.
 */
@Controller('registry/resync')
export class RegistryResyncController {
  constructor(
    @Inject(SharedSecret) private readonly secret: SharedSecret,
    @Inject(RegistryResync) private readonly resync: RegistryResync,
  ) {}

  @Post()
  async run(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Query('repository') repository: string | undefined): Promise<void> {
    setRequestLabels(req, { verb: 'create', resource: 'registry/resync' });
    this.secret.check(req.headers);
    if (!this.resync.configured) {
      throw new ApiError(404, 'NotFound', 'registry resync needs REGISTRY_URL: there is no registry to compare with', {});
    }
    if (repository !== undefined) {
      const target = repositoryTarget(repository);
      if ('ignored' in target) throw ApiError.badRequest(target.ignored);
    }
    let report;
    try {
      report = await this.resync.run(repository);
    } catch (e) {
      // The registry could not be read (down, or it refused the catalog): not this server's fault.
      if (e instanceof RegistryError) throw ApiError.unavailable(`registry resync: ${errorReason(e)}`);
      throw e;
    }
    void reply.status(200).header('content-type', 'application/json').send(JSON.stringify({ kind: 'RegistryResyncReport', ...report }));
  }
}
