import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, ifNoneMatchHits } from '../conditional-get';
import { mediaRanges } from '../media-ranges';
import { OpenApiDocuments } from './openapi-document';
import { encodeOpenApiV2 } from './openapi-v2-protobuf';

/**
 * OpenAPI v2 in protobuf: client-go asks with the `@` spelling, kube-openapi also accepts and
 * answers with the dotted one (a media type Go's mime parser can read back).
 */
const V2_PROTOBUF_TYPES = new Set(['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']);
const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The media types an Accept header lists, in the order kube-openapi tries them (goautoneg's, as every kube negotiation). */
function acceptedTypes(accept: string | undefined): string[] {
  if (!accept) return ['*/*'];
  return mediaRanges(accept).map((r) => r.type);
}

const isJson = (type: string) => type === 'application/json' || type === '*/*' || type === 'application/*';

/** A body with its quoted ETag, computed once. */
interface Tagged {
  body: string | Buffer;
  etag: string;
}
const tagged = (body: string | Buffer): Tagged => ({ body, etag: etagOf(body) });

/** One calendar year on, as kube-openapi's Expires for a hashed (immutable) URL. */
function aYearFromNow(): string {
  const at = new Date();
  at.setUTCFullYear(at.getUTCFullYear() + 1);
  return at.toUTCString();
}

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
      this.v2Protobuf ??= tagged(Buffer.from(encodeOpenApiV2(this.docs.v2())));
      send(req, reply, V2_PROTOBUF, this.v2Protobuf);
      return;
    }
    if (!type) throw new ApiError(406, 'NotAcceptable', `/openapi/v2 is served as application/json or ${V2_PROTOBUF}`);
    this.v2Json ??= tagged(JSON.stringify(this.docs.v2()));
    send(req, reply, 'application/json', this.v2Json);
  }

  private v2Protobuf?: Tagged;
  private v2Json?: Tagged;
  private v3RootJson?: Tagged;

  @Get('v3')
  v3Root(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    this.v3RootJson ??= tagged(JSON.stringify(this.docs.v3Root()));
    send(req, reply, 'application/json', this.v3RootJson);
  }

  @Get('v3/apis/:group/:version')
  v3(@Param('group') group: string, @Param('version') version: string, @Query('hash') hash: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    this.sendV3(`apis/${group}/${version}`, hash, req, reply);
  }

  /** The core group's document (namespaces). */
  @Get('v3/api/:version')
  v3Core(@Param('version') version: string, @Query('hash') hash: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    this.sendV3(`api/${version}`, hash, req, reply);
  }

  /**
   * As kube-openapi's HandleGroupVersion: the URL the root lists carries the document's hash and
   * is cached as immutable; another hash is redirected (301) to the current one, so a client's
   * HTTP cache never serves a stale schema. JSON only (no OpenAPI v3 protobuf here: 406).
   */
  private sendV3(groupVersion: string, hash: unknown, req: FastifyRequest, reply: FastifyReply): void {
    const entry = this.docs.v3(groupVersion);
    if (!entry) throw ApiError.routeNotFound();
    if (!acceptedTypes(req.headers.accept).some(isJson)) {
      throw new ApiError(406, 'NotAcceptable', `/openapi/v3/${groupVersion} is served as application/json`);
    }
    void reply.header('vary', 'Accept');
    const requested = typeof hash === 'string' ? hash : Array.isArray(hash) ? String(hash[0]) : '';
    if (requested !== '') {
      if (requested !== entry.hash) {
        const location = `/openapi/v3/${groupVersion}?hash=${entry.hash}`;
        void reply
          .status(301)
          .header('location', location)
          .header('content-type', 'text/html; charset=utf-8')
          .send(`<a href="${location}">Moved Permanently</a>.\n\n`);
        return;
      }
      void reply.header('cache-control', 'public, immutable').header('expires', aYearFromNow());
    }
    send(req, reply, 'application/json', { body: entry.json, etag: `"${entry.hash}"` });
  }
}

/**
 * 200 with the body and its ETag, or 304 when the client's cached copy (If-None-Match) is current,
 * as Go's http.ServeContent answers for kube-openapi. Without a hashed URL the reply keeps
 * kube-apiserver's default `Cache-Control: no-cache, private` (revalidate every time).
 */
function send(req: FastifyRequest, reply: FastifyReply, contentType: string, doc: Tagged): void {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-cache, private');
  void reply.header('etag', doc.etag);
  if (ifNoneMatchHits(req.headers['if-none-match'], doc.etag)) {
    void reply.status(304).send();
    return;
  }
  void reply.status(200).header('content-type', contentType).send(doc.body);
}
