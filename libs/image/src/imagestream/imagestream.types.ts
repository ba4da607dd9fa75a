import type { ApiObject } from '@app/api-machinery';

export interface ObjectReference {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface TagImportPolicy {
  insecure?: boolean;
  scheduled?: boolean;
  importMode?: string;
}

export interface TagReferencePolicy {
  type: string;
}

/** spec.tags[] (openshift/api image/v1 TagReference). */
export interface TagReference {
  name: string;
  annotations: Record<string, string> | null;
  from?: ObjectReference;
  reference?: boolean;
  generation: number | null;
  importPolicy: TagImportPolicy;
  referencePolicy: TagReferencePolicy;
}

export interface TagEvent {
  created: string;
  dockerImageReference: string;
  image: string;
  generation: number;
}

export interface TagEventCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
  generation: number;
}

export interface NamedTagEventList {
  tag: string;
  items: TagEvent[] | null;
  conditions?: TagEventCondition[];
}

export interface ImageStreamSpec {
  lookupPolicy: { local: boolean };
  dockerImageRepository?: string;
  tags?: TagReference[];
}

export interface ImageStreamStatus {
  dockerImageRepository: string;
  publicDockerImageRepository?: string;
  tags?: NamedTagEventList[];
}

export interface ImageStream extends ApiObject {
  spec: ImageStreamSpec;
  status?: ImageStreamStatus;
}
