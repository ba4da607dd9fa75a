import { shareAnswer } from '@app/api-machinery';
import { type ChangeRecord, currentResourceVersion, type Database, LatestVersionReader } from '@app/persistence';
import type { ImageStreamTag } from './imagestreamtag.types';
import { istagCacheReads, istagCacheRefreshes } from './imagestreamtag-cache-metrics';
import { ChangesDuringReads } from './changes-during-reads';

/** How long a read waits for this process's change feed to catch up before it reads Postgres. */
const CATCH_UP_MS = 25;
/** Views re-read in one refresh round trip; more wait for the next round. */
const REFRESH_BATCH = 200;
/** Views waiting for a refresh at most; past that, invalidated views are only dropped. */
const REFRESH_PENDING = 1000;

/** Which view a refresh re-reads: `name` is `<stream>:<tag>`. */
export interface WantedView {
  namespace: string;
  stream: string;
  name: string;
}

/** Reads many views in one round trip, as the GET's own load would; undefined where it would throw. */
export type ViewReloader = (wanted: WantedView[]) => Promise<(ImageStreamTag | undefined)[]>;

interface Entry {
  view: ImageStreamTag;
  streamKey: string;
  image: string;
  namespace: string;
  stream: string;
  name: string;
  /** Served (or stored by a GET) since it was last refreshed: only such views are refreshed again. */
  read: boolean;
}

interface Pending {
  wanted: WantedView;
  streamKey: string;
  /** Already re-read once and changed again meanwhile: the next failure drops it. */
  retried: boolean;
}

/**
 * ImageStreamTag GETs served from memory without giving up the strongly consistent read
 * Kubernetes clients expect (the scheme of kube-apiserver's consistent reads from its watch
 * cache). A GET learns the newest committed resourceVersion (one shared query for every GET in
 * flight, see LatestVersionReader), waits until this process's change feed has read every
 * change up to it, and only then answers from memory. The feed has by then dropped every entry
 * a committed write touched: any change to the entry's stream, or to its Image. Misses (and
 * reads that the feed does not catch up with in time) read Postgres as before.
 *
 * An entry is stored only if neither its stream nor its Image changed while it was read, so a
 * read racing a write never stores what the write replaced. Entries are evicted oldest first.
 *
 * Views that a change invalidates are not only dropped but re-read off the request path, as
 * kube-apiserver keeps its watch cache current from its watch: right after the feed's batch, one
 * round trip re-reads every invalidated view that was served since it was last stored (a view
 * nobody reads is re-read at most once, then dropped), under the same rule as a GET's own read
 * (not kept if its stream or Image changed meanwhile; a view changed again is re-read once more).
 * A GET of a view being re-read waits for that round trip instead of reading Postgres itself. The
 * feed only collects keys (bounded: REFRESH_PENDING, REFRESH_BATCH per round trip, one round trip
 * at a time), so a burst of writes cannot slow it; what does not fit is dropped as before.
 */
export class ImageStreamTagReadCache {
  private readonly entries = new Map<string, Entry>();
  /** Entry keys by stream (`ns/name`) and by Image name, for invalidation. */
  private readonly byStream = new Map<string, Set<string>>();
  private readonly byImage = new Map<string, Set<string>>();
  /** Streams and Images changed while reads were in flight: such a read stores nothing. */
  private readonly racing = new ChangesDuringReads();
  private subscribed = false;
  private readonly latest: LatestVersionReader;
  private reload: ViewReloader | undefined;
  /** Invalidated views to re-read, and those being re-read (resolved when their round trip is done). */
  private readonly pending = new Map<string, Pending>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private refreshRunning = false;

  constructor(
    private readonly db: Database,
    private readonly maxEntries: number,
  ) {
    this.latest = new LatestVersionReader(() => currentResourceVersion(db, 'istag_cache_current_rv'));
  }

