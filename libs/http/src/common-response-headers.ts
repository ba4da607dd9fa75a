import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** A client's own Audit-ID is echoed when it is a plain token of printable ASCII; otherwise a new one is drawn. */
const ECHOABLE_AUDIT_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The headers kube-apiserver's handler chain puts on every answer: `Cache-Control: no-cache,
 * private` (WithCacheControl: answers depend on who asks), which an answer with caching of its own
 * replaces (discovery's `public`, the token endpoint's `no-store`); and `Audit-Id`
 * (WithAuditInit: the request's `Audit-ID` if it sent one, else a new UUID), which clients print
 * to tie an answer to the server's logs.
 */
// A type, not an interface: it must be assignable to Node's and Fastify's header maps.
export type CommonResponseHeaders = {
  'cache-control': string;
  'audit-id': string;
};

export function commonResponseHeadersFor(req: IncomingMessage): CommonResponseHeaders {
  const asked = req.headers['audit-id'];
  return { 'cache-control': 'no-cache, private', 'audit-id': typeof asked === 'string' && ECHOABLE_AUDIT_ID.test(asked) ? asked : randomUUID() };
}

/**
 * Sets them on every reply Fastify answers, as its first hook, so they come first as upstream's
 * do. They go in Fastify's own header map, not the raw response's: a raw `setHeader` makes Node
 * merge each later `writeHead` header by header, measured at about 10 µs more per answer. Paths
 * that write the raw response themselves (watches, the ImageStreamTag fast paths) pass
 * `commonHeadersOfReply` (or their own) to their `writeHead`.
 */
export function answerWithCommonHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.headers(commonResponseHeadersFor(req.raw));
    done();
  });
}

/** The common headers this reply carries, for a raw `writeHead` that bypasses Fastify's send. */
export function commonHeadersOfReply(reply: FastifyReply): Partial<CommonResponseHeaders> {
  const headers: Partial<CommonResponseHeaders> = {};
  for (const name of ['cache-control', 'audit-id'] as const) {
    const value = reply.getHeader(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}
