import type { Queryable } from '@app/persistence';
import { dueSql } from './delivery-claim';
import { deliveryChangesSql } from './delivery-versions';

/** last_error of a fire not sent because a later fire of its owner went out first. */
export const NOT_SENT_SUPERSEDED =
  'not sent: superseded by a later fire of this trigger that was delivered or is being sent; ' +
  'sending this older image after it would move the receiver back (a DeliveryRedrive naming this delivery still sends it)';

/** A later fire of d's owner was delivered (or applied) or is in flight (claimed, lease running). */
const laterFireOut = `EXISTS (SELECT 1 FROM trigger_deliveries n
                    WHERE n.namespace = d.namespace AND n.owner_name = d.owner_name AND n.seq > d.seq AND n.owner_uid = d.owner_uid
                      AND (n.state IN ('delivered', 'applied') OR (n.state = 'pending' AND n.claims > 0 AND n.leased_until > now())))`;

/**
 * Dead-letters delivery $1 without a request, `lastError` $2, when it is a first fire (generation
 * 1) still pending and a later fire of its owner is out (see laterFireOut), with its change-log
 * row. `extraWhere` narrows the row (SQL over `d`); `attemptParam`, a started attempt row to
 * withdraw with it (nothing was sent). Returns the id of a row dead-lettered.
 */
const supersedeSql = (extraWhere: string, attemptParam?: string) => `WITH v AS MATERIALIZED (
    SELECT d.id, nextval('resource_version_seq') AS rv FROM trigger_deliveries d
     WHERE d.id = $1 AND d.generation = 1 AND (d.state || '') = 'pending' ${extraWhere} AND ${laterFireOut}),
  ${attemptParam ? `gone AS (DELETE FROM trigger_delivery_attempts a WHERE a.id = ${attemptParam} AND a.delivery_id = $1 AND EXISTS (SELECT 1 FROM v)),` : ''}
  w AS (UPDATE trigger_deliveries t SET state = 'dead', dead_at = now(), last_status_code = NULL, leased_until = NULL,
               resource_version = v.rv, last_error = $2
          FROM v WHERE t.id = v.id AND (t.state || '') = 'pending'
        RETURNING t.id, t.namespace, t.owner_name, t.state),
  ch AS (${deliveryChangesSql('v', 'w', 'MODIFIED', `'pending'`)})
  SELECT id FROM w`;

/**
 * A fire still pending (its earlier attempts failed, or its batch handed it on) is not sent once
 * a later fire of the same owner was delivered or is in flight (claimed, lease running): sent
 * then, the older image reached the receiver after the newer one and moved the dependent back,
 * which the older-image rule forbids (receiver saw v1 500, v2 200, v1 200). It is dead-lettered
 * here without a request, as a bulk redrive leaves such fires dead (delivery-redrive.handler.ts).
 * Only first fires (generation 1): a redriven delivery is replayed in fire order
 * (redrive-order.ts), and one named in a redrive is the user's explicit choice.
 * The trigger's DeadLettered condition is left alone: nothing was asked of the receiver.
 * Returns whether the delivery was dead-lettered.
 */
export async function deadLetterIfSuperseded(q: Queryable, id: string, generation: number): Promise<boolean> {
  if (generation !== 1) return false;
  const rows = await q.query<{ id: string }>(supersedeSql(`AND ${dueSql}`), [id, NOT_SENT_SUPERSEDED], 'trg-delivery-supersede');
  return rows.length > 0;
}

/**
 * The same rule for a fire this worker has already claimed (its attempt row started): the check
 * above ran before the claim, and a newer fire due at the same moment can have claimed, started and
 * even been answered since. The attempt row goes (nothing was sent); finished attempts stay counted.
 * Returns whether it was dead-lettered.
 */
export async function withdrawIfSuperseded(q: Queryable, id: string, attemptId: string): Promise<boolean> {
  const rows = await q.query<{ id: string }>(supersedeSql('', '$3'), [id, NOT_SENT_SUPERSEDED, attemptId], 'trg-delivery-withdraw-superseded');
  return rows.length > 0;
}
