import { shareAnswer } from '@app/api-machinery';
import { type ChangeRecord, currentResourceVersion, type Database, LatestVersionReader } from '@app/persistence';
import type { ImageStreamTag } from './imagestreamtag.types';
import { istagCacheReads } from './imagestreamtag-cache-metrics';
import { ChangesDuringReads } from './changes-during-reads';

/** How long a read waits for this process's change feed to catch up before it reads Postgres. */
const CATCH_UP_MS = 25;

interface Entry {
  view: ImageStreamTag;
  streamKey: string;
  image: string;
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

  constructor(
    private readonly db: Database,
    private readonly maxEntries: number,
  ) {
    this.latest = new LatestVersionReader(() => currentResourceVersion(db, 'istag_cache_current_rv'));
  }

  /**
   * The tag view `namespace/name` (`<stream>:<tag>`) as of now; `load` reads it from Postgres
   * and returns it with the Image it shows (or throws, e.g. NotFound, which is not cached).
   */
  async read(namespace: string, streamName: string, name: string, load: () => Promise<ImageStreamTag>): Promise<ImageStreamTag> {
    if (this.maxEntries === 0 || !this.subscribe()) return bypass(load);
    const latest = await this.latest.read();
    const horizon = await this.db.versionHorizon(latest, CATCH_UP_MS);
    if (horizon === undefined || BigInt(horizon) < BigInt(latest)) return bypass(load);
    const key = `${namespace}/${name}`;
    const hit = this.entries.get(key);
    if (hit) {
      istagCacheReads.inc({ outcome: 'hit' });
      return hit.view;
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
    this.store(key, { view: shared, streamKey, image });
    return shared;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Subscribes to the change feed once one runs in this process; false while none does. */
  private subscribe(): boolean {
    if (this.subscribed) return true;
    const unsubscribe = this.db.subscribeToChanges((c) => this.onChange(c));
    this.subscribed = unsubscribe !== undefined;
    return this.subscribed;
  }

  private onChange(change: ChangeRecord): void {
    if (change.resource === 'imagestreams') {
      const streamKey = `${change.namespace}/${change.name}`;
      this.dropAll(this.byStream, streamKey);
      this.racing.changed(streamChange(streamKey));
    } else if (change.resource === 'images') {
      this.dropAll(this.byImage, change.name);
      this.racing.changed(imageChange(change.name));
    }
  }

  private store(key: string, entry: Entry): void {
    this.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    this.entries.set(key, entry);
    index(this.byStream, entry.streamKey, key);
    index(this.byImage, entry.image, key);
  }

  private dropAll(from: Map<string, Set<string>>, indexKey: string): void {
    const keys = from.get(indexKey);
    if (!keys) return;
    for (const key of [...keys]) this.delete(key);
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
