import type { FieldSelector } from './field-selector';
import type { LabelSelector } from './label-selector';
import type { ListMeta } from './object-meta.types';
import type { UserInfo } from './user-info';

export interface ListOptions {
  /** undefined = every namespace (or a cluster-scoped resource). */
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  limit?: number;
  continueToken?: string;
  /** resourceVersionMatch=Exact: list the objects as they were at this version (stores that keep a change log). */
  exactResourceVersion?: string;
}

export interface ListResult<T> {
  metadata: ListMeta;
  items: T[];
}

export interface WriteOptions {
  dryRun: boolean;
  /**
   * Who writes, for field ownership (metadata.managedFields): the request's fieldManager, else
   * its User-Agent's product name. Absent for the server's own writes, which track nothing.
   */
  fieldManager?: string;
  /** Server-side apply only: take over fields other managers own instead of failing. */
  force?: boolean;
  /** The caller when API authentication is on (reviews of the caller's own access use it). */
  user?: UserInfo;
}

/**
 * The options of a write the server makes on a request's behalf (a stream an import or a tag write
 * creates, an imported Image): the same dry run, but no field manager (upstream makes these
 * writes through its internal registry, which records no ownership).
 */
export function serverWriteOptions(options: WriteOptions): WriteOptions {
  return { dryRun: options.dryRun };
}

/** DeleteOptions.propagationPolicy: what happens to the dependents of the object deleted. */
export type DeletionPropagation = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  /**
   * The policy the request asked for (`propagationPolicy`, or the legacy `orphanDependents`:
   * true is Orphan, false Background); absent: the kind's default (Background here).
   */
  propagationPolicy?: DeletionPropagation;
  /**
   * The legacy `orphanDependents` as the request gave it. Only a Namespace reads it apart from
   * the policy: there false asks for `foregroundDeletion`, not Background.
   */
  orphanDependents?: boolean;
}

/** The answer to a write: HTTP code and body. */
export interface WriteResult {
  code: number;
  body: object;
  /** `Warning` header values (a strategy's warnings about what was stored). */
  warnings?: string[];
}