  /**
   * The tag view `namespace/name` (`<stream>:<tag>`) as of now; `load` reads it from Postgres
   * and returns it with the Image it shows (or throws, e.g. NotFound, which is not cached).
   *
   * Not an async function: a hit costs one promise reaction on the batch's shared wait
   * (caughtUp), where awaiting each step per GET made about ten promises per GET, each paying
   * the process's async hooks (AsyncLocalStorage for request-scoped logging).
   */
  read(namespace: string, streamName: string, name: string, load: () => Promise<ImageStreamTag>): Promise<ImageStreamTag> {
    if (this.maxEntries === 0 || !this.subscribe()) return bypass(load);
    return this.caughtUp().then((caughtUp) => {
      if (!caughtUp) return bypass(load);
      const key = `${namespace}/${name}`;
      const hit = this.entries.get(key);
      if (!hit) return this.readMissing(key, namespace, streamName, name, load);
      hit.read = true;
      istagCacheReads.inc({ outcome: 'hit' });
      return hit.view;
    });
  }

  /**
   * Resolves once this process's change feed has applied every change up to the newest committed
   * resourceVersion read by a query that started after this call (LatestVersionReader): true, or
   * false when the feed did not catch up within CATCH_UP_MS (or none runs). Every GET given the
   * same version query shares one wait.
   */
  private caughtUp(): Promise<boolean> {
    const latest = this.latest.read();
    if (latest !== this.waitedFor) {
      this.waitedFor = latest;
      this.waiting = latest.then((version) =>
        this.db.versionHorizon(version, CATCH_UP_MS).then((horizon) => horizon !== undefined && BigInt(horizon) >= BigInt(version)),
      );
    }
    return this.waiting!;
  }

  private waitedFor: Promise<string> | undefined;
  private waiting: Promise<boolean> | undefined;

  /** A read that found no entry once the feed caught up: a refresh of it under way, or Postgres. */
  private async readMissing(key: string, namespace: string, streamName: string, name: string, load: () => Promise<ImageStreamTag>): Promise<ImageStreamTag> {
    const refreshing = this.refreshing.get(key);
    if (refreshing) {
      // Every change up to the version waited for has been applied, so a refresh that keeps the
      // view saw them all (or it would have seen the change and not kept it).
      await refreshing;
      const hit = this.entries.get(key);
      if (hit) {
        hit.read = true;
        istagCacheReads.inc({ outcome: 'hit' });
        return hit.view;
      }
    }
    const streamKey = `${namespace}/${streamName}`;
    const mark = this.racing.begin();
    let view: ImageStreamTag;
    try {
      view = await load();
    } catch (e) {
      this.racing.end(mark, []);
      throw e;
    }
    const image = view.image.metadata.name ?? '';
    if (!this.racing.end(mark, [streamChange(streamKey), imageChange(image)])) {
      istagCacheReads.inc({ outcome: 'bypass' });
      return view;
    }
    istagCacheReads.inc({ outcome: 'miss' });
    // Shared by every later hit: frozen (a caller that tried to change it would fail loudly) and
    // serialised once.
    const shared = shareAnswer(view);
    this.store(key, { view: shared, streamKey, image, namespace, stream: streamName, name, read: true });
    return shared;
  }

  get size(): number {
    return this.entries.size;
  }

  /** How invalidated views are re-read (the handler's batched load); without one they are only dropped. */
  reloadWith(reload: ViewReloader): void {
    this.reload = reload;
  }

  /** Subscribes to the change feed once one runs in this process; false while none does. */
  private subscribe(): boolean {
    if (this.subscribed) return true;
    const unsubscribe = this.db.subscribeToChanges((c) => this.onChange(c));
    this.subscribed = unsubscribe !== undefined;
    return this.subscribed;
  }

  private onChange(change: ChangeRecord): void {
    const refresh = change.type !== 'DELETED';
    if (change.resource === 'imagestreams') {
      const streamKey = `${change.namespace}/${change.name}`;
      this.dropAll(this.byStream, streamKey, refresh);
      this.racing.changed(streamChange(streamKey));
    } else if (change.resource === 'images') {
      this.dropAll(this.byImage, change.name, refresh);
      this.racing.changed(imageChange(change.name));
    }
  }

