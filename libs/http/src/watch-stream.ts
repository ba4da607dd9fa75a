import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import {
  ApiError,
  apiVersionOf,
  type ApiObject,
  type FieldSelector,
  initialEventsEndBookmark,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  type ResourceInfo,
} from '@app/api-machinery';
import { type ChangeRecord, compactedResourceVersion, currentResourceVersion, type Database, readChanges, type ResourceHandler } from '@app/persistence';
import type { ChangeFeed } from './change-feed';
import type { PresentedChanges } from './presented-changes';
import { awaitResourceVersion } from './resource-version-gate';
import { toApiError } from './status-exception.filter';
import type { EventWriter } from './table/table-watch';

const watchLogger = new Logger('WatchStream');

/** The longest delay a Node timer holds (2^31-1 ms, 24.8 days): a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A watch's lifetime: `timeoutSeconds`, else 30–60 minutes (kube-apiserver's default, spread so
 * reconnects do not bunch). A longer `timeoutSeconds` than a timer holds ends the watch after
 * 24.8 days, a clean end a client resumes from, rather than at once.
 */
export function watchTimeoutMs(timeoutSeconds?: number): number {
  return Math.min((timeoutSeconds ?? 1800 + Math.floor(Math.random() * 1800)) * 1000, MAX_TIMER_MS);
}

/**
 * When, after the start of a watch lasting `timeoutMs`, to send the BOOKMARK kube-apiserver's
 * watch cache sends 2 s before the deadline (so a client can resume from the newest version
 * instead of re-listing); undefined when the watch is too short for one.
 */
export function preTimeoutBookmarkDelayMs(timeoutMs: number): number | undefined {
  const delay = timeoutMs - 2000;
  return delay > 0 ? delay : undefined;
}

export interface WatchRequest {
  handler: ResourceHandler;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Changes delivered (and presented) together at most. */
const BATCH = 200;

/**
 * One watch connection: initial state (when no resourceVersion is given), the change-log
 * backlog after the requested version, then live changes from the feed, deduplicated by
 * resourceVersion. Every change is delivered with the object as it was written; an image
 * stream's computed status (its tag history) is filled in as of delivery.
 */
export class WatchStream {
  private lastRv = '0';
  private queue: ChangeRecord[] = [];
  private live = false;
  private pumping: Promise<void> | undefined;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly info: ResourceInfo;
  /** Versions sent in the initial ADDED events: older changes to those objects are not repeated. */
  private readonly listed = new Map<string, bigint>();

  constructor(
    private readonly req: WatchRequest,
    private readonly res: ServerResponse,
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly bookmarkIntervalMs: number,
    private readonly onClose: (w: WatchStream) => void,
    private readonly presentedChanges: PresentedChanges,
  ) {
    this.info = req.handler.info;
  }

