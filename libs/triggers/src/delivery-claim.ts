import { deliveryChangesSql } from './delivery-versions';
import { endpointDisabledSql, NOT_SENT_ENDPOINT_DISABLED } from './endpoint-disabled';
import { eventBaseJoin, eventSql } from './event-bases';
import { pausedSql } from './paused-owner';
import type { Trigger, TriggerSecret } from './trigger.types';

/** A delivery as loaded for sending: its stored event, its owner's delivery settings and signing keys. */
export interface DeliveryRow {
  id: string;
  namespace: string;
  owner_kind: string;
  owner_name: string;
  owner_uid: string;
  /** Fire order among all deliveries (bigserial, as text). */
  seq: string;
  url: string;
  target_key: string;
  /**
   * What is POSTed, as Postgres prints the stored jsonb (the same bytes on every attempt, no
   * re-serialising): the whole event in structured mode, its `data` in binary mode.
   */
  body: string;
  /** Binary mode only: the event's other attributes, sent as `ce-*` headers and Content-Type. */
  attributes: Record<string, unknown> | null;
  state: string;
  generation: number;
  attempts: number;
  /**
   * Claims of the row so far, this one included: the fence of its outcome. A sender whose lease
   * ran out (a paused or stalled worker) finds the count moved on by the next sender's claim, and
   * its late outcome writes nothing.
   */
  claims: number;
  /** The owner trigger's spec.delivery (headers, secretRef); null when the trigger is gone. */
  delivery: Trigger['spec']['delivery'] | null;
  /** The signing secret's data, joined in the same read (never leaves the worker). */
  secret: TriggerSecret['data'] | null;
  /** Set when `url` was moved to the owner's current one after the claim (see owner-url.ts). */
  retargeted?: true;
}

/** A delivery claimed for sending, with its new attempt's id. */
export type ClaimedRow = DeliveryRow & { attempt_id: string };

// The delivery (its event whole again, see event-bases.ts), the owner's spec.delivery and the
// signing keys in one read. The content mode is the owner's current one (as headers and secret
// are), so a change applies to retries and redrives.
/** SQL join condition: `secret` is the TriggerSecret that trigger row `trigger`'s spec.delivery.secretRef names (same namespace). */
export const signingSecretOf = (trigger: string, secret: string) =>
  `${secret}.namespace = ${trigger}.namespace AND ${secret}.name = ${trigger}.body->'spec'->'delivery'->'secretRef'->>'name'`;

const binaryMode = `t.body->'spec'->'delivery'->>'contentMode' = 'binary'`;
const loadSelect = (from: string, extra = '') => `
  SELECT d.id, d.namespace, d.owner_kind, d.owner_name, d.owner_uid::text AS owner_uid, d.seq::text AS seq, d.url, d.target_key,
         CASE WHEN ${binaryMode} THEN (e.event->'data')::text ELSE e.event::text END AS body,
         CASE WHEN ${binaryMode} THEN e.event - 'data' END AS attributes,
         d.state, d.generation, d.attempts, d.claims, t.body->'spec'->'delivery' AS delivery, s.body->'data' AS secret${extra}
    FROM ${from} d
    ${eventBaseJoin('d', 'eb')}
    CROSS JOIN LATERAL (SELECT ${eventSql('d', 'eb')} AS event) e
    LEFT JOIN triggers t ON t.uid = d.owner_uid
    LEFT JOIN trigger_secrets s ON ${signingSecretOf('t', 's')}`;

/**
 * How early a claim may take a delivery before its next_attempt_at: a retry job's delay starts
 * after the row's time was set, so it never fires early by more than clock jitter between hosts.
 */
const claimSlack = `interval '1 second'`;

/**
 * SQL: the row's time has come and no sender holds it. A claim's lease is its own column
 * (`leased_until`, in no index), so taking it is a HOT update; next_attempt_at, which the
 * sweeper's index holds, moves only when an outcome schedules the next attempt.
 */
export const dueSql = `next_attempt_at <= now() + ${claimSlack} AND (leased_until IS NULL OR leased_until <= now() + ${claimSlack})`;

/**
 * Claims pending deliveries matching `where` and starts their attempt `attempt` in one statement:
 * the row is leased for `leaseMs` (leased_until moves ahead, claims counts up), attempts a
 * crashed sender left open are closed as interrupted, and each claimed row is loaded for sending
 * with its new attempt's id. The lease is `leased_until` (see dueSql). A row another sender holds is not matched, so it is sent once.
 *
 * `ids`: SQL of a text[] of delivery ids; the rows are then found by primary key, one probe per
 * id, and the claim costs the same however many deliveries are pending elsewhere.
 */
