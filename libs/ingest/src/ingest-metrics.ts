import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@app/observability';

/** Stored registry events settled by the worker, by event kind and outcome (tagged, superseded, failed, ...). */
export const registryEventsProcessed = new Counter({
  name: 'imagestreamd_registry_events_processed_total',
  help: 'Stored registry events settled by the worker, by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Registry time of an event → the worker settled it (includes queueing and retries). */
export const registryEventLag = new Histogram({
  name: 'imagestreamd_registry_event_lag_seconds',
  help: 'Seconds from the registry event timestamp until the event was settled',
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [metricsRegistry],
});

/** Enqueue attempts of the receiver and the sweeper that did not reach Redis (the sweeper retries them). */
export const registryEventEnqueueFailures = new Counter({
  name: 'imagestreamd_registry_event_enqueue_failures_total',
  help: 'Registry events stored but not enqueued (Redis unavailable); the sweeper enqueues them later',
  labelNames: ['by'] as const,
  registers: [metricsRegistry],
});

/** Time the worker spends on one job (the processing itself, without queueing). */
export const registryEventProcessing = new Histogram({
  name: 'imagestreamd_registry_event_processing_seconds',
  help: 'Seconds the worker spends processing one stored registry event (one attempt)',
  labelNames: ['kind'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Events a registry resync stored for notifications that never came, by kind (manifest-push, tag-delete). */
export const registryResyncEvents = new Counter({
  name: 'imagestreamd_registry_resync_events_total',
  help: 'Registry events stored by a resync pass for pushes and tag deletes whose notifications never arrived',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

/** Resync passes by outcome: ok (every repository read), partial (some could not be read), failed. */
export const registryResyncPasses = new Counter({
  name: 'imagestreamd_registry_resync_passes_total',
  help: 'Registry resync passes, by outcome (ok, partial, failed)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
