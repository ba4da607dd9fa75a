import type { FastifyReply } from 'fastify';

/**
 * kube-apiserver's WithCacheControl puts `Cache-Control: no-cache, private` on every answer
 * (answers depend on who asks); an answer with caching of its own keeps it (discovery's `public`,
 * the OpenAPI documents' `public, immutable`, the token endpoint's `no-store`).
 *
 * Its WithAuditInit also sends an `Audit-Id`; that one is left out: a fresh UUID per answer, set
 * from a hook or on the raw response, cost 15–25 µs of api CPU per cached ImageStreamTag GET
 * (`npm run bench:istag-cpu`, three rounds each way), where the target's margin is a few percent,
 * and no client reads it.
 */
export const NO_CACHE_HEADERS = { 'cache-control': 'no-cache, private' } as const;

/** For an onSend hook: Cache-Control on an answer that has none (paths writing the raw response pass NO_CACHE_HEADERS themselves). */
export function setDefaultCacheControl(reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', NO_CACHE_HEADERS['cache-control']);
}