/**
 * SQL: the row is pending, written so that it cannot match the partial index of pending rows
 * (`trigger_deliveries_open`). Said plainly (`state = 'pending'`), it let the planner scan that
 * whole index and join it with the ids (or AND it with the primary key): every pending row of
 * every push, dead index entries included until a vacuum, for each claim of a few rows. With
 * 3,000 rows pending, a claim of 16 took 27–49 ms that way and 2–8 ms by primary key.
 */
const pendingRow = (table: string) => `(${table}.state || '') = 'pending'`;

export function claimSql(where: string, attempt: string, leaseMs: string, ids?: string): string {
  const keys = ids ? `unnest(${ids}) AS k(id)` : null;
  const by = keys ? 'trigger_deliveries.id = k.id AND ' : '';
  // A trigger whose receiver answered 410 Gone is sent nothing more: its pending deliveries are
  // dead-lettered here without a request (no attempt), the others are claimed. The two updates
  // take disjoint rows (one snapshot of the owner's condition).
  const disabledOwner = `EXISTS (SELECT 1 FROM triggers t WHERE t.uid = trigger_deliveries.owner_uid AND ${endpointDisabledSql('t')})`;
  // A paused owner's rows are not claimed either: they wait, pending, for the unpause (paused-owner.ts). One probe for both.
  const heldOwner = `EXISTS (SELECT 1 FROM triggers t WHERE t.uid = trigger_deliveries.owner_uid AND (${endpointDisabledSql('t')} OR ${pausedSql('t')}))`;
  // Their versions are taken once per candidate (MATERIALIZED), see deliveryChangesSql. Callers
  // wake the change feeds when a claim took fewer rows than asked (see noteUnclaimed).
  // An attempt row is numbered in sending order: attempts interrupted by a crash (rows numbered
  // `attempt` or above, in this generation) come before it, though the budget (`attempts`, which
  // counts finished ones) does not count them. Its id is drawn in c's RETURNING, so the load below
  // needs no join back to the insert: CTEs that the planner takes for one row each were joined by
  // a nested loop, n² comparisons, half the claim's time for a batch of a hundred.
  return `WITH offv AS MATERIALIZED (SELECT trigger_deliveries.id, nextval('resource_version_seq') AS rv FROM ${keys ? `${keys} JOIN ` : ''}trigger_deliveries
                                     ${keys ? 'ON trigger_deliveries.id = k.id ' : ''}WHERE ${pendingRow('trigger_deliveries')} AND ${where} AND ${disabledOwner}),
               off AS (UPDATE trigger_deliveries SET state = 'dead', dead_at = now(), last_status_code = NULL, resource_version = offv.rv,
                              last_error = '${NOT_SENT_ENDPOINT_DISABLED.replace(/'/g, "''")}'
                         FROM offv WHERE trigger_deliveries.id = offv.id AND ${pendingRow('trigger_deliveries')}
                        RETURNING trigger_deliveries.id, trigger_deliveries.namespace, trigger_deliveries.owner_name, trigger_deliveries.state),
               offch AS (${deliveryChangesSql('offv', 'off', 'MODIFIED', `'pending'`)}),
               c AS (UPDATE trigger_deliveries SET leased_until = now() + make_interval(secs => ${leaseMs}::float8 / 1000), claims = claims + 1
                      ${keys ? `FROM ${keys} ` : ''}WHERE ${by}${pendingRow('trigger_deliveries')} AND ${where} AND NOT ${heldOwner}
                      RETURNING trigger_deliveries.*, nextval('trigger_delivery_attempts_id_seq') AS attempt_id),
               closed AS (${closeInterruptedSql('delivery_id IN (SELECT id FROM c)')}),
               a AS (INSERT INTO trigger_delivery_attempts (id, delivery_id, generation, attempt)
                     SELECT attempt_id, id, generation, ${attempt} + (SELECT count(*) FROM trigger_delivery_attempts x
                                                          WHERE x.delivery_id = c.id AND x.generation = c.generation AND x.attempt >= ${attempt})
                       FROM c)
          ${loadSelect('c', ', d.attempt_id::text AS attempt_id')}`;
}

/**
 * Closes the attempts of a delivery that were started but never finished (the delivery is being
 * sent again with the same webhook-id), so the history shows them. Either the worker died during
 * the POST, or it could not write the answer before the claim's lease ran out (Postgres away
 * longer than the lease window): the claim cannot tell which, so the message names both rather
 * than sending an operator looking for a crash that never happened.
 */
function closeInterruptedSql(deliveries: string): string {
  return `UPDATE trigger_delivery_attempts SET finished_at = now(),
            error = 'interrupted: no outcome was recorded (the worker stopped, or could not record the answer before the claim''s lease ran out); the receiver may have got it; the retry has the same webhook-id'
           WHERE ${deliveries} AND finished_at IS NULL RETURNING 1`;
}
