import { Counter } from 'prom-client';
import { metricsRegistry } from '@app/observability';

/** ImageStreamTag GETs by how the read cache served them: hit, miss (read and stored), bypass (read, not stored). */
export const istagCacheReads = new Counter({
  name: 'imagestreamd_istag_cache_reads_total',
  help: 'ImageStreamTag GETs by read-cache outcome: hit, miss (read from Postgres and kept), bypass (read from Postgres only)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
