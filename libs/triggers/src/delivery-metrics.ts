import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@app/observability';

/**
 * Delivery attempts by what they led to: `delivered`, `retrying` (backoff scheduled) or
 * `dead-lettered`; with `reason`, the class of the failure (`none` when delivered, `status-3xx`,
 * `status-4xx`, `status-5xx`, `error` for no whole answer: refused address, timeout, connection error).
 */
export const deliveryAttempts = new Counter({
  name: 'imagestreamd_trigger_delivery_attempts_total',
  help: 'Trigger delivery attempts (signed webhook POSTs) by result and failure class',
  labelNames: ['result', 'reason'] as const,
  registers: [metricsRegistry],
});

/** One attempt from its start to the receiver's answer (or the failure), as recorded in latencyMs. */
export const deliveryAttemptSeconds = new Histogram({
  name: 'imagestreamd_trigger_delivery_attempt_seconds',
  help: 'Seconds one trigger delivery attempt took, connect to answer (timeouts included)',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export type DeliveryState = 'delivered' | 'dead' | 'pending';

const resultOf: Record<DeliveryState, string> = { delivered: 'delivered', pending: 'retrying', dead: 'dead-lettered' };

/**
 * Counts one finished attempt: `statusCode` null when no answer came. A failed 2xx is one whose
 * body timed out or was cut short: the status was fine, the connection was not (`error`).
 */
export function recordDeliveryAttempt(state: DeliveryState, statusCode: number | null, failed: boolean, latencyMs: number): void {
  const reason = !failed ? 'none' : statusCode === null || (statusCode >= 200 && statusCode < 300) ? 'error' : `status-${Math.floor(statusCode / 100)}xx`;
  deliveryAttempts.inc({ result: resultOf[state], reason });
  deliveryAttemptSeconds.observe(latencyMs / 1000);
}
