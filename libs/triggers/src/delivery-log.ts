import { Logger } from '@nestjs/common';
import type { DeliveryState } from './delivery-metrics';
import type { PermanentFailure } from './dead-letter-condition';

const log = new Logger('TriggerDelivery');

/** The delivery an attempt was for, as far as a log line may name it. */
export interface LoggedDelivery {
  id: string;
  namespace: string;
  owner_kind: string;
  owner_name: string;
  /** scheme://host:port: the URL's path and query may carry a receiver's token, so they are never logged. */
  target_key: string;
}

export interface LoggedAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  latency: number;
  permanent: PermanentFailure | null;
}

/**
 * One line per failed attempt, so an operator sees a failing receiver in the logs and not only in
 * the Delivery objects and metrics: `info` when it will be retried, `warn` when it dead-letters
 * (with the reason its owner's DeadLettered condition gets). Successes are not logged (the request
 * log of a busy fan-out would be all deliveries).
 */
export function logAttemptOutcome(d: LoggedDelivery, a: LoggedAttempt, state: DeliveryState, delayMs: number): void {
  if (a.error === null) return;
  const fields = {
    delivery: d.id,
    namespace: d.namespace,
    // A Trigger's name, or an annotated workload's kind/name (pino leaves undefined fields out).
    trigger: d.owner_kind === 'Trigger' ? d.owner_name : undefined,
    workload: d.owner_kind === 'Trigger' ? undefined : `${d.owner_kind}/${d.owner_name}`,
    receiver: d.target_key,
    attempt: a.attempt,
    statusCode: a.statusCode,
    latencyMs: a.latency,
    error: a.error,
  };
  const who = `${d.namespace}/${d.owner_name} to ${d.target_key}`;
  if (state === 'dead') {
    const reason = a.permanent ?? 'AttemptBudgetExhausted';
    log.warn({ ...fields, result: 'dead-lettered', reason, msg: `delivery ${d.id} of ${who} dead-lettered after attempt ${a.attempt} (${reason}): ${a.error}` });
  } else {
    log.log({ ...fields, result: 'retrying', retryInMs: Math.round(delayMs), msg: `delivery ${d.id} of ${who} failed (attempt ${a.attempt}): ${a.error}; retrying in ${Math.round(delayMs)} ms` });
  }
}