  /** Re-reads the pending views, a round trip at a time, starting once the feed's batch is applied. */
  private scheduleRefresh(): void {
    if (this.refreshRunning || this.pending.size === 0) return;
    this.refreshRunning = true;
    queueMicrotask(() => {
      void (async () => {
        try {
          while (this.pending.size > 0) await this.refreshRound();
        } finally {
          this.refreshRunning = false;
        }
      })();
    });
  }

  private async refreshRound(): Promise<void> {
    const batch: [string, Pending][] = [];
    for (const item of this.pending) {
      batch.push(item);
      this.pending.delete(item[0]);
      if (batch.length >= REFRESH_BATCH) break;
    }
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    for (const [key] of batch) this.refreshing.set(key, done);
    const mark = this.racing.begin();
    try {
      let views: (ImageStreamTag | undefined)[] = [];
      try {
        views = await this.reload!(batch.map(([, p]) => p.wanted));
      } catch {
        // Postgres unavailable or the like: the views stay dropped; GETs read them as on a miss.
      }
      let kept = 0;
      batch.forEach(([key, p], i) => {
        const view = views[i];
        // Gone (a GET will answer why), or stored by a GET meanwhile (as new as this one).
        if (!view || this.entries.has(key)) return;
        const image = view.image.metadata.name ?? '';
        if (!this.racing.unchangedSince(mark, [streamChange(p.streamKey), imageChange(image)])) {
          if (!p.retried && this.pending.size < REFRESH_PENDING) this.pending.set(key, { ...p, retried: true });
          return;
        }
        this.store(key, { view: shareAnswer(view), streamKey: p.streamKey, image, ...p.wanted, read: false });
        kept++;
      });
      istagCacheRefreshes.inc({ outcome: 'refreshed' }, kept);
      istagCacheRefreshes.inc({ outcome: 'dropped' }, batch.length - kept);
    } finally {
      this.racing.end(mark, []);
      for (const [key] of batch) if (this.refreshing.get(key) === done) this.refreshing.delete(key);
      settle();
    }
  }

  private store(key: string, entry: Entry): void {
    // A GET that read the view itself makes a waiting re-read of it pointless.
    this.pending.delete(key);
    this.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    this.entries.set(key, entry);
    index(this.byStream, entry.streamKey, key);
    index(this.byImage, entry.image, key);
  }

  /** Drops the entries under `indexKey`; with `refresh`, queues those read since stored for a re-read. */
  private dropAll(from: Map<string, Set<string>>, indexKey: string, refresh: boolean): void {
    const keys = from.get(indexKey);
    if (!keys) return;
    let dropped = 0;
    for (const key of [...keys]) {
      const entry = this.entries.get(key)!;
      this.delete(key);
      if (refresh && entry.read && this.reload && this.pending.size < REFRESH_PENDING) {
        const { namespace, stream, name } = entry;
        this.pending.set(key, { wanted: { namespace, stream, name }, streamKey: entry.streamKey, retried: false });
      } else dropped++;
    }
    if (dropped) istagCacheRefreshes.inc({ outcome: 'dropped' }, dropped);
    this.scheduleRefresh();
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    unindex(this.byStream, entry.streamKey, key);
    unindex(this.byImage, entry.image, key);
  }
}

function index(map: Map<string, Set<string>>, indexKey: string, key: string): void {
  let keys = map.get(indexKey);
  if (!keys) map.set(indexKey, (keys = new Set()));
  keys.add(key);
}

function unindex(map: Map<string, Set<string>>, indexKey: string, key: string): void {
  const keys = map.get(indexKey);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) map.delete(indexKey);
}

const streamChange = (streamKey: string) => `stream ${streamKey}`;
const imageChange = (image: string) => `image ${image}`;

function bypass(load: () => Promise<ImageStreamTag>): Promise<ImageStreamTag> {
  istagCacheReads.inc({ outcome: 'bypass' });
  return load();
}
