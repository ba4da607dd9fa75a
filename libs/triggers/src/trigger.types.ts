import type { ApiObject } from '@app/api-machinery';

export const TRIGGER_GROUP = 'triggers.imagestreamd.io';
export const TRIGGER_VERSION = 'v1';
export const TRIGGER_API_VERSION = `${TRIGGER_GROUP}/${TRIGGER_VERSION}`;

export type TargetKind = 'Build' | 'Deployment' | 'Webhook';
export const targetKinds: TargetKind[] = ['Build', 'Deployment', 'Webhook'];

/** A condition as Kubernetes' metav1.Condition: reason, message and lastTransitionTime always set by the service. */
export interface TriggerCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** The trigger's metadata.generation the condition was set from (older than it: out of date). */
  observedGeneration?: number;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface TriggerFrom {
  kind: 'ImageStreamTag';
  name: string;
  namespace?: string;
}

export interface TriggerTarget {
  kind: TargetKind;
  name: string;
  containerNames?: string[];
  fieldPath?: string;
}

export interface TriggerDelivery {
  url: string;
  /** Required on writes: every delivery is signed (optional here for triggers stored before that). */
  secretRef?: { name: string };
  headers?: Record<string, string>;
  /** CloudEvents HTTP content mode: `structured` (default, the event is the body) or `binary` (ce-* headers, `data` is the body). */
  contentMode?: 'structured' | 'binary';
}

export interface TriggerSpec {
  from: TriggerFrom;
  target: TriggerTarget;
  delivery: TriggerDelivery;
  paused?: boolean;
}

export interface TriggerStatus {
  lastTriggeredImageID?: string;
  lastTriggeredImage?: string;
  lastTriggeredTime?: string;
  /** tag_changes id of the move that last fired (internal bookkeeping, shown for pull consumers). */
  lastTriggeredChangeID?: string;
  observedGeneration?: number;
  conditions?: TriggerCondition[];
}

export interface Trigger extends ApiObject {
  spec: TriggerSpec;
  status?: TriggerStatus;
}

/** TriggerSecret data keys `header.<name>` hold delivery headers whose values are secret (a receiver's credentials). */
export const SECRET_HEADER_PREFIX = 'header.';

export interface TriggerSecret extends ApiObject {
  /**
   * key: the current signing secret; previousKey: still accepted during a rotation;
   * `header.<name>`: a header sent with every delivery signed by this secret. Never served.
   */
  data?: { key?: string; previousKey?: string; [header: `header.${string}`]: string };
  /** Output only: which data keys are set. */
  dataKeys?: string[];
}

/** One HTTP attempt of a delivery (attempt times are RFC 3339 UTC with microseconds). */
export interface DeliveryAttempt {
  generation: number;
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
}

export interface DeliverySpec {
  owner: { kind: string; name: string; uid: string };
  idempotencyKey: string;
  image: string;
  url: string;
  /** The CloudEvent POSTed (byte-identical on every attempt). */
  event: object;
}

export interface DeliveryStatus {
  state: string;
  redriveGeneration: number;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  nextAttemptTime?: string;
  deliveredTime?: string;
  deadLetteredTime?: string;
  attemptHistory: DeliveryAttempt[];
}

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A Delivery as served (read-only): one fire of a Trigger or annotated workload and its attempts. */
export interface Delivery extends ApiObject {
  /** ownerReferences: the Trigger or workload whose fire this is (controller), as the garbage collector reads it. */
  metadata: ApiObject['metadata'] & { ownerReferences?: OwnerReference[] };
  spec: DeliverySpec;
  status: DeliveryStatus;
}

/** One entry of the image.openshift.io/triggers annotation. */
export interface AnnotationTrigger {
  from: { kind: string; name: string; namespace?: string; apiVersion?: string };
  fieldPath: string;
  paused?: boolean;
}

export interface Workload extends ApiObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export const TRIGGERS_ANNOTATION = 'image.openshift.io/triggers';
/** Label a build echoes onto the image it pushes: the delivery id that caused it. */
export const CAUSATION_LABEL = 'triggers.imagestreamd.io/caused-by';

/** Splits `stream:tag`; null when malformed. */
export function parseStreamTag(name: string): { stream: string; tag: string } | null {
  const parts = name.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1] || name.includes('@')) return null;
  return { stream: parts[0], tag: parts[1] };
}
