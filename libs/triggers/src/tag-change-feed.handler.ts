import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, decodeContinue, encodeContinue, initialEventsEndBookmark, type ListOptions, type ListResult } from '@app/api-machinery';
import { type Database, type HandlerWatchOptions, listTooOldMessage, type ResourceHandler, sequencePositionSql, type WatchEventOut } from '@app/persistence';
import { feedFilterSql, type FeedRow, feedRowColumns, toFeedItem } from './feed-item';
import { FeedTombstones } from './feed-tombstones';
import { tagChangeEventsInfo } from './resource-infos';
import { TRIGGER_API_VERSION } from './trigger.types';

/** How often at most a watch on the feed looks for new moves. */
const FEED_WATCH_POLL_MS = 200;
/**
 * How long a watch waits for an ImageStream change before it looks anyway: a move held back by an
 * older writer, a prune's tombstones (they change no stream).
 */
const FEED_WATCH_FALLBACK_MS = 1000;
/**
 * How long a list waits for writers of older moves still open, so that it holds every move
 * committed before it (kube-apiserver waits as long for its watch cache on a consistent read).
 */
const FEED_READ_WAIT_MS = 3000;
/** Pause between looks at the horizon while a list waits for it. */
const HORIZON_RETRY_MS = 20;

/**
 * The durable pull feed of tag moves (tag_changes): list in commit order after a cursor,
 * `continue=<id>` resumes (the list's resourceVersion is the cursor to resume from); kept for
 * TRIGGER_FEED_RETENTION_SECONDS. A cursor older than the retained feed gets 410 Expired so the
 * consumer knows it missed events.
 *
 * A paged list (`limit`) is one snapshot, as a Kubernetes paged list is: every page reports the
 * position the first page read up to and holds no move after it; the `continue` token a page hands
 * out carries both the last item and that position. client-go's pager keeps the first page's
 * resourceVersion and an informer watches from it, so a later page reaching further would have the
 * informer see those moves twice.
 *
 * Ids are taken when a row is inserted but transactions commit in any order, so a lower id can
 * become visible after a higher one; a cursor past it would skip it for good. The feed therefore
 * serves ids only up to a horizon below which every row is final (see feedHorizon).
 *
 * A list is a consistent read, as a Kubernetes list without a resourceVersion is: it holds every
 * move committed before it began. A move is committed, and its client answered, while a writer
 * that began earlier may still be open and hold the horizon below it; the list then waits for
 * that writer (FEED_READ_WAIT_MS at most; past it, the answer stops at the horizon, as a
 * cursor must never skip a move).
 */
export class TagChangeFeedHandler implements ResourceHandler {
  readonly info = tagChangeEventsInfo;
  private readonly tombstones: FeedTombstones;
  constructor(
    private readonly db: Database,
    private readonly pollMs = FEED_WATCH_POLL_MS,
    private readonly consistentReadWaitMs = FEED_READ_WAIT_MS,
  ) {
    this.tombstones = new FeedTombstones(db);
  }

