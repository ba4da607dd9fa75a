import type { ParameterisedSql } from '@app/persistence';
import type { Image } from '../image/image.types';
import { imagesInfo } from '../resources/resource-infos';
import { tagHistoryMarkSql } from '../tag-history/tag-history.repository';

/** The values the one-trip mapping statement takes, in placeholder order. */
export interface OneTripMapping {
  namespace: string;
  stream: string;
  tag: string;
  image: Image;
  /** The new tag event's `created` (it keeps the request's clock, as the other path). */
  created: string;
  cause: string;
}

/** What the statement did: `missing`: no such stream; `declined`: nothing written, the general path must run. */
export interface OneTripResult {
  state: 'missing' | 'declined' | 'done';
  imageCreated: boolean;
  tagChanged: boolean;
}

/**
 * The stream's row lock, taken by a statement of its own before the mapping statement, so that
 * the latter's snapshot (READ COMMITTED: one per statement) is taken with the lock held and sees
 * the stream's newest tag events. Returns no body: the mapping statement reads what it needs.
 */
export function lockStreamStatement(namespace: string, stream: string): ParameterisedSql {
  return { text: `SELECT 1 FROM image_streams WHERE namespace = $1::text AND name = $2::text FOR UPDATE`, values: [namespace, stream] };
}

/**
 * oneTripMappingStatement's text, built once: a mapping hands it to the session's prepared-statement map
 * (`session-statements.ts`), which looks it up by text on every call, and a string built anew
 * would be hashed and compared there in full (about 4.5 KB) each time.
 * $1 namespace, $2 stream, $3 tag, $4 image name, $5 image uid, $6 image labels, $7 image,
 * $8 created, $9 reference, $10 cause.
 */
const oneTripMappingSql = `WITH s AS (
    SELECT (body->'metadata'->>'uid')::uuid AS uid,
           COALESCE((body->'metadata'->>'generation')::bigint, 1) AS gen,
           CASE WHEN jsonb_typeof(body->'metadata'->'labels') = 'object' THEN body->'metadata'->'labels' ELSE '{}'::jsonb END AS labels,
           body,
           EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(body->'spec'->'tags') = 'array' THEN body->'spec'->'tags' ELSE '[]'::jsonb END) AS t(v)
                    WHERE t.v->'from'->>'kind' = 'ImageStreamTag'
                      AND (t.v->'from'->>'name' = $3::text OR right(t.v->'from'->>'name', 1) = ':'
                           OR right(t.v->'from'->>'name', length($3::text) + 1) = ':' || $3::text)) AS aliased
      FROM image_streams WHERE namespace = $1::text AND name = $2::text),
  -- LATERAL: the newest entry is one probe of tag_events_by_tag (stream_uid, tag, id DESC). As a
  -- join with s the planner read the tag's whole history and sorted it (57,000 rows, 150 ms).
  top AS (
    SELECT e.id, e.docker_image_reference, e.image, e.generation
      FROM s CROSS JOIN LATERAL (
             SELECT t.id, t.docker_image_reference, t.image, t.generation FROM image_stream_tag_events t
              WHERE t.stream_uid = s.uid AND t.tag = $3::text
              ORDER BY t.id DESC LIMIT 1) e),
  d AS MATERIALIZED (
    SELECT s.uid, s.gen, s.labels, s.body, NOT s.aliased AS go,
           EXISTS (SELECT 1 FROM images WHERE name = $4::text) AS image_present,
           top.id AS top_id, NULLIF(top.image, '') AS previous,
           CASE WHEN top.id IS NULL THEN 'prepend'
                WHEN top.docker_image_reference = $9::text AND top.image = $4::text AND top.generation = s.gen THEN 'none'
                WHEN top.docker_image_reference = $9::text OR top.image = $4::text THEN 'update'
                ELSE 'prepend' END AS kind
      FROM s LEFT JOIN top ON true),
  o AS MATERIALIZED (
    SELECT d.*, CASE WHEN NOT image_present THEN 1 END AS image_ord,
           CASE WHEN kind <> 'none' THEN CASE WHEN image_present THEN 1 ELSE 2 END END AS stream_ord
      FROM d WHERE go),
  rv AS MATERIALIZED (
    SELECT ord, nextval('resource_version_seq') AS v
      FROM o, generate_series(1, (CASE WHEN o.image_ord IS NULL THEN 0 ELSE 1 END) + (CASE WHEN o.stream_ord IS NULL THEN 0 ELSE 1 END)) AS ord),
  ev_new AS (
    INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
    SELECT o.uid, $3::text, $8::timestamptz, $9::text, $4::text, o.gen FROM o WHERE o.kind = 'prepend'
    RETURNING id),
  ev_moved AS (
    UPDATE image_stream_tag_events e SET docker_image_reference = $9::text, image = $4::text, generation = o.gen
      FROM o WHERE o.kind = 'update' AND e.id = o.top_id),
  cleared AS (
    DELETE FROM image_stream_tag_conditions c USING o WHERE o.kind <> 'none' AND c.stream_uid = o.uid AND c.tag = $3::text),
  feed AS (
    INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
    SELECT $1::text, $2::text, o.uid, $3::text, o.previous, $4::text, $9::text, $10::text FROM o
     WHERE o.kind <> 'none' AND $4::text <> '' AND ($4::text IS DISTINCT FROM o.previous OR $10::text = 'spec')),
  image_row AS (
    INSERT INTO images (name, uid, resource_version, create_rv, labels, body)
    SELECT $4::text, $5::uuid, rv.v, rv.v, $6::jsonb, $7::jsonb FROM o JOIN rv ON rv.ord = o.image_ord
    ON CONFLICT (name) DO NOTHING
    RETURNING body),
  stream_row AS (
    UPDATE image_streams SET resource_version = rv.v
      FROM o JOIN rv ON rv.ord = o.stream_ord
     WHERE image_streams.namespace = $1::text AND image_streams.name = $2::text
    RETURNING 1),
  logged AS (
    INSERT INTO resource_changes (rv, resource, namespace, name, type, labels, prev_labels, object, snapshot_mark)
    SELECT rv.v, '${imagesInfo.resource}', '', $4::text,
           CASE WHEN EXISTS (SELECT 1 FROM image_row) THEN 'ADDED' ELSE 'NONE' END,
           $6::jsonb, NULL, (SELECT body FROM image_row), NULL
      FROM o JOIN rv ON rv.ord = o.image_ord
    UNION ALL
    SELECT rv.v, 'imagestreams', $1::text, $2::text,
           CASE WHEN EXISTS (SELECT 1 FROM stream_row) THEN 'MODIFIED' ELSE 'NONE' END,
           o.labels, o.labels, o.body, GREATEST(${tagHistoryMarkSql}, (SELECT max(id) FROM ev_new))
      FROM o JOIN rv ON rv.ord = o.stream_ord)
  SELECT d.uid IS NOT NULL AS found, COALESCE(d.go, false) AS go, COALESCE(d.image_present, true) AS image_present, d.kind
    FROM (SELECT) AS one LEFT JOIN d ON true`;

