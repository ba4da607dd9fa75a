/** Kubernetes ObjectMeta as served on the wire (the subset this server implements). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** Deprecated upstream; a write may carry it, the store never keeps it. */
  selfLink?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TypeMeta {
  kind?: string;
  apiVersion?: string;
}

/** Any object the resource machinery stores or serves. */
export interface ApiObject extends TypeMeta {
  metadata: ObjectMeta;
}
