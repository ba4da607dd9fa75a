import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchType,
  ResourceInfo,
  WriteOptions,
  WriteResult,
} from '@app/api-machinery';

/**
 * What the HTTP layer can ask of one resource (stored or virtual). A missing method means the
 * verb is not served (405). Namespace is '' for cluster-scoped resources.
 */
export interface ResourceHandler {
  readonly info: ResourceInfo;
  get?(namespace: string, name: string): Promise<object>;
  list?(options: ListOptions): Promise<ListResult<object>>;
  create?(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult>;
  update?(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult>;
  patch?(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult>;
  delete?(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult>;
  /** Watchable resources: a change-log object as served (computed state filled in, as of the change's snapshot mark). */
  present?(obj: object, mark?: string | null): Promise<object>;
  /** present() for many objects in one go (one read of their computed state). */
  presentMany?(objs: object[], marks?: (string | null | undefined)[]): Promise<object[]>;
  /** Watchable resources: the current object, for change-log entries written without one. */
  current?(namespace: string, name: string): Promise<object | null>;
  /** Values for fieldSelector matching of a watched object. */
  fieldsOf?(obj: object): Record<string, string>;
}
