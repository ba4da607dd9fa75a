import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, apiVersionOf, initialEventsEndBookmark, type ListOptions, type ListResult, type ResourceInfo, refOf } from '@app/api-machinery';
import { currentResourceVersion, type Database, type HandlerWatchOptions, type ResourceHandler, type WatchEventOut } from '@app/persistence';

/**
 * A core kind that nothing here ever creates but clients read as part of their usual commands:
 * it answers what a cluster without any such object answers. An empty list at the current
 * resourceVersion (selectors checked), a 404 per name, and watches that carry only bookmarks.
 */
export class AlwaysEmptyHandler implements ResourceHandler {
  constructor(
    readonly info: ResourceInfo,
    private readonly db: Database,
  ) {}

  get(_namespace: string, name: string): Promise<object> {
    return Promise.reject(ApiError.notFound(refOf(this.info), name));
  }

  async list(_options: ListOptions): Promise<ListResult<object>> {
    return { metadata: { resourceVersion: await currentResourceVersion(this.db) }, items: [] };
  }

  async watchItself(o: HandlerWatchOptions, emit: (event: WatchEventOut) => void): Promise<void> {
    const type = { kind: this.info.kind, apiVersion: apiVersionOf(this.info) };
    // Watch-list clients wait for the end of the (here empty) initial state before anything else.
    if (o.sendInitialEvents === true && o.allowWatchBookmarks) {
      const resourceVersion = await currentResourceVersion(this.db);
      emit({ type: 'BOOKMARK', object: initialEventsEndBookmark(this.info, resourceVersion) });
    }
    let lastBookmark = Date.now();
    let preTimeoutBookmarkSent = false;
    while (!o.signal.aborted) {
      const lastCall = !preTimeoutBookmarkSent && o.preTimeoutBookmarkAt !== undefined && Date.now() >= o.preTimeoutBookmarkAt;
      if (lastCall) preTimeoutBookmarkSent = true;
      if (o.allowWatchBookmarks && (lastCall || Date.now() - lastBookmark >= o.bookmarkIntervalMs)) {
        emit({ type: 'BOOKMARK', object: { ...type, metadata: { resourceVersion: await currentResourceVersion(this.db) } } });
        lastBookmark = Date.now();
      }
      await sleep(250, undefined, { signal: o.signal }).catch(() => undefined); // an abort ends the wait early
    }
  }
}
