import type { Queryable } from '@app/persistence';
import type { ImageStream, TagEventCondition, TagReference } from '../imagestream/imagestream.types';
import { changedTags } from '../imagestream/tag-changes';
import { observedGeneration } from './import-status';
import { dockerRepositoryCheckAnnotation } from './stream-import-plan';

/** What one tag's status has seen, for deciding whether it needs an import. */
export interface TagObservation {
  /** Generation of the newest history item (0 without one). */
  imported: number;
  /** The newest item's or the first ImportSuccess condition's, whichever is higher (upstream latestObservedTagGeneration). */
  observed: number;
}

/** The `tag` of a request to import the stream's whole `spec.dockerImageRepository`. */
export const REPOSITORY_REQUEST_TAG = '';

/** A pending background import: one spec tag at one generation (the worker imports a stream's requests together). */
export interface ImportRequest {
  id: string;
  streamUid: string;
  /** The spec tag, or REPOSITORY_REQUEST_TAG for the stream's spec.dockerImageRepository. */
  tag: string;
  generation: number;
  /** A periodic re-import (importPolicy.scheduled) rather than a spec change. */
  scheduled: boolean;
}

interface RequestRow {
  id: string;
  stream_uid: string;
  tag: string;
  generation: string;
  scheduled: boolean;
}

const requestColumns = `r.id::text AS id, r.stream_uid::text AS stream_uid, r.tag, r.generation::text AS generation, r.scheduled`;

function toRequest(r: RequestRow): ImportRequest {
  return { id: r.id, streamUid: r.stream_uid, tag: r.tag, generation: Number(r.generation), scheduled: r.scheduled };
}

/**
 * The stream asks for a full import (openshift image stream controller): it names a
 * spec.dockerImageRepository and has not been checked against it yet (no dockerRepositoryCheck
 * annotation, which every import=true write sets).
 */
