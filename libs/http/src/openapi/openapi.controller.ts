import { Controller, Get, Header, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpenApiDocuments } from './openapi-document';
import { encodeOpenApiV2 } from './openapi-v2-protobuf';

/**
 * OpenAPI v2 in protobuf: client-go asks with the `@` spelling, kube-openapi also accepts and
 * answers with the dotted one (a media type Go's mime parser can read back).
 */
const V2_PROTOBUF_TYPES = new Set(['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']);
const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The media types an Accept header lists, in order. */
function acceptedTypes(accept: string | undefined): string[] {
  if (!accept) return ['*/*'];
  return accept.split(',').map((r) => r.split(';')[0]!.trim().toLowerCase());
}

const isJson = (type: string) => type === 'application/json' || type === '*/*' || type === 'application/*';

/**
 * `/openapi/v2` (Swagger 2.0: JSON, or gnostic protobuf with the definitions, as client-go asks) and `/openapi/v3` (a root with one OpenAPI 3.0
 * document per group-version), which `kubectl explain` and `kubectl apply`/`create` (field
 * validation support, strategic-merge keys) read.
 */
@Controller('openapi')
export class OpenApiController {
  constructor(@Inject(OpenApiDocuments) private readonly docs: OpenApiDocuments) {}

  @Get('v2')
  v2(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const type = acceptedTypes(req.headers.accept).find((t) => isJson(t) || V2_PROTOBUF_TYPES.has(t));
    if (type && V2_PROTOBUF_TYPES.has(type)) {
      this.v2Protobuf ??= Buffer.from(encodeOpenApiV2(this.docs.v2()));
      void reply.status(200).header('content-type', V2_PROTOBUF).send(this.v2Protobuf);
      return;
    }
    if (!type) throw new ApiError(406, 'NotAcceptable', `/openapi/v2 is served as application/json or ${V2_PROTOBUF}`);
    void reply.status(200).header('content-type', 'application/json').send(JSON.stringify(this.docs.v2()));
  }

  private v2Protobuf?: Buffer;

  @Get('v3')
  @Header('content-type', 'application/json')
  v3Root() {
    return this.docs.v3Root();
  }

  @Get('v3/apis/:group/:version')
  v3(@Param('group') group: string, @Param('version') version: string, @Res() reply: FastifyReply) {
    this.sendV3(`apis/${group}/${version}`, reply);
  }

  /** The core group's document (namespaces). */
  @Get('v3/api/:version')
  v3Core(@Param('version') version: string, @Res() reply: FastifyReply) {
    this.sendV3(`api/${version}`, reply);
  }

  private sendV3(groupVersion: string, reply: FastifyReply): void {
    const entry = this.docs.v3(groupVersion);
    if (!entry) throw ApiError.routeNotFound();
    void reply
      .status(200)
      .header('content-type', 'application/json')
      .header('etag', `"${entry.hash}"`)
      .header('cache-control', 'no-cache, private')
      .send(JSON.stringify(entry.doc));
  }
}
