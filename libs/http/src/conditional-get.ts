import { createHash } from 'node:crypto';

/** kube-apiserver's ETag value (kube-openapi, aggregated discovery): the upper-case hex SHA-512 of the served bytes. */
export function contentHash(body: string | Buffer): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

/** The ETag header of a body: its content hash, quoted. */
export function etagOf(body: string | Buffer): string {
  return `"${contentHash(body)}"`;
}

/**
 * Whether an If-None-Match header matches `etag` (quoted), as Go's http.ServeContent reads it: a
 * comma-separated list, `*`, and weak tags compared by their value. Hand-written: these few lines
 * are all of RFC 9110's rule a GET needs, and Fastify's etag plugin would hash every reply.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === etag;
  });
}