export function needsRepositoryImport(stream: ImageStream): boolean {
  return !!stream.spec.dockerImageRepository && !stream.metadata.annotations?.[dockerRepositoryCheckAnnotation];
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
   * its status already saw that generation (the import path itself writes both at once, also
   * when it creates the stream).
   */
  async record(tx: Queryable, stream: ImageStream, old: ImageStream | null, resourceVersion?: string): Promise<void> {
    const tags = changedTags(stream, old).filter(isImportable);
    // A full import is asked for when the stream starts needing one (created so, repository
    // changed, check annotation removed); keyed by the write's resourceVersion, since removing the
    // annotation does not move the generation.
    const repository =
      needsRepositoryImport(stream) && (!old || !needsRepositoryImport(old) || old.spec.dockerImageRepository !== stream.spec.dockerImageRepository);
    if (tags.length === 0 && !repository) return;
    const uid = stream.metadata.uid!;
    const observed = await this.observations(tx, uid, tags.map((t) => t.name));
    const due: { name: string; generation: number | null }[] = tags.filter((t) => (t.generation ?? 0) > (observed.get(t.name)?.observed ?? 0));
    if (repository) due.push({ name: REPOSITORY_REQUEST_TAG, generation: Number(resourceVersion ?? stream.metadata.generation ?? 1) });
    if (due.length === 0) return;
    await tx.query(
      `INSERT INTO image_import_requests (stream_uid, tag, generation)
       SELECT $1, t.tag, t.generation FROM jsonb_to_recordset($2::jsonb) AS t(tag text, generation bigint)
       ON CONFLICT (stream_uid, tag, generation) WHERE NOT scheduled DO NOTHING`,
      [uid, JSON.stringify(due.map((t) => ({ tag: t.name, generation: t.generation ?? 0 })))],
    );
  }

  /**
   * After a status write (a pruner dropping a tag's history, an edit through `/status`): the
   * openshift image stream controller is level-driven, so on any update it imports every
   * importable tag whose spec generation is newer than what its status has observed
   * (tagNeedsImport against LatestObservedTagGeneration, 0 for a tag without status), and a
   * stream whose dockerRepositoryCheck annotation went away. A tag whose history the write
   * dropped is therefore imported again: a request for it, replacing a settled one of the same
   * generation (a pending one stays as it is).
   */
  async recordUnobserved(tx: Queryable, stream: ImageStream, old: ImageStream, resourceVersion: string): Promise<void> {
    const tags = (stream.spec.tags ?? []).filter((t) => isImportable(t) && typeof t.generation === 'number');
    const repository = needsRepositoryImport(stream) && !needsRepositoryImport(old);
    if (tags.length === 0 && !repository) return;
    const uid = stream.metadata.uid!;
    const observed = await this.observations(tx, uid, tags.map((t) => t.name));
    const due = tags.filter((t) => t.generation! > (observed.get(t.name)?.observed ?? 0)).map((t) => ({ tag: t.name, generation: t.generation! }));
    if (repository) due.push({ tag: REPOSITORY_REQUEST_TAG, generation: Number(resourceVersion) });
    if (due.length === 0) return;
    const rows = JSON.stringify(due);
    await tx.query(
      `DELETE FROM image_import_requests r USING jsonb_to_recordset($2::jsonb) AS t(tag text, generation bigint)
        WHERE r.stream_uid = $1 AND r.tag = t.tag AND r.generation = t.generation AND NOT r.scheduled AND r.done_at IS NOT NULL`,
      [uid, rows],
    );
    await tx.query(
      `INSERT INTO image_import_requests (stream_uid, tag, generation)
       SELECT $1, t.tag, t.generation FROM jsonb_to_recordset($2::jsonb) AS t(tag text, generation bigint)
       ON CONFLICT (stream_uid, tag, generation) WHERE NOT scheduled DO NOTHING`,
      [uid, rows],
    );
  }

  /** What each tag's status has seen (tags without status are missing from the map). */
  async observations(q: Queryable, streamUid: string, tags: string[]): Promise<Map<string, TagObservation>> {
    if (tags.length === 0) return new Map();
    const rows = await q.query<{ tag: string; top: string | null; conditions: TagEventCondition[] | null }>(
      `SELECT t.tag,
              (SELECT ev.generation::text FROM image_stream_tag_events ev
                WHERE ev.stream_uid = $1 AND ev.tag = t.tag ORDER BY ev.id DESC LIMIT 1) AS top,
              (SELECT c.conditions FROM image_stream_tag_conditions c WHERE c.stream_uid = $1 AND c.tag = t.tag) AS conditions
         FROM unnest($2::text[]) AS t(tag)`,
      [streamUid, tags],
    );
    return new Map(
      rows.map((r) => {
        const top = r.top === null ? undefined : Number(r.top);
        return [r.tag, { imported: top ?? 0, observed: observedGeneration(top, r.conditions ?? undefined) }];
      }),
    );
  }

  /** The requests among `ids` still pending, oldest first. */
  async pending(q: Queryable, ids: string[]): Promise<ImportRequest[]> {
    const rows = await q.query<RequestRow>(
      `SELECT ${requestColumns} FROM image_import_requests r WHERE r.id = ANY($1::bigint[]) AND r.done_at IS NULL ORDER BY r.id`,
      [ids],
    );
    return rows.map(toRequest);
  }

  /**
   * Pending requests to hand to the queue: never enqueued, or enqueued long enough ago that the
   * job must have been lost (Redis data loss). SKIP LOCKED lets every worker replica relay.
   */
  async claim(q: Queryable, limit: number, requeueAfterMs: number): Promise<ImportRequest[]> {
    const rows = await q.query<RequestRow>(
      `UPDATE image_import_requests r SET enqueued_at = now()
        WHERE r.id IN (SELECT id FROM image_import_requests
                        WHERE done_at IS NULL AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => $2::double precision / 1000))
                        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING ${requestColumns}`,
      [limit, requeueAfterMs],
    );
    return rows.map(toRequest).sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  }

  /**
   * Scheduled re-imports (openshift's scheduled image controller), per stream: a stream is due
   * when one of its importable spec tags with importPolicy.scheduled has had no scheduled request
   * for the interval (and none is pending); a due stream gets a pending scheduled request for
   * each such tag, so they are re-imported together. At most `limit` streams per call (the rate
   * limit). Streams come from a partial index of the streams that have scheduled tags.
   */
  async scheduleDue(q: Queryable, intervalSeconds: number, limit: number): Promise<number> {
    const rows = await q.query<{ stream_uid: string }>(
      `WITH scheduled_tags AS (
         SELECT s.uid, t.value->>'name' AS tag, (t.value->>'generation')::bigint AS generation
           FROM image_streams s CROSS JOIN LATERAL jsonb_array_elements(s.body->'spec'->'tags') AS t(value)
          WHERE s.body @> '{"spec":{"tags":[{"importPolicy":{"scheduled":true}}]}}'::jsonb
            AND t.value @> '{"importPolicy":{"scheduled":true},"from":{"kind":"DockerImage"}}'::jsonb
            AND coalesce(t.value->>'reference', 'false') <> 'true'
            AND t.value->>'generation' IS NOT NULL
       ), due_streams AS (
         SELECT DISTINCT st.uid FROM scheduled_tags st
          WHERE NOT EXISTS (SELECT 1 FROM image_import_requests r
                             WHERE r.stream_uid = st.uid AND r.tag = st.tag AND r.scheduled
                               AND (r.done_at IS NULL OR r.created_at > now() - make_interval(secs => $1)))
          LIMIT $2
       )
       INSERT INTO image_import_requests (stream_uid, tag, generation, scheduled)
       SELECT st.uid, st.tag, st.generation, true FROM scheduled_tags st JOIN due_streams d ON d.uid = st.uid
       ON CONFLICT (stream_uid, tag) WHERE scheduled AND done_at IS NULL DO NOTHING
       RETURNING stream_uid::text AS stream_uid`,
      [intervalSeconds, limit],
    );
    return new Set(rows.map((r) => r.stream_uid)).size;
  }

  /** Puts claimed rows back when the enqueue failed (Redis down): the next pass retries them. */
  async unclaim(q: Queryable, ids: string[]): Promise<void> {
    if (ids.length) await q.query(`UPDATE image_import_requests SET enqueued_at = NULL WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Records how each request ended; a request settled already keeps its first outcome. */
  async settle(q: Queryable, outcomes: { id: string; outcome: string }[]): Promise<void> {
    if (outcomes.length === 0) return;
    await q.query(
      `UPDATE image_import_requests r SET done_at = now(), outcome = o.outcome
         FROM jsonb_to_recordset($1::jsonb) AS o(id bigint, outcome text)
        WHERE r.id = o.id AND r.done_at IS NULL`,
      [JSON.stringify(outcomes)],
    );
  }

  async deleteSettled(q: Queryable, olderThanSeconds: number): Promise<void> {
    await q.query(`DELETE FROM image_import_requests WHERE done_at < now() - make_interval(secs => $1)`, [olderThanSeconds]);
  }
}
