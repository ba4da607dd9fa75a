import type { FieldSelector } from './field-selector';
import type { LabelSelector } from './label-selector';
import type { ListMeta } from './object-meta.types';

export interface ListOptions {
  /** undefined = every namespace (or a cluster-scoped resource). */
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  limit?: number;
  continueToken?: string;
}

export interface ListResult<T> {
  metadata: ListMeta;
  items: T[];
}

export interface WriteOptions {
  dryRun: boolean;
}

export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** The answer to a write: HTTP code and body. */
export interface WriteResult {
  code: number;
  body: object;
}
