import { jsonEqual, nowTimestamp } from '@app/api-machinery';
import type { Database, Queryable } from '@app/persistence';
import { setCondition, writeTriggerStatuses } from './evaluator';
import { disabledConditions, isEndpointDisabled, NOT_SENT_ENDPOINT_DISABLED } from './endpoint-disabled';
import type { Trigger } from './trigger.types';

/** Why a delivery fails for good at once (no retry can help); the DeadLettered condition's reason. */
export type PermanentFailure = 'AddressNotAllowed' | 'SigningSecretUnavailable' | 'ReceiverRejected' | 'ReceiverGone';

/** The parts of a finished delivery its trigger's conditions are computed from. */
export interface FinishedDelivery {
  id: string;
  namespace: string;
  owner_name: string;
  owner_uid: string;
  /** The URL the attempt went to, and the owner's spec.delivery when it was claimed. */
  url: string;
  delivery: Trigger['spec']['delivery'] | null;
}

const DEAD_LETTERED_TRUE = '[{"type":"DeadLettered","status":"True"}]';

/**
 * Dead letters show on the trigger (condition DeadLettered=True); a later success clears it.
 * "Later" is in delivery order (creation order, `seq`), not in the order outcomes arrive: an
 * older delivery whose last answer comes after a newer delivery finished (its retries ran
 * longer, its receiver answered slowly) leaves the condition as the newer one set it, so the
 * condition always names the newest finished delivery's outcome. A 410 Gone also disables the
 * trigger's endpoint (EndpointDisabled=True) whichever delivery it answered (the endpoint said
 * so; one already disabled is left naming the newer delivery that disabled it), unless the user
 * has changed spec.delivery since this attempt was claimed, or the attempt went to a URL that is
 * no longer the trigger's (a retry of an older fire): then the endpoint that said Gone is not
 * the trigger's any more.
 *
 * Runs in the transaction that records the outcome, under the trigger's row lock. Returns true
 * when it set DeadLettered=True: the caller then owes `settleDeadLetter` once that commits.
 */
export async function recordOutcomeOnTrigger(
  tx: Queryable,
  d: FinishedDelivery,
  dead: boolean,
  error: string | null,
  permanent: PermanentFailure | null,
): Promise<boolean> {
  const [row] = await tx.query<{ status: Trigger['status'] | null; delivery: Trigger['spec']['delivery'] | null; generation: number | null }>(
    `SELECT body->'status' AS status, body->'spec'->'delivery' AS delivery, (body->'metadata'->>'generation')::int AS generation
       FROM triggers WHERE uid = $1 FOR UPDATE`,
    [d.owner_uid],
  );
  if (!row) return false;
  const prev = row.status ?? {};
  const current = prev.conditions?.find((c) => c.type === 'DeadLettered');
  if (!dead && current?.status !== 'True') return false;
  // Read after the trigger's lock is held: every outcome recorded on it under that lock is visible.
  const superseded = await newerFinishedDelivery(tx, d);
  // An endpoint already disabled keeps the message of the newer delivery that disabled it.
  const disable =
    permanent === 'ReceiverGone' && row.delivery?.url === d.url && jsonEqual(row.delivery, d.delivery) && !(superseded && isEndpointDisabled(prev.conditions));
  if (superseded && !disable) return false;
  const time = nowTimestamp();
  const generation = row.generation ?? 1;
  let conditions = prev.conditions;
  if (!superseded) {
    conditions = setCondition(
      conditions,
      dead
        ? { type: 'DeadLettered', status: 'True', reason: permanent ?? 'AttemptBudgetExhausted', message: `delivery ${d.id} dead-lettered: ${error ?? ''}` }
        : { type: 'DeadLettered', status: 'False', reason: 'Delivered', message: `delivery ${d.id} delivered` },
      time,
      generation,
    );
  }
  if (disable) conditions = disabledConditions(conditions, d.url, d.id, time, generation);
  await writeTriggerStatuses(tx, [{ uid: d.owner_uid, status: { ...prev, conditions } }]);
  return dead && !superseded;
}

/**
 * After a dead letter set DeadLettered=True has committed: a newer delivery of the same trigger
 * that finished as delivered in the meantime, through the batch path (which records successes
 * without the trigger's lock), may have looked at the condition before this commit and left it.
 * Each side writes, commits, then reads what the other wrote (the batch path calls
 * `ownersStillDeadLettered` after its commit), so at least one of them sees the other and the
 * condition ends naming the newest finished delivery.
 */
export async function settleDeadLetter(db: Database, d: FinishedDelivery): Promise<void> {
  if (!(await newerFinishedDelivery(db, d))) return;
  await db.transaction(async (tx) => {
    const [newest] = await tx.query<{ id: string; state: string }>(
      `SELECT id, state FROM trigger_deliveries
        WHERE namespace = $1 AND owner_name = $2 AND owner_uid = $3::uuid
          AND (state = 'delivered' OR (state = 'dead' AND last_error IS DISTINCT FROM $4))
        ORDER BY seq DESC LIMIT 1`,
      [d.namespace, d.owner_name, d.owner_uid, NOT_SENT_ENDPOINT_DISABLED],
    );
    // A newer dead letter recorded its own outcome under the lock; only a success is owed here.
    if (newest?.state === 'delivered') await recordOutcomeOnTrigger(tx, { ...d, id: newest.id }, false, null, null);
  });
}

/** Of these triggers, the ones whose DeadLettered condition is True now (read after the caller's commit). */
export async function ownersStillDeadLettered(db: Queryable, ownerUids: string[]): Promise<Set<string>> {
  if (!ownerUids.length) return new Set();
  const rows = await db.query<{ uid: string }>(
    `SELECT uid::text AS uid FROM triggers WHERE uid = ANY($1::uuid[]) AND body->'status'->'conditions' @> $2::jsonb`,
    [ownerUids, DEAD_LETTERED_TRUE],
    'trg-owners-dead-lettered',
  );
  return new Set(rows.map((r) => r.uid));
}

/**
 * True when a delivery of the same trigger created after `d` has finished (delivered, or dead
 * after being sent): its outcome, not `d`'s, is the newest. A newer one still pending has none
 * yet; one dead-lettered without a request because the endpoint is disabled does not count (it
 * never sets DeadLettered either: EndpointDisabled says why). By the owner index (namespace,
 * owner_name, seq).
 */
async function newerFinishedDelivery(q: Queryable, d: FinishedDelivery): Promise<boolean> {
  const [row] = await q.query<{ newer: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM trigger_deliveries n
                     WHERE n.namespace = $1 AND n.owner_name = $2 AND n.owner_uid = $3::uuid
                       AND n.seq > (SELECT seq FROM trigger_deliveries WHERE id = $4)
                       AND (n.state = 'delivered' OR (n.state = 'dead' AND n.last_error IS DISTINCT FROM $5))) AS newer`,
    [d.namespace, d.owner_name, d.owner_uid, d.id, NOT_SENT_ENDPOINT_DISABLED],
    'trg-newer-finished-delivery',
  );
  return row?.newer === true;
}
