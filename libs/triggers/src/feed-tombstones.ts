import type { Queryable } from '@app/persistence';
import { type FeedFilter, feedFilterSql, type FeedRow, feedRowColumns } from './feed-item';

/**
 * The moves the feed's retention pruned (tag_change_tombstones, written by the pruning job), read
 * by feed watches so that they send a DELETED event for each, as a Kubernetes watch does for an
 * object that expires: an informer's cache then drops the move instead of keeping it for good.
 *
 * A prune's tombstones sit at a feed position of their own, taken when it ran (the next id, which
 * no move has): every cursor handed out before the prune is below it, and the feed's horizon
 * covers it as it covers a move (see TagChangeFeedHandler.feedHorizon). So a watch moving from
 * one position to a later one passes a prune exactly once, whether it was running at the time or
 * resumed from an older cursor, and a client resuming from a DELETED's resourceVersion (at or
 * past the prune's position) is not sent it again.
 */
export class FeedTombstones {
  constructor(private readonly db: Queryable) {}

  /**
   * The pruned moves a client gets DELETED events for when its position moves from `from` to
   * `to`: those pruned at a position in between that it held (ids at or below `from`). A move
   * after `from` pruned in between is not in the feed any more: the client never gets it.
   */
  async passed(from: string, to: string, filter: FeedFilter): Promise<FeedRow[]> {
    if (from === '0' || BigInt(to) <= BigInt(from)) return [];
    const params: unknown[] = [from, to];
    return this.db.query<FeedRow>(
      `SELECT ${feedRowColumns('t')} FROM tag_change_tombstones t
        WHERE t.feed_position > $1::bigint AND t.feed_position <= $2::bigint AND t.id <= $1::bigint ${feedFilterSql(filter, params, 't')}
        ORDER BY t.feed_position, t.id`,
      params,
    );
  }
}
