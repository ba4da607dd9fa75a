import type {
  DeleteOptions,
  FieldSelector,
  LabelSelector,
  ListOptions,
  ListResult,
  PatchType,
  ResourceInfo,
  WriteOptions,
  WriteResult,
} from '@app/api-machinery';

/** One line of a watch stream. */
export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: object;
}

/** A watch a handler serves itself (kinds outside the change log, such as the tag-change feed). */
export interface HandlerWatchOptions {
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  /** Watch-list (`sendInitialEvents`): undefined when the client did not ask either way. */
  sendInitialEvents?: boolean;
  /** How often to send a BOOKMARK when allowed (WATCH_BOOKMARK_INTERVAL_SECONDS). */
  bookmarkIntervalMs: number;
  /** When (epoch ms) to send one more BOOKMARK because the watch is about to time out (as kube-apiserver, 2 s before). */
  preTimeoutBookmarkAt?: number;
  /** Aborted when the client goes away, the watch times out or the server shuts down. */
  signal: AbortSignal;
  /**
   * Waits for committed changes of `resources` (in the watch's namespace, or any) as the server's
   * change feed reads them: for handlers that poll a table written together with those resources.
   * Ends with the watch.
   */
  changesOf?(resources: readonly string[]): { next(timeoutMs: number): Promise<void> };
}

/**
 * What the HTTP layer can ask of one resource (stored or virtual). A missing method means the
 * verb is not served (405). Namespace is '' for cluster-scoped resources.
 */
export interface ResourceHandler {
  readonly info: ResourceInfo;
  /**
   * A GET that takes another kind's list options and forwards them to that kind's list (upstream
   * GetterWithOptions; imagestreams/secrets lists core Secrets): the query is read as that list
   * reads it, so bad selectors are refused with its wording.
   */
  readonly getTakesListOptionsOf?: ResourceInfo;
  /** `listOptions`: the request's query as getTakesListOptionsOf's list reads it (only for such a GET). */
  get?(namespace: string, name: string, listOptions?: ListOptions): Promise<object>;
  list?(options: ListOptions): Promise<ListResult<object>>;
  /**
   * Kinds whose resourceVersions count something of their own (the tag-change feed's positions):
   * a list's `resourceVersion=N` (N ≠ 0) waits for N in that count and is 504 when it is not
   * reached, instead of being held to the server's resourceVersion, which is far ahead of it.
   */
  awaitResourceVersion?(requested: string): Promise<void>;
  create?(namespace: string, body: unknown, options: WriteOptions): Promise<WriteResult>;
  update?(namespace: string, name: string, body: unknown, options: WriteOptions): Promise<WriteResult>;
  patch?(namespace: string, name: string, type: PatchType, patch: unknown, options: WriteOptions): Promise<WriteResult>;
  /**
   * Refuses a patch the kind forbids whatever the object holds (a JSON patch reading write-only
   * values): run before the patch body's fields are judged, so that rule's answer comes first.
   */
  checkPatch?(name: string, type: PatchType, patch: unknown): void;
  delete?(namespace: string, name: string, options: DeleteOptions): Promise<WriteResult>;
  /** Watchable resources: a change-log object as served (computed state filled in, as of the change's snapshot mark). */
  present?(obj: object, mark?: string | null): Promise<object>;
  /** A deleted object's last logged state as a DELETED event serves it (as logged when absent). */
  presentDeleted?(obj: object): object;
  /** present() for many objects in one go (one read of their computed state). */
  presentMany?(objs: object[], marks?: (string | null | undefined)[]): Promise<object[]>;
  /** Watchable resources: the current object, for change-log entries written without one. */
  current?(namespace: string, name: string): Promise<object | null>;
  /**
   * Kinds logged without their object whose DELETED row holds the last state: that state when the
   * object was deleted after version `afterRv` (a watch replaying its earlier changes), else null.
   */
  deletedState?(namespace: string, name: string, afterRv: string): Promise<object | null>;
  /** A watch served by the handler itself: emits events until `signal` aborts (or returns after an ERROR). */
  watchItself?(options: HandlerWatchOptions, emit: (event: WatchEventOut) => void): Promise<void>;
  /** Values for fieldSelector matching of a watched object. */
  fieldsOf?(obj: object): Record<string, string>;
  /**
   * Values for fieldSelector matching of a change logged without its object (see current), read
   * from the change's labels: for kinds whose selectable fields are mirrored in labels.
   */
  fieldsOfLabels?(labels: Record<string, string>): Record<string, string>;
  /**
   * Objects of this kind that clients cannot delete and no owner's removal takes (e.g. orphaned
   * dependents) but that go with their namespace: the namespace controller calls this once the
   * namespace is otherwise empty, just before removing it (a failure leaves the namespace
   * Terminating, to be tried again).
   */
  removeNamespaceLeftovers?(namespace: string): Promise<void>;
}