  private write(type: EventType, object: object): void {
    if (this.closed) return;
    // A converting response (Table) takes the object itself: what a printer reads off it may not
    // survive JSON (a redacted Secret's key count).
    const writeEvent = (this.res as Partial<EventWriter>).writeEvent;
    if (writeEvent) writeEvent(type, object);
    else this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** `fields`: values of kind-specific selectable fields, when the selector names any. */
  private matches(namespace: string, name: string, labels: Record<string, string> | null, fields?: Record<string, string>): boolean {
    if (labels === null) return false;
    if (this.req.namespace !== undefined && this.info.namespaced && namespace !== this.req.namespace) return false;
    if (!matchesFields(this.req.fieldSelector, { ...fields, 'metadata.name': name, 'metadata.namespace': namespace })) return false;
    return matchesLabels(this.req.labelSelector, labels);
  }

  /** Does the field selector name fields beyond metadata (then matching needs the object as served)? */
  private get selectsKindFields(): boolean {
    return this.req.fieldSelector.some((f) => f.field !== 'metadata.name' && f.field !== 'metadata.namespace');
  }

  /**
   * Serves the watch. A failure before the headers (the newest version unreadable) is the
   * request's error Status; after them, as kube-apiserver's watch server ends a stream, an ERROR
   * event with that Status (503 while the database is away), never a silent empty 200.
   */
  async start(): Promise<void> {
    try {
      await this.serve();
    } catch (e) {
      if (!this.res.headersSent) throw e;
      const error = toApiError(e);
      if (error.code >= 500 && error.code !== 503) watchLogger.error(e instanceof Error ? e.stack : String(e));
      this.write('ERROR', error.toStatus());
      this.close();
    }
  }

  private async serve(): Promise<void> {
    this.res.on('close', () => this.close());
    const rv = this.req.resourceVersion;
    const initialEvents = this.req.sendInitialEvents;
    // sendInitialEvents=false with no version or "0" starts at the newest state without replaying
    // it (kube-apiserver's watch cache: "0" then means any version, so the newest one).
    const startsAtNewest = initialEvents === false && (rv === undefined || rv === '0');
    // Clients (client-go, client-node) wait for the headers before reading events, and take them
    // to mean the watch is established: every change committed after they arrive is delivered.
    // A watch from the newest state fixes that state below, so its headers wait for it.
    if (!startsAtNewest) this.sendHeaders();
    // Subscribe first so nothing committed after the snapshot below can slip between the two.
    this.unsubscribe = this.feed.onChange((c) => {
      if (c.resource !== this.info.resource) return;
      this.queue.push(c);
      if (this.live) this.pump();
    });
    const timeoutMs = watchTimeoutMs(this.req.timeoutSeconds);
    this.timers.push(setTimeout(() => this.close(), timeoutMs));
    if (this.req.allowWatchBookmarks) {
      this.timers.push(setInterval(() => this.bookmark(), this.bookmarkIntervalMs));
      const lastCall = preTimeoutBookmarkDelayMs(timeoutMs);
      if (lastCall !== undefined) this.timers.push(setTimeout(() => this.bookmark(), lastCall));
    }
    if (startsAtNewest) {
      // Watch-list without initial events and no version (or "0"): start at the newest committed state
      // (the feed's horizon once it has caught up with it: nothing at or below it is still open).
      const newest = await currentResourceVersion(this.db);
      this.lastRv = (await this.db.versionHorizon(newest)) ?? newest;
      if (!this.closed) this.sendHeaders();
    } else if (initialEvents === true || rv === undefined || rv === '0') {
      if (initialEvents === true && rv !== undefined && rv !== '0') {
        // NotOlderThan: the initial state must be at least that version. kube-apiserver's watch
        // cache waits briefly for it, then ends the watch with a 504 ResourceVersionTooLarge event.
        try {
          await awaitResourceVersion(this.db, rv);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          this.write('ERROR', e.toStatus());
          this.close();
          return;
        }
      }
      const list = await this.req.handler.list!({
        namespace: this.req.namespace,
        labelSelector: this.req.labelSelector,
        fieldSelector: this.req.fieldSelector,
      });
      for (const item of list.items) {
        const meta = (item as ApiObject).metadata;
        this.listed.set(`${meta.namespace ?? ''}/${meta.name}`, BigInt(meta.resourceVersion ?? '0'));
        this.write('ADDED', this.typed(item));
      }
      this.lastRv = list.metadata.resourceVersion ?? '0';
      // Watch-list clients (client-go's WatchListClient) wait for this bookmark to end the initial state.
      if (initialEvents === true && this.req.allowWatchBookmarks) {
        this.write('BOOKMARK', initialEventsEndBookmark(this.info, this.lastRv));
      }
    } else {
      this.lastRv = rv;
      // The backlog stops at the feed's horizon; later changes arrive through the feed in order.
      for (;;) {
        const from = this.lastRv;
        const backlog = await readChanges(this.db, from, 500, { resource: this.info.resource, upTo: this.feed.position });
        // A version older than the log, or compaction since the last page (which may have dropped
        // changes this page should hold): checked after the read, a compaction before it is seen.
        if (await this.expiredAt(from)) return;
        await this.deliverAll(backlog);
        if (backlog.length < 500 || this.closed) break;
      }
    }
    this.live = true;
    this.pump();
  }

  /**
   * Ends the watch with a 410 ERROR event when the change log no longer holds every change after
   * `rv`. As the watch cache words it: the second number is the oldest version a watch can still
   * start from.
   */
  private async expiredAt(rv: string): Promise<boolean> {
    const compacted = await compactedResourceVersion(this.db);
    if (BigInt(rv) >= BigInt(compacted)) return false;
    this.write('ERROR', ApiError.gone(`too old resource version: ${rv} (${compacted})`).toStatus());
    this.close();
    return true;
  }

  private sendHeaders(): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    this.res.flushHeaders();
  }

  private typed(obj: object): object {
    return { kind: this.info.kind, apiVersion: apiVersionOf(this.info), ...obj };
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = (async () => {
      while (this.queue.length && !this.closed) await this.deliverAll(this.queue.splice(0, BATCH));
    })()
      .catch(() => this.close())
      .finally(() => {
        this.pumping = undefined;
        if (this.queue.length && !this.closed) this.pump();
      });
  }

  /**
   * Delivers changes in order. The objects that need their computed state are presented together
   * (one read for the batch instead of one per change), and through the process-wide
   * PresentedChanges, so the other watches of the resource reuse that read. Each is filled in as
   * of its first delivery, after the change committed, as a single one would be.
   */
  private async deliverAll(changes: ChangeRecord[]): Promise<void> {
    const handler = this.req.handler;
    const presented = new Map<ChangeRecord, object>();
    const presentMany = handler.presentMany?.bind(handler);
    if (presentMany) {
      const needing = changes.filter((c) => c.object && c.type !== 'NONE' && (c.type !== 'DELETED' || this.selectsKindFields) && BigInt(c.rv) > BigInt(this.lastRv));
      if (needing.length) {
        const objects = await this.presentedChanges.get(needing, (missing) =>
          presentMany(
            missing.map((c) => this.withVersion(c)),
            missing.map((c) => c.snapshotMark),
          ),
        );
        needing.forEach((c, i) => presented.set(c, objects[i]!));
      }
    }
    for (const c of changes) {
      if (this.closed) return;
      await this.deliver(c, presented.get(c));
    }
  }

