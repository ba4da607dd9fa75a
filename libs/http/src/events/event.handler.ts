import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type ListOptions, type ListResult, type ResourceInfo, refOf } from '@app/api-machinery';
import { currentResourceVersion, type Database, type HandlerWatchOptions, type ResourceHandler, type WatchEventOut } from '@app/persistence';

/** core/v1 Event: the field selectors kube-apiserver accepts for it (kubectl describe and kubectl events use involvedObject.*). */
export const eventsInfo: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'events',
  singularName: 'event',
  kind: 'Event',
  listKind: 'EventList',
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  shortNames: ['ev'],
  fieldSelectors: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  ownFieldLabelConversion: true,
  mergeKeys: {},
};

/**
 * Events are not recorded here (nothing emits them), but clients read them: `kubectl describe`
 * lists an object's events by field selector and `kubectl events` lists and watches them. They get
 * what a cluster whose events have all expired answers: an empty EventList at the current
 * resourceVersion (selectors checked), a 404 per name, and watches that carry only bookmarks.
 */
export class EventHandler implements ResourceHandler {
  readonly info = eventsInfo;

  constructor(private readonly db: Database) {}

  get(_namespace: string, name: string): Promise<object> {
    return Promise.reject(ApiError.notFound(refOf(this.info), name));
  }

  async list(_options: ListOptions): Promise<ListResult<object>> {
    return { metadata: { resourceVersion: await currentResourceVersion(this.db) }, items: [] };
  }

  async watchItself(o: HandlerWatchOptions, emit: (event: WatchEventOut) => void): Promise<void> {
    // Watch-list clients wait for the end of the (here empty) initial state before anything else.
    if (o.sendInitialEvents === true && o.allowWatchBookmarks) {
      const resourceVersion = await currentResourceVersion(this.db);
      emit({ type: 'BOOKMARK', object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    }
    let lastBookmark = Date.now();
    let preTimeoutBookmarkSent = false;
    while (!o.signal.aborted) {
      const lastCall = !preTimeoutBookmarkSent && o.preTimeoutBookmarkAt !== undefined && Date.now() >= o.preTimeoutBookmarkAt;
      if (lastCall) preTimeoutBookmarkSent = true;
      if (o.allowWatchBookmarks && (lastCall || Date.now() - lastBookmark >= o.bookmarkIntervalMs)) {
        emit({ type: 'BOOKMARK', object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: await currentResourceVersion(this.db) } } });
        lastBookmark = Date.now();
      }
      await sleep(250, undefined, { signal: o.signal }).catch(() => undefined); // an abort ends the wait early
    }
  }
}
