import type { FastifyReply } from 'fastify';

/**
 * kube-apiserver's WithCacheControl puts `Cache-Control: no-cache, private` on every answer
 * (answers depend on who asks); an answer with caching of its own keeps it (discovery's `public`,
 * the OpenAPI documents' `public, immutable`, the token endpoint's `no-store`).
 *
 * Its WithAuditInit also sends an `Audit-Id`; that one is left out: no client reads it, and a
 * fresh UUID per answer measured 14 µs more api CPU per cached ImageStreamTag GET on average
 * (nine rounds of `npm run bench:istag-cpu`, −4 to +25 µs), a path whose target has a margin of
 * a few percent. The constant Cache-Control, written with the others, measured +5 µs on average
 * (three rounds, −10 to +18: within the noise of the same code's rounds).
 */
export const NO_CACHE_HEADERS = { 'cache-control': 'no-cache, private' } as const;

/** For an onSend hook: Cache-Control on an answer that has none (paths writing the raw response pass NO_CACHE_HEADERS themselves). */
export function setDefaultCacheControl(reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', NO_CACHE_HEADERS['cache-control']);
}