  private withVersion(c: ChangeRecord): object {
    const obj = c.object as ApiObject;
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: c.rv } };
  }

  /** `prepresented`: the change's object as served, when deliverAll read it already. */
  private async deliver(c: ChangeRecord, prepresented?: object): Promise<void> {
    if (BigInt(c.rv) <= BigInt(this.lastRv)) return;
    await this.send(c, prepresented);
    // Only once its event is written (or the change is passed over) may a bookmark report it.
    this.lastRv = c.rv;
  }

  /** Writes the event a change makes on this watch, if any. */
  private async send(c: ChangeRecord, prepresented?: object): Promise<void> {
    if (c.type === 'NONE') return;
    const seen = this.listed.get(`${c.namespace}/${c.name}`);
    if (seen !== undefined && BigInt(c.rv) <= seen) return;
    // Kind-specific fields are read from the objects as served. The log keeps the previous object of
    // a write that changed labels or such a field; without one, the fields did not move.
    let presented: object | undefined;
    let fields: Record<string, string> | undefined;
    let previous: object | undefined;
    let prevFields: Record<string, string> | undefined;
    if (this.selectsKindFields && c.object && this.req.handler.present && this.req.handler.fieldsOf) {
      presented = prepresented ?? (await this.req.handler.present(this.withVersion(c), c.snapshotMark));
      fields = this.req.handler.fieldsOf(presented);
      if (c.prevObject) previous = await this.presentPrevious(c);
      prevFields = previous ? this.req.handler.fieldsOf(previous) : fields;
    } else if (this.selectsKindFields && !c.object && this.req.handler.fieldsOfLabels) {
      // Logged without its object: the selectable fields are mirrored in the change's labels.
      fields = c.labels ? this.req.handler.fieldsOfLabels(c.labels) : undefined;
      prevFields = c.prevLabels ? this.req.handler.fieldsOfLabels(c.prevLabels) : fields;
    }
    const nowMatch = c.type !== 'DELETED' && this.matches(c.namespace, c.name, c.labels, fields);
    const prevMatch = this.matches(c.namespace, c.name, c.prevLabels, prevFields);
    if (c.type === 'DELETED') {
      if (prevMatch && c.object) this.write('DELETED', this.req.handler.presentDeleted?.(c.object) ?? c.object);
      return;
    }
    if (!nowMatch && !prevMatch) return;
    const type: EventType = nowMatch ? (prevMatch && c.type === 'MODIFIED' ? 'MODIFIED' : 'ADDED') : 'DELETED';
    if (type === 'DELETED' && c.prevObject) {
      // Stopped matching: the state that last matched, at this change's version (kube-apiserver's cacher).
      this.write(type, previous ?? (await this.presentPrevious(c)));
      return;
    }
    if (presented) {
      this.write(type, presented);
      return;
    }
    if (c.object && this.req.handler.present) {
      this.write(type, prepresented ?? (await this.req.handler.present(this.withVersion(c), c.snapshotMark)));
      return;
    }
    // Rows written without an object: the current state, unless it has changed again since (the
    // newer change delivers it). An ADDED or DELETED is sent even then, at this change's version:
    // the newer change, judged by its own labels, would not repeat the object appearing (a
    // MODIFIED of an object the client never saw) or leaving a label-selected watch (nothing).
    // Gone since: its last logged state, so a watch resumed from before still sees it appear (its DELETED follows).
    const current = ((await this.req.handler.current!(c.namespace, c.name)) ??
      (type === 'MODIFIED' ? null : await this.req.handler.deletedState?.(c.namespace, c.name, c.rv))) as ApiObject | null;
    if (!current) return;
    if (current.metadata.resourceVersion === c.rv) this.write(type, current);
    else if (type !== 'MODIFIED') this.write(type, { ...current, metadata: { ...current.metadata, resourceVersion: c.rv } });
  }

  /** The state before a change (logged for label and selectable-field changes) as served, at the change's version. */
  private async presentPrevious(c: ChangeRecord): Promise<object> {
    const previous = { ...c, object: c.prevObject };
    return this.req.handler.present ? this.req.handler.present(this.withVersion(previous), c.snapshotMark) : this.typed(this.withVersion(previous));
  }

  private bookmark(): void {
    if (!this.live || this.closed) return;
    // With nothing queued and no batch still being written, everything up to the feed's horizon has
    // been delivered; otherwise only what was written (a client resumes from a bookmark's version).
    const idle = this.queue.length === 0 && this.pumping === undefined;
    const position = idle && BigInt(this.feed.position) > BigInt(this.lastRv) ? this.feed.position : this.lastRv;
    this.write('BOOKMARK', { kind: this.info.kind, apiVersion: apiVersionOf(this.info), metadata: { resourceVersion: position } });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.unsubscribe?.();
    if (!this.res.writableEnded) this.res.end();
    this.onClose(this);
  }
}
