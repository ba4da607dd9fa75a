import type { TriggerCondition } from './trigger.types';
import { setCondition } from './trigger-status';

/**
 * A receiver that answers 410 Gone says it wants no more messages (Standard Webhooks, "Sender
 * should disable the webhook endpoint, and stop sending it messages"). The Trigger then carries
 * `EndpointDisabled=True` and nothing more is POSTed to its endpoint: later fires are still
 * recorded (the history shows what the receiver missed) but dead-lettered at once without a
 * request. It is re-enabled by a change of `spec.delivery` (the user pointed it somewhere else)
 * or by a DeliveryRedrive naming the trigger or one of its deliveries (the user asks for this
 * endpoint again); neither sends the missed fires by itself, a redrive does. Why: for a build
 * system the missed fires are mostly stale (one build on the newest base covers them) and a
 * receiver that came back, perhaps as a new CI project, should not get a burst of builds nobody
 * asked for; redriving the newest missed delivery re-enables and sends just that one.
 */
export const ENDPOINT_DISABLED = 'EndpointDisabled';

/** SQL: the trigger row `alias` has EndpointDisabled=True (one jsonb containment test on the row already joined). */
export function endpointDisabledSql(alias: string): string {
  return `(${alias}.body->'status'->'conditions' @> '[{"type":"${ENDPOINT_DISABLED}","status":"True"}]'::jsonb)`;
}

/** The error recorded on a fire that was not sent because its trigger's endpoint is disabled. */
export const NOT_SENT_ENDPOINT_DISABLED =
  `not sent: the receiver answered 410 Gone and the trigger's endpoint is disabled (condition ${ENDPOINT_DISABLED}); ` +
  'change spec.delivery or create a DeliveryRedrive naming the trigger to re-enable it';

export function isEndpointDisabled(conditions: TriggerCondition[] | undefined): boolean {
  return conditions?.some((c) => c.type === ENDPOINT_DISABLED && c.status === 'True') ?? false;
}

/** Conditions after a 410 Gone from `url` to delivery `deliveryId`. */
export function disabledConditions(conditions: TriggerCondition[] | undefined, url: string, deliveryId: string, time: string, generation: number): TriggerCondition[] {
  return setCondition(
    conditions,
    {
      type: ENDPOINT_DISABLED,
      status: 'True',
      reason: 'ReceiverGone',
      message:
        `${url} answered 410 Gone to delivery ${deliveryId}: later fires are recorded as dead letters without being sent; ` +
        'change spec.delivery, or create a DeliveryRedrive naming this trigger or one of its deliveries, to re-enable it',
    },
    time,
    generation,
  );
}

/** Conditions after a re-enable (`reason`: DeliverySpecChanged or Redriven); unchanged when it was not disabled. */
export function reenabledConditions(conditions: TriggerCondition[] | undefined, reason: 'DeliverySpecChanged' | 'Redriven', time: string, generation: number): TriggerCondition[] | undefined {
  if (!isEndpointDisabled(conditions)) return conditions;
  const message =
    reason === 'DeliverySpecChanged'
      ? 'spec.delivery changed: fires are sent again (the dead letters recorded meanwhile are sent only by a DeliveryRedrive)'
      : 're-enabled by a DeliveryRedrive: fires are sent again';
  return setCondition(conditions, { type: ENDPOINT_DISABLED, status: 'False', reason, message }, time, generation);
}