  /**
   * `?watch=1`: every move after `resourceVersion` (a list's resourceVersion or an item's name) as
   * an ADDED event, in feed order, polled from the feed. Without one (or with "0") a Kubernetes
   * watch first sends the current state as ADDED events; the feed's state is every retained move,
   * so those come first. An expired cursor ends the watch with a 410 ERROR event, as for any
   * watch. BOOKMARKs carry the cursor to resume from. Moves retention prunes are DELETED events
   * (see FeedTombstones).
   *
   * Watch-list (`sendInitialEvents=true`, what client-go's reflector sends by default since 1.35):
   * the feed's state is every retained move, so those come first as ADDED, then (bookmarks
   * allowed) the BOOKMARK annotated `k8s.io/initial-events-end` at the position reached, then
   * later moves. Without it the reflector waits for that bookmark until the watch times out.
   */
  async watchItself(o: HandlerWatchOptions, emit: (event: WatchEventOut) => void): Promise<void> {
    const initialEvents = o.sendInitialEvents === true;
    let cursor = initialEvents || !o.resourceVersion ? '0' : o.resourceVersion;
    let initialEventsEndDue = initialEvents && o.allowWatchBookmarks;
    let lastBookmark = Date.now();
    let preTimeoutBookmarkSent = false;
    // The first page is the client's read (the initial state, or the moves after its cursor);
    // later polls need not wait: a move held back now comes with the next one.
    let waitMs = this.consistentReadWaitMs;
    // A watch-list's resourceVersion (NotOlderThan) is a feed position as a cursor is: one the feed
    // has not reached is waited for, then a 504 ERROR, as kube-apiserver ends such a watch-list.
    const awaited = initialEvents && o.resourceVersion && o.resourceVersion !== '0' ? o.resourceVersion : cursor;
    if (awaited !== '0') {
      const ahead = await this.cursorAhead(awaited, o.signal);
      if (ahead) {
        emit({ type: 'ERROR', object: ahead.toStatus() });
        return;
      }
    }
    // Every tag move changes its ImageStream in the same transaction: the watch looks again when
    // the server reads such a change (or after FEED_WATCH_FALLBACK_MS), not on a timer, so idle
    // watches cost next to nothing; still never more often than every pollMs.
    const streamChanges = o.changesOf?.(['imagestreams']);
    while (!o.signal.aborted) {
      const polled = Date.now();
      let page: FeedPage;
      try {
        const options = { namespace: o.namespace, continueToken: cursor, limit: 500, labelSelector: o.labelSelector, fieldSelector: o.fieldSelector };
        page = await this.page(options, waitMs);
        waitMs = 0;
      } catch (e) {
        if (e instanceof ApiError && (e.code === 410 || e.code === 400)) {
          emit({ type: 'ERROR', object: e.toStatus() });
          return;
        }
        throw e;
      }
      for (const item of page.items) emit({ type: 'ADDED', object: item });
      // A watch reads on from its own position each time, not within the first page's snapshot.
      const next = page.after ?? page.resourceVersion;
      // The prunes passed on the way (a resumed watch's first read passes those since its cursor).
      // A DELETED carries the watch's position, at or past the prune's: a client resumes from the
      // last event's resourceVersion, and the pruned move's own would have it read later moves again.
      for (const row of await this.tombstones.passed(cursor, next, o)) emit({ type: 'DELETED', object: toFeedItem(row, next) });
      if (initialEventsEndDue && !page.after) {
        emit({ type: 'BOOKMARK', object: initialEventsEndBookmark(this.info, next) });
        initialEventsEndDue = false;
        lastBookmark = Date.now();
      }
      // Bookmarks as on other watches: every bookmark interval, and once 2 s before the timeout.
      const lastCall = !preTimeoutBookmarkSent && o.preTimeoutBookmarkAt !== undefined && Date.now() >= o.preTimeoutBookmarkAt;
      if (lastCall) preTimeoutBookmarkSent = true;
      if (o.allowWatchBookmarks && (lastCall || Date.now() - lastBookmark >= o.bookmarkIntervalMs)) {
        emit({ type: 'BOOKMARK', object: { kind: 'TagChangeEvent', apiVersion: TRIGGER_API_VERSION, metadata: { resourceVersion: next } } });
        lastBookmark = Date.now();
      }
      cursor = next;
      if (page.after) continue;
      await streamChanges?.next(FEED_WATCH_FALLBACK_MS);
      const rest = this.pollMs - (Date.now() - polled);
      if (rest > 0) await sleep(rest, undefined, { signal: o.signal }).catch(() => undefined); // an abort ends the wait early
    }
  }

