import type { Queryable } from '@app/persistence';
import type { Trigger } from './trigger.types';

/**
 * A paused Trigger sends nothing: not new fires (the firing rules) and not the retries of fires
 * made before the pause, which stay pending (not claimed, not swept) until it is unpaused. A user
 * pausing a trigger that sets off a runaway of builds expects the POSTs to stop at once.
 */
export function pausedSql(trigger: string): string {
  return `(${trigger}.body->'spec'->'paused' = 'true'::jsonb)`;
}

/** SQL: the delivery row `delivery`'s owner is a paused Trigger (a primary-key probe). */
export function ownerPausedSql(delivery: string): string {
  return `EXISTS (SELECT 1 FROM triggers p WHERE p.uid = ${delivery}.owner_uid AND ${pausedSql('p')})`;
}

export function isUnpause(old: Trigger | null | undefined, obj: Trigger): boolean {
  return old?.spec?.paused === true && obj.spec?.paused !== true;
}

/**
 * On unpause, the deliveries held while paused are due again at once: their own jobs ended
 * without a claim, and the sweeper takes rows an hour overdue on its next pass (half a second), as
 * it does for redriven ones. Rows whose time has not come keep it (their delayed job is waiting).
 */
export async function resumeHeldDeliveries(q: Queryable, trigger: Trigger): Promise<void> {
  const m = trigger.metadata;
  await q.query(
    `UPDATE trigger_deliveries SET next_attempt_at = now() - interval '1 hour'
      WHERE namespace = $1 AND owner_name = $2 AND owner_uid = $3::uuid AND state = 'pending' AND next_attempt_at <= now()
        AND (leased_until IS NULL OR leased_until <= now())`,
    [m.namespace, m.name, m.uid],
  );
}
