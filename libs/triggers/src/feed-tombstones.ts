import type { Queryable } from '@app/persistence';
import { type FeedFilter, feedFilterSql, type FeedRow, feedRowColumns } from './feed-item';

/** Tombstones of pruned moves a watch has not sent yet, and where the next read starts. */
export interface PrunedMoves {
  rows: FeedRow[];
  /** The newest tombstone seen: the next read takes only later ones. */
  seq: string;
}

/**
 * The moves the feed's retention pruned (tag_change_tombstones, written by the pruning job), read
 * by feed watches so that they send a DELETED event for each, as a Kubernetes watch does for an
 * object that expires: an informer's cache then drops the move instead of keeping it for good.
 */
export class FeedTombstones {
  constructor(private readonly db: Queryable) {}

  /** Where a new watch starts: tombstones written from now on. */
  async newestSeq(): Promise<string> {
    const [row] = await this.db.query<{ seq: string }>(`SELECT coalesce(max(seq), 0)::text AS seq FROM tag_change_tombstones`, [], 'trg-feed-tombstone-seq');
    return row?.seq ?? '0';
  }

  /**
   * The moves pruned after tombstone `afterSeq` that a client at feed position `upTo` holds (ids
   * at or below it). `resumedFrom`: the cursor a watch resumed from, on its first read: a move
   * pruned before the watch began is also the client's to drop if the client got that cursor
   * before the move was pruned (its tombstone's feed position is at or past the cursor).
   */
  async read(afterSeq: string, upTo: string, filter: FeedFilter, resumedFrom?: string): Promise<PrunedMoves> {
    const params: unknown[] = [afterSeq, upTo, resumedFrom ?? null];
    // One round trip per poll: the newest tombstone, joined to the matching ones (none: one row of nulls).
    const rows = await this.db.query<{ [K in keyof FeedRow]: FeedRow[K] | null } & { top: string }>(
      `WITH newest AS (SELECT coalesce(max(seq), 0)::text AS top FROM tag_change_tombstones)
       SELECT newest.top, r.* FROM newest LEFT JOIN LATERAL (
         SELECT ${feedRowColumns('t')} FROM tag_change_tombstones t
          WHERE t.id <= $2::bigint
            AND (t.seq > $1::bigint OR (t.feed_position >= $3::bigint AND t.id <= $3::bigint))
            ${feedFilterSql(filter, params, 't')}) r ON true
        ORDER BY r.id::bigint`,
      params,
    );
    return { rows: rows.filter((r): r is FeedRow & { top: string } => r.id !== null), seq: rows[0]?.top ?? afterSeq };
  }
}
