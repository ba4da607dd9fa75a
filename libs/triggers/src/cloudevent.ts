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

export interface TriggerEventData {
  namespace: string;
  stream: string;
  tag: string;
  old: { digest: string | null; pullSpec: string | null };
  new: { digest: string; pullSpec: string };
  trigger: { apiVersion: string; kind: string; namespace: string; name: string; uid: string; generation: number };
  target: { kind: string; name: string; containerNames?: string[]; fieldPath?: string };
  patch: JsonPatchOp[] | null;
  reason: string;
  tagChangeId: string | null;
  causation: CausationLink[];
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
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
    time,
    datacontenttype: 'application/json',
    ...(causedBy ? { causationid: causedBy.deliveryId } : {}),
    data,
  };
}
