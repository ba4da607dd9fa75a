import { Controller, Get, Header, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpenApiDocuments } from './openapi-document';

/** Whether the client accepts JSON (client-go asks for protobuf only on /openapi/v2). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((r) => {
    const type = r.split(';')[0]!.trim().toLowerCase();
    return type === 'application/json' || type === '*/*' || type === 'application/*';
  });
}

/**
 * `/openapi/v2` (Swagger 2.0, JSON only) and `/openapi/v3` (a root with one OpenAPI 3.0
 * document per group-version), which `kubectl explain` and `kubectl apply`/`create` (field
 * validation support, strategic-merge keys) read.
 */
@Controller('openapi')
export class OpenApiController {
  constructor(@Inject(OpenApiDocuments) private readonly docs: OpenApiDocuments) {}

  @Get('v2')
  v2(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    if (!acceptsJson(req.headers.accept)) {
      throw new ApiError(406, 'NotAcceptable', 'only application/json is served for /openapi/v2; use /openapi/v3 for kubectl');
    }
    void reply.status(200).header('content-type', 'application/json').send(JSON.stringify(this.docs.v2()));
  }

  @Get('v3')
  @Header('content-type', 'application/json')
  v3Root() {
    return this.docs.v3Root();
  }

  @Get('v3/apis/:group/:version')
  v3(@Param('group') group: string, @Param('version') version: string, @Res() reply: FastifyReply) {
    const entry = this.docs.v3(`apis/${group}/${version}`);
    if (!entry) throw ApiError.routeNotFound();
    void reply
      .status(200)
      .header('content-type', 'application/json')
      .header('etag', `"${entry.hash}"`)
      .header('cache-control', 'no-cache, private')
      .send(JSON.stringify(entry.doc));
  }
}
