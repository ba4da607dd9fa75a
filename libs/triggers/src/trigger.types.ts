import type { ApiObject } from '@app/api-machinery';

export const TRIGGER_GROUP = 'triggers.imagestreamd.io';
export const TRIGGER_VERSION = 'v1';
export const TRIGGER_API_VERSION = `${TRIGGER_GROUP}/${TRIGGER_VERSION}`;

export type TargetKind = 'Build' | 'Deployment' | 'Webhook';
export const targetKinds: TargetKind[] = ['Build', 'Deployment', 'Webhook'];

export interface TriggerCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface TriggerSpec {
  from: { kind: 'ImageStreamTag'; name: string; namespace?: string };
  target: { kind: TargetKind; name: string; containerNames?: string[]; fieldPath?: string };
  delivery: { url: string; secretRef?: { name: string }; headers?: Record<string, string> };
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

export interface TriggerSecret extends ApiObject {
  /** key: the current signing secret; previousKey: still accepted during a rotation. Never served. */
  data?: { key?: string; previousKey?: string };
  /** Output only: which data keys are set. */
  dataKeys?: string[];
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
export const OCI_BASE_DIGEST = 'org.opencontainers.image.base.digest';
export const OCI_BASE_NAME = 'org.opencontainers.image.base.name';

/** Splits `stream:tag`; null when malformed. */
export function parseStreamTag(name: string): { stream: string; tag: string } | null {
  const parts = name.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1] || name.includes('@')) return null;
  return { stream: parts[0], tag: parts[1] };
}