  /**
   * A watch from a position the feed has not reached waits for it briefly, as kube-apiserver's
   * watch cache does for a resourceVersion it has not seen, then ends with its 504 "Too large
   * resource version" (a list's `continue` past the feed stays a 400: it is a token never issued).
   */
  private async cursorAhead(cursor: string, signal?: AbortSignal): Promise<ApiError | null> {
    if (!/^\d+$/.test(cursor)) return null; // the page read answers its 400
    const deadline = Date.now() + this.consistentReadWaitMs;
    for (;;) {
      const { issued } = await this.feedHorizon();
      if (BigInt(cursor) <= BigInt(issued)) return null;
      if (Date.now() >= deadline || signal?.aborted) return ApiError.resourceVersionTooLarge(cursor, issued);
      await sleep(HORIZON_RETRY_MS * 5, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * A list's `resourceVersion` is a feed position (the server's resourceVersion, which every other
   * write moves, is far ahead of it): one the feed has not reached is waited for, then 504.
   */
  async awaitResourceVersion(requested: string): Promise<void> {
    const ahead = await this.cursorAhead(requested);
    if (ahead) throw ahead;
  }

  async list(o: ListOptions): Promise<ListResult<object>> {
    const page = await this.page(o, this.consistentReadWaitMs);
    const remainingItemCount = await this.countAfter(page, o);
    const next = page.after
      ? {
          continue: encodeContinue({ rv: page.resourceVersion, namespace: o.namespace ?? '', name: page.after }),
          ...(remainingItemCount !== undefined ? { remainingItemCount } : {}),
        }
      : {};
    return { metadata: { resourceVersion: page.resourceVersion, ...next }, items: page.items };
  }

  /**
   * Where a list resumes: a bare position (an item's name or a list's resourceVersion, the
   * documented cursor) reads on to the feed's current end; a token a page handed out reads on
   * within that page's snapshot, checked as other kinds' tokens are (400 from another namespace).
   */
  private resumeFrom(o: ListOptions): { cursor: string; snapshot?: string } {
    const raw = o.continueToken ?? '0';
    if (/^\d+$/.test(raw)) return { cursor: raw };
    const token = decodeContinue(raw);
    if (!/^\d+$/.test(token.name)) throw ApiError.badRequest('invalid continue token: must be a tag change id or a token a feed page handed out');
    if (o.namespace !== undefined && token.namespace !== o.namespace) {
      throw ApiError.badRequest('continue key is not valid: the continue token was issued for a different namespace');
    }
    return { cursor: token.name, snapshot: token.rv };
  }

  /** A page of the feed after `o.continueToken`; waits up to `waitMs` for older writers still open. */
  private async page(o: ListOptions, waitMs: number): Promise<FeedPage> {
    const { cursor, snapshot } = this.resumeFrom(o);
    // Pages only when asked (kube's stores page only with a limit); a page is at most 1,000 moves.
    const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : undefined;
    const { horizon, issued } = await this.settledHorizon(waitMs);
    // A cursor this feed never handed out would silently skip every move up to it.
    if (BigInt(cursor) > BigInt(issued)) {
      throw ApiError.badRequest(`invalid continue token: ${cursor} is ahead of the feed (newest id ${issued})`);
    }
    // Likewise a token's snapshot (another kind's token carries the server's resourceVersion): a
    // page up to it would read past the horizon and report a position the feed never reached.
    if (snapshot !== undefined && (BigInt(snapshot) > BigInt(issued) || BigInt(snapshot) < BigInt(cursor))) {
      throw ApiError.badRequest(`invalid continue token: its snapshot ${snapshot} is not one the feed handed out (newest id ${issued})`);
    }
    // resourceVersionMatch=Exact: the feed as it was at that position (moves are never changed, only
    // pruned), so it stops there; one retention has pruned past is 410 (below), as a compacted version.
    const exact = o.exactResourceVersion;
    if (exact !== undefined && BigInt(exact) > BigInt(horizon ?? '0')) throw ApiError.resourceVersionTooLarge(exact, horizon ?? '0');
    // A later page of a paged list stays within the first page's snapshot.
    const upperBound = exact ?? snapshot ?? horizon ?? '0';
    const params: unknown[] = [cursor, upperBound];
    const limitClause = limit === undefined ? '' : `LIMIT $${params.push(limit + 1)}`;
    const filter = feedFilterSql(o, params, 'c');
    const rows = await this.db.query<FeedRow>(
      // Qualified ORDER BY: the text output column `id` would sort "10" before "9".
      `SELECT ${feedRowColumns('c')} FROM tag_changes c WHERE c.id > $1::bigint AND c.id <= $2::bigint ${filter} ORDER BY c.id ${limitClause}`,
      params,
    );
    // Read after the rows: a prune that removed a move this read should have held is seen here.
    const expiredThrough = await this.expiredThrough();
    if (cursor !== '0' && BigInt(cursor) < expiredThrough) {
      throw ApiError.gone(`the cursor ${cursor} is older than the retained feed: moves after it up to ${expiredThrough} have expired`);
    }
    if (exact !== undefined && BigInt(exact) < expiredThrough) throw ApiError.gone(listTooOldMessage);
    const more = limit !== undefined && rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    // Every page covers the ids up to the snapshot (other namespaces' ids included); a bare cursor
    // past it (a position not yet final when handed out) is not handed back as an older one.
    const upTo = BigInt(upperBound) < BigInt(cursor) ? cursor : upperBound;
    return {
      resourceVersion: upTo,
      ...(more ? { after: items[items.length - 1]!.id } : {}),
      items: items.map((r) => toFeedItem(r)),
    };
  }

  /**
   * remainingItemCount of a page, as kube-apiserver gives it: the moves after the page up to its
   * snapshot, only when nothing is selected (with selectors it would count moves that do not match).
   */
  private async countAfter(page: FeedPage, o: ListOptions): Promise<number | undefined> {
    if (page.after === undefined || o.labelSelector.length > 0 || o.fieldSelector.length > 0) return undefined;
    const params: unknown[] = [page.after, page.resourceVersion];
    const filter = feedFilterSql(o, params, 'c');
    const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tag_changes c WHERE c.id > $1::bigint AND c.id <= $2::bigint ${filter}`, params);
    return row?.n ?? 0;
  }

  /**
   * feedHorizon once it covers every move committed before this call (the newest one visible when
   * it was first read), or as it stands after `waitMs`.
   */
  private async settledHorizon(waitMs: number): Promise<{ horizon: string | null; issued: string }> {
    const first = await this.feedHorizon();
    const deadline = Date.now() + waitMs;
    let read = first;
    while (first.newest !== null && BigInt(read.horizon ?? '0') < BigInt(first.newest) && Date.now() < deadline) {
      await sleep(Math.min(HORIZON_RETRY_MS, Math.max(deadline - Date.now(), 0)));
      read = await this.feedHorizon();
    }
    return read;
  }

  /**
   * The highest id at or below which every tag_changes row is final (committed, or never to
   * appear).
   *
   * A transaction that inserted a row holds a RowExclusiveLock on tag_changes until it ends. So,
   * first: `since` = the earliest start of a transaction holding that lock now, or now() when
   * none does (now() is this statement's start, before pg_locks is read, so a writer that took
   * its id before `since` is either among the holders or already finished). Then, in a new
   * snapshot: rows recorded before `since` are all final, and any row not yet visible got its id
   * after `since`, so the newest id recorded before `since` is the horizon. A holder whose start
   * is unknown (another role, a prepared transaction) holds the horizon back until it ends.
   * A prune's tombstones are a position too (see FeedTombstones), taken while the prune holds that
   * lock, `pruned_at` read after it: the same reasoning makes one pruned before `since` final.
   * `newest`: the newest id committed, in that second snapshot; `issued`: the last id taken.
   */
  private async feedHorizon(): Promise<{ horizon: string | null; newest: string | null; issued: string }> {
    const [lock] = await this.db.query<{ since: string }>(
      `SELECT least(now(), min(coalesce(a.xact_start, '-infinity'::timestamptz)))::text AS since
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.mode = 'RowExclusiveLock' AND l.pid IS DISTINCT FROM pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.relation = 'tag_changes'::regclass`,
      [],
      'trg-feed-since',
    );
    const [row] = await this.db.query<{ horizon: string | null; newest: string | null; issued: string }>(
      `SELECT greatest(
                (SELECT h.id FROM tag_changes h WHERE h.recorded_at < $1::timestamptz ORDER BY h.id DESC LIMIT 1),
                (SELECT max(t.feed_position) FROM tag_change_tombstones t WHERE t.pruned_at < $1::timestamptz))::text AS horizon,
              (SELECT max(id)::text FROM tag_changes) AS newest,
              ${sequencePositionSql('tag_changes_id_seq')}::text AS issued`,
      [lock!.since],
      'trg-feed-horizon',
    );
    return { horizon: row?.horizon ?? null, newest: row?.newest ?? null, issued: row?.issued ?? '0' };
  }

  /**
   * The position below which a cursor missed a pruned move or a prune's DELETED events for good
   * (kept by the database on every delete: migrations/1734400000000-TagChangeExpiry.ts).
   */
  private async expiredThrough(): Promise<bigint> {
    const [row] = await this.db.query<{ through: string }>(`SELECT expired_through::text AS through FROM tag_change_expiry`, [], 'trg-feed-expiry');
    return BigInt(row?.through ?? '0');
  }
}

/** One read of the feed: its items, the position it covers, and the last item when more follow. */
interface FeedPage {
  items: object[];
  /** The snapshot the read covers: every id up to it (a paged list's first page's, on every page). */
  resourceVersion: string;
  /** The last item's id when the limit cut the read short: the next page starts after it. */
  after?: string;
}
