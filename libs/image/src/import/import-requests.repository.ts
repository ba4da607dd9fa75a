import type { Queryable } from '@app/persistence';
import type { ImageStream, TagEventCondition, TagReference } from '../imagestream/imagestream.types';
import { changedTags } from '../imagestream/tag-changes';
import { observedGeneration } from './import-status';

/** A pending background import: one spec tag at one generation. */
export interface ImportRequest {
  id: string;
  streamUid: string;
  tag: string;
  generation: number;
  /** A periodic re-import (importPolicy.scheduled) rather than a spec change. */
  scheduled: boolean;
}

/** A tag imported in the background: DockerImage source, not a `reference` tag (openshift controller). */
export function isImportable(tag: TagReference): boolean {
  return tag.from?.kind === 'DockerImage' && !!tag.from.name && !tag.reference;
}

/**
 * The image_import_requests outbox. `record` runs inside every main-path ImageStream write (store
 * hook), so the request commits with the spec change that causes it; the worker's relay reads
 * pending rows and settles them.
 */
export class ImportRequestsRepository {
  /**
   * Records a request for each importable spec tag that is new or whose generation moved, unless
   * its status already saw that generation (the import path itself writes both at once).
   */
  async record(tx: Queryable, stream: ImageStream, old: ImageStream | null): Promise<void> {
    const tags = changedTags(stream, old).filter(isImportable);
    if (tags.length === 0) return;
    const uid = stream.metadata.uid!;
    const observed = old ? await this.observed(tx, uid, tags.map((t) => t.name)) : new Map<string, number>();
    const due = tags.filter((t) => (t.generation ?? 0) > (observed.get(t.name) ?? 0));
    if (due.length === 0) return;
    await tx.query(
      `INSERT INTO image_import_requests (stream_uid, tag, generation)
       SELECT $1, t.tag, t.generation FROM jsonb_to_recordset($2::jsonb) AS t(tag text, generation bigint)
       ON CONFLICT (stream_uid, tag, generation) WHERE NOT scheduled DO NOTHING`,
      [uid, JSON.stringify(due.map((t) => ({ tag: t.name, generation: t.generation ?? 0 })))],
    );
  }

  /** Generation each tag's status has seen (newest item or ImportSuccess condition). */
  async observed(q: Queryable, streamUid: string, tags: string[]): Promise<Map<string, number>> {
    const rows = await q.query<{ tag: string; top: string | null; conditions: TagEventCondition[] | null }>(
      `SELECT t.tag,
              (SELECT ev.generation::text FROM image_stream_tag_events ev
                WHERE ev.stream_uid = $1 AND ev.tag = t.tag ORDER BY ev.id DESC LIMIT 1) AS top,
              (SELECT c.conditions FROM image_stream_tag_conditions c WHERE c.stream_uid = $1 AND c.tag = t.tag) AS conditions
         FROM unnest($2::text[]) AS t(tag)`,
      [streamUid, tags],
    );
    return new Map(rows.map((r) => [r.tag, observedGeneration(r.top === null ? undefined : Number(r.top), r.conditions ?? undefined)]));
  }

  /**
   * Pending requests to hand to the queue: never enqueued, or enqueued long enough ago that the
   * job must have been lost (Redis data loss). SKIP LOCKED lets every worker replica relay.
   */
  async claim(q: Queryable, limit: number, requeueAfterMs: number): Promise<ImportRequest[]> {
    const rows = await q.query<{ id: string; stream_uid: string; tag: string; generation: string; scheduled: boolean }>(
      `UPDATE image_import_requests r SET enqueued_at = now()
        WHERE r.id IN (SELECT id FROM image_import_requests
                        WHERE done_at IS NULL AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => $2::double precision / 1000))
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING r.id::text AS id, r.stream_uid::text AS stream_uid, r.tag, r.generation::text AS generation, r.scheduled`,
      [limit, requeueAfterMs],
    );
    return rows.map((r) => ({ id: r.id, streamUid: r.stream_uid, tag: r.tag, generation: Number(r.generation), scheduled: r.scheduled }));
  }

  /**
   * Scheduled re-imports (openshift's scheduled image controller): a pending scheduled request
   * for each importable spec tag with importPolicy.scheduled whose last scheduled request is older
   * than the interval, at most `limit` per call (the rate limit). Streams come from a partial index
   * of the streams that have scheduled tags; one pending scheduled row per tag at most.
   */
  async scheduleDue(q: Queryable, intervalSeconds: number, limit: number): Promise<number> {
    const rows = await q.query(
      `INSERT INTO image_import_requests (stream_uid, tag, generation, scheduled)
       SELECT s.uid, t.value->>'name', (t.value->>'generation')::bigint, true
         FROM image_streams s CROSS JOIN LATERAL jsonb_array_elements(s.body->'spec'->'tags') AS t(value)
        WHERE s.body @> '{"spec":{"tags":[{"importPolicy":{"scheduled":true}}]}}'::jsonb
          AND t.value @> '{"importPolicy":{"scheduled":true},"from":{"kind":"DockerImage"}}'::jsonb
          AND coalesce(t.value->>'reference', 'false') <> 'true'
          AND t.value->>'generation' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM image_import_requests r
                           WHERE r.stream_uid = s.uid AND r.tag = t.value->>'name' AND r.scheduled
                             AND (r.done_at IS NULL OR r.created_at > now() - make_interval(secs => $1)))
        LIMIT $2
       ON CONFLICT (stream_uid, tag) WHERE scheduled AND done_at IS NULL DO NOTHING
       RETURNING 1`,
      [intervalSeconds, limit],
    );
    return rows.length;
  }

  /** Puts claimed rows back when the enqueue failed (Redis down): the next pass retries them. */
  async unclaim(q: Queryable, ids: string[]): Promise<void> {
    if (ids.length) await q.query(`UPDATE image_import_requests SET enqueued_at = NULL WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Settles the request of one generation, or the scheduled request `requestId`. */
  async settle(q: Queryable, streamUid: string, tag: string, generation: number, outcome: string, requestId?: string): Promise<void> {
    if (requestId) {
      await q.query(`UPDATE image_import_requests SET done_at = now(), outcome = $2 WHERE id = $1::bigint AND done_at IS NULL`, [requestId, outcome]);
      return;
    }
    await q.query(
      `UPDATE image_import_requests SET done_at = now(), outcome = $4
        WHERE stream_uid = $1 AND tag = $2 AND generation = $3 AND NOT scheduled AND done_at IS NULL`,
      [streamUid, tag, generation, outcome],
    );
  }

  async deleteSettled(q: Queryable, olderThanSeconds: number): Promise<void> {
    await q.query(`DELETE FROM image_import_requests WHERE done_at < now() - make_interval(secs => $1)`, [olderThanSeconds]);
  }
}
