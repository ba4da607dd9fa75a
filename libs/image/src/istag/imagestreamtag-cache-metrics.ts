import { Counter } from 'prom-client';
import { metricsRegistry } from '@app/observability';

/** ImageStreamTag GETs by how the read cache served them: hit, miss (read and stored), bypass (read, not stored). */
export const istagCacheReads = new Counter({
  name: 'imagestreamd_istag_cache_reads_total',
  help: 'ImageStreamTag GETs by read-cache outcome: hit, miss (read from Postgres and kept), bypass (read from Postgres only)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** Cached views rebuilt after a change to their stream or Image, by outcome (ImageStreamTagReadCache.refresh). */
export const istagCacheRefreshes = new Counter({
  name: 'imagestreamd_istag_cache_refreshes_total',
  help: 'Cached ImageStreamTag views a committed change invalidated, by outcome: refreshed (re-read off the request path and kept), dropped (not re-read, or gone, or changed again meanwhile)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
