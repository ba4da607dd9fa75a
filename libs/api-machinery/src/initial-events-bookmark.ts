import { apiVersionOf, type ResourceInfo } from './resource-info';

/** Marks the BOOKMARK that ends a watch-list's initial state (client-go's reflector waits for it). */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

/**
 * kube-apiserver 1.32 also puts an empty list of the watched kind on that bookmark, base64 of its
 * encoding; client-go 1.32–1.33 (WatchListClient) builds the list it returns from it and fails
 * over to a plain LIST without it. Newer servers stopped sending it; newer clients ignore it.
 */
export const INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION = 'kubernetes.io/initial-events-list-blueprint';

/** An empty list as apimachinery's JSON serializer writes it (no items is `null`; a newline ends it), base64. */
export function emptyListBlueprint(listKind: string, apiVersion: string): string {
  return Buffer.from(`${JSON.stringify({ kind: listKind, apiVersion, metadata: {}, items: null })}\n`, 'utf8').toString('base64');
}

/** The BOOKMARK object that ends a watch-list's initial state at `resourceVersion`. */
export function initialEventsEndBookmark(info: ResourceInfo, resourceVersion: string): object {
  return {
    kind: info.kind,
    apiVersion: apiVersionOf(info),
    metadata: {
      resourceVersion,
      annotations: {
        [INITIAL_EVENTS_END_ANNOTATION]: 'true',
        [INITIAL_EVENTS_LIST_BLUEPRINT_ANNOTATION]: emptyListBlueprint(info.listKind, apiVersionOf(info)),
      },
    },
  };
}
