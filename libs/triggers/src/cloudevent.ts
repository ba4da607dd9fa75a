import { createHash } from 'node:crypto';
import type { JsonPatchOp } from './annotation';
import { TRIGGER_API_VERSION } from './trigger.types';

export interface CausationLink {
  deliveryId: string;
  /** Owner kind of the delivery (absent = Trigger; an annotated workload names its kind). */
  kind?: string;
  trigger: string;
  namespace: string;
  image: string;
}

/** Media types of `data.patch`, usable as the Content-Type of a Kubernetes PATCH of the target. */
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export type PatchType = typeof JSON_PATCH | typeof STRATEGIC_MERGE_PATCH;

/** A tag's image before and after a move; pull specs as the tag's history hands them out (referencePolicy applied). */
export interface ImageChange {
  old: { digest: string | null; pullSpec: string | null };
  new: { digest: string; pullSpec: string };
}

/** One annotation entry an annotated workload's update applied (see TriggerEventData.changes). */
export interface WorkloadEntryChange extends ImageChange {
  fieldPath: string;
  namespace: string;
  stream: string;
  tag: string;
  reason: string;
}

export interface TriggerEventData extends ImageChange {
  namespace: string;
  stream: string;
  tag: string;
  trigger: { apiVersion: string; kind: string; namespace: string; name: string; uid: string; generation: number };
  target: { kind: string; name: string; containerNames?: string[]; fieldPath?: string };
  /**
   * What sets the new image on the target, of media type `patchType`: a JSON patch (RFC 6902)
   * or a strategic-merge patch. Null when the target names no container (Build, Webhook).
   */
  patch: JsonPatchOp[] | Record<string, unknown> | null;
  patchType?: PatchType;
  reason: string;
  tagChangeId: string | null;
  causation: CausationLink[];
  /**
   * Annotated workloads only: every annotation entry the one update applied (OpenShift updates a
   * workload once for all changed containers). The fields above describe the first of them.
   */
  changes?: WorkloadEntryChange[];
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  /** RFC 3339; absent in a preview (no event has happened; CloudEvents makes it optional). */
  time?: string;
  datacontenttype: 'application/json';
  causationid?: string;
  data: TriggerEventData;
}

export const EVENT_TYPE = 'io.imagestreamd.trigger.image-changed.v1';

/** Deterministic delivery id from the idempotency key: preview and the real fire agree, retries keep it. */
export function deliveryIdOf(key: string): string {
  return `msg_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** `resourcePath` names the dependent when it is not a Trigger (an annotated workload: `apis/apps/v1/…/deployments/x`). */
export function buildEvent(id: string, source: string, time: string, data: TriggerEventData, resourcePath?: string): CloudEvent {
  const causedBy = data.causation[data.causation.length - 1];
  return {
    specversion: '1.0',
    id,
    source: `${source}/${resourcePath ?? `apis/${TRIGGER_API_VERSION}/namespaces/${data.trigger.namespace}/triggers/${data.trigger.name}`}`,
    type: EVENT_TYPE,
    subject: `${data.namespace}/${data.stream}:${data.tag}`,
    ...(time ? { time } : {}),
    datacontenttype: 'application/json',
    ...(causedBy ? { causationid: causedBy.deliveryId } : {}),
    data,
  };
}
