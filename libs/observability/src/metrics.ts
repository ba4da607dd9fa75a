import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Process-wide Prometheus registry and the metrics every part of the service records. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const httpRequests = new Counter({
  name: 'imagestreamd_http_requests_total',
  help: 'HTTP requests by Kubernetes verb, resource and status code',
  labelNames: ['verb', 'resource', 'code'] as const,
  registers: [metricsRegistry],
});

export const httpRequestDuration = new Histogram({
  name: 'imagestreamd_http_request_duration_seconds',
  help: 'HTTP request latency by Kubernetes verb and resource (watches excluded)',
  labelNames: ['verb', 'resource'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const registryEvents = new Counter({
  name: 'imagestreamd_registry_events_total',
  help: 'Registry notification events received, by action, target kind and outcome',
  labelNames: ['action', 'target', 'outcome'] as const,
  registers: [metricsRegistry],
});
