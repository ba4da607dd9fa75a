import type { FastifyReply } from 'fastify';

/**
 * kube-apiserver's WithCacheControl puts `Cache-Control: no-cache, private` on every answer
 * (answers depend on who asks); an answer with caching of its own keeps it (discovery's `public`,
 * the OpenAPI documents' `public, immutable`, the token endpoint's `no-store`). Its `Audit-Id` is
 * not sent: no client reads it, and a UUID per answer measured ~14 µs per cached ImageStreamTag
 * GET (README, Kubernetes API conventions).
 */
export const NO_CACHE_HEADERS = { 'cache-control': 'no-cache, private' } as const;

/** For an onSend hook: Cache-Control on an answer that has none (paths writing the raw response pass NO_CACHE_HEADERS themselves). */
export function setDefaultCacheControl(reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', NO_CACHE_HEADERS['cache-control']);
}
