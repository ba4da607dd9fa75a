import { nowTimestamp } from '@app/api-machinery';
import { DELIVERY_STATE_LABEL, DELIVERY_TRIGGER_LABEL } from './delivery-versions';
import { eventBaseJoin, eventSql } from './event-bases';
import { workloadKinds } from './resource-infos';
import { type Delivery, type OwnerReference, TRIGGER_API_VERSION } from './trigger.types';

/** metav1.Time on the wire: RFC 3339 UTC, whole seconds. */
export const iso = (d: Date | string | null) => (d === null ? undefined : nowTimestamp(new Date(d)));
/** Attempt times as metav1.MicroTime: RFC 3339 UTC with microseconds (jsonb would print `+00:00`). */
const microTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A delivery row as deliverySelect reads it. */
export interface DeliveryDbRow {
  id: string;
  seq: string;
  resource_version: string;
  namespace: string;
  owner_kind: string;
  owner_name: string;
  owner_uid: string;
  /** The owner was deleted with propagationPolicy Orphan: the delivery has no ownerReference any more. */
  orphaned: boolean;
  idempotency_key: string;
  image: string;
  url: string;
  state: string;
  generation: number;
  attempts: number;
  /** When the next attempt may start: next_attempt_at, or the end of a claim's lease (leased_until) while one holds it. */
  due_at: Date;
  last_error: string | null;
  last_status_code: number | null;
  created_at: Date;
  delivered_at: Date | null;
  dead_at: Date | null;
  /** The stored part of the event; whole_event is the event (see event-bases.ts). */
  event: object;
  whole_event: object;
  attempt_list: { generation: number; attempt: number; startedAt: string; finishedAt: string | null; statusCode: number | null; latencyMs: number | null; error: string | null }[] | null;
}

/** The apiVersion of each kind that owns deliveries: Triggers and the annotated workloads. */
const ownerApiVersions = new Map<string, string>([['Trigger', TRIGGER_API_VERSION], ...workloadKinds.map((w) => [w.kind, `${w.group}/v1`] as const)]);

/**
 * The owner as Kubernetes' garbage collector reads it: a controller reference that blocks the
 * owner's foreground deletion, as controllers set on the dependents they create. The owner's
 * removal deletes the delivery, or orphans it (see delivery-collector.ts).
 */
function ownerReferenceOf(r: DeliveryDbRow): OwnerReference {
  return {
    apiVersion: ownerApiVersions.get(r.owner_kind) ?? TRIGGER_API_VERSION,
    kind: r.owner_kind,
    name: r.owner_name,
    uid: r.owner_uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function toDelivery(r: DeliveryDbRow): Delivery {
  return {
    kind: 'Delivery',
    apiVersion: TRIGGER_API_VERSION,
    metadata: {
      name: r.id,
      namespace: r.namespace,
      uid: r.id,
      resourceVersion: r.resource_version,
      creationTimestamp: iso(r.created_at),
      labels: { [DELIVERY_TRIGGER_LABEL]: r.owner_name, [DELIVERY_STATE_LABEL]: r.state },
      // Orphaned: no reference, as Kubernetes' garbage collector leaves an orphan (spec.owner still says whose fire it is).
      ownerReferences: r.orphaned ? undefined : [ownerReferenceOf(r)],
    },
    spec: { owner: { kind: r.owner_kind, name: r.owner_name, uid: r.owner_uid }, idempotencyKey: r.idempotency_key, image: r.image, url: r.url, event: r.whole_event },
    status: {
      state: r.state,
      redriveGeneration: r.generation,
      attempts: r.attempts,
      lastStatusCode: r.last_status_code ?? undefined,
      lastError: r.last_error ?? undefined,
      nextAttemptTime: r.state === 'pending' ? iso(r.due_at) : undefined,
      deliveredTime: iso(r.delivered_at),
      deadLetteredTime: iso(r.dead_at),
      attemptHistory: r.attempt_list ?? [],
    },
  };
}

/** SQL: deliveries (`d`) with their whole event and attempts, as toDelivery presents them; add WHERE/ORDER. */
export const deliverySelect = `
  SELECT d.*, d.seq::text AS seq, d.resource_version::text AS resource_version, d.owner_uid::text AS owner_uid,
         greatest(d.next_attempt_at, d.leased_until) AS due_at, ${eventSql('d', 'eb')} AS whole_event,
         (SELECT jsonb_agg(jsonb_build_object('generation', a.generation, 'attempt', a.attempt, 'startedAt', ${microTime('a.started_at')},
                  'finishedAt', ${microTime('a.finished_at')}, 'statusCode', a.status_code, 'latencyMs', a.latency_ms, 'error', a.error) ORDER BY a.id)
            FROM trigger_delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_list
    FROM trigger_deliveries d ${eventBaseJoin('d', 'eb')}`;
