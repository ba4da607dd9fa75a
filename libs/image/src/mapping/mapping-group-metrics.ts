import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@app/observability';

/** ImageStreamMappings per shared transaction (OneTripGroupCommit); a lone mapping is a group of 1. */
export const mappingGroupSize = new Histogram({
  name: 'imagestreamd_mapping_group_size',
  help: 'ImageStreamMappings committed together in one transaction (1: alone)',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128],
  registers: [metricsRegistry],
});

/** Groups that failed as a whole, whose mappings then ran again one transaction each. */
export const mappingGroupsRetriedAlone = new Counter({
  name: 'imagestreamd_mapping_groups_retried_alone_total',
  help: 'Groups of ImageStreamMappings whose shared transaction failed, after which each mapping ran again in a transaction of its own',
  registers: [metricsRegistry],
});

/** Mappings waiting for a group to start (all `concurrency` groups in flight). */
export const mappingsWaitingForGroup = new Gauge({
  name: 'imagestreamd_mappings_waiting_for_group',
  help: 'ImageStreamMappings waiting to join the next shared transaction while the allowed number are in flight',
  registers: [metricsRegistry],
});
