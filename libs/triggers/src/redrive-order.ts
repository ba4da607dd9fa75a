import type { Queryable } from '@app/persistence';

/**
 * A redrive replays an owner's dead deliveries in the order they were fired (`seq`), one at a
 * time: a redriven delivery is not sent while an earlier fire of the same owner, redriven too
 * (generation > 1), is still pending (in flight or waiting for its retry). Sent all at once they
 * reached the receiver in any order, so a dependent could end on an older image than the newest
 * fire (replaying v1, v2, v3 delivered v3, then v1). A delivery the earlier one's outcome leaves
 * dead or delivered no longer holds the later ones back; first fires (generation 1) are not gated.
 *
 * A held-back delivery is put off (its next_attempt_at, so the sweeper does not take it for a
 * lost job meanwhile) by 250 ms per earlier one still pending, at least until the latest of their
 * next attempts is due, at most 30 s: a replay of thousands polls its queue rarely. Returns the
 * wait in ms, or no row when nothing earlier is pending.
 */
const replayOrderSql = `WITH earlier AS (
    SELECT count(*) AS n, max(e.next_attempt_at) AS due FROM trigger_deliveries d JOIN trigger_deliveries e
        ON e.namespace = d.namespace AND e.owner_name = d.owner_name AND e.seq < d.seq
     WHERE d.id = $1 AND d.generation = $2 AND e.owner_uid = d.owner_uid AND e.state = 'pending' AND e.generation > 1),
  wait AS (SELECT LEAST(30000, GREATEST(250 * n, 1000 * EXTRACT(EPOCH FROM due - now())))::int AS ms FROM earlier WHERE n > 0)
  UPDATE trigger_deliveries SET next_attempt_at = now() + make_interval(secs => wait.ms / 1000.0)
    FROM wait WHERE id = $1 AND state = 'pending' AND generation = $2
  RETURNING wait.ms`;

/**
 * How long a redriven delivery must wait for the earlier redriven fires of its owner (its
 * next_attempt_at is moved that far ahead), or null when it may be sent now. First fires
 * (generation 1) are never held back.
 */
export async function replayWaitMs(q: Queryable, id: string, generation: number): Promise<number | null> {
  if (generation <= 1) return null;
  const [held] = await q.query<{ ms: number }>(replayOrderSql, [id, generation], 'trg-delivery-replay-order');
  return held ? held.ms : null;
}