/**
 * An ImageStreamMapping as one statement, for the common case, so that a mapping is one round
 * trip (BEGIN, the lock, this, COMMIT): it probes the image and the tag's newest event, decides
 * as decideTagEvent (same reference and image and generation → nothing; same reference or same
 * image → the newest entry is updated in place; else a new entry), and writes what
 * ImageStreamMappingHandler.apply writes (the Image if absent, the tag event, cleared conditions,
 * the tag_changes feed row, the stream's new resourceVersion, and the change-log rows with their
 * versions, image first).
 *
 * It declines, writing nothing, when the stream has a spec tag that may be an alias of this tag
 * (from an ImageStreamTag named `<tag>`, `<anything>:<tag>` or `<anything>:`: a superset of
 * aliasesOf, whose followers the general path moves). The caller leaves out images whose
 * reference the general path may rewrite (openshift.io/image.managed).
 */
export function oneTripMappingStatement(m: OneTripMapping): ParameterisedSql {
  const image = m.image;
  return {
    text: oneTripMappingSql,
    values: [
      m.namespace,
      m.stream,
      m.tag,
      image.metadata.name!,
      image.metadata.uid!,
      JSON.stringify(image.metadata.labels ?? {}),
      JSON.stringify(image),
      m.created,
      image.dockerImageReference ?? null,
      m.cause,
    ],
  };
}

/** Reads the statement's one row. */
export function oneTripResultOf(row: Record<string, unknown> | undefined): OneTripResult {
  if (!row || row['found'] !== true) return { state: 'missing', imageCreated: false, tagChanged: false };
  if (row['go'] !== true) return { state: 'declined', imageCreated: false, tagChanged: false };
  return { state: 'done', imageCreated: row['image_present'] !== true, tagChanged: row['kind'] !== 'none' };
}
