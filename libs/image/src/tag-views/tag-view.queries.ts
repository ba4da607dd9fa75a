import type { Queryable } from '@app/persistence';
import type { Image } from '../image/image.types';
import type { ImageStream, TagEvent, TagEventCondition } from '../imagestream/imagestream.types';
import type { TagHistoryRepository } from '../tag-history/tag-history.repository';

type Row = Record<string, unknown>;

/**
 * `tags(uid, tag)`: the distinct tags in the history of the streams `$1::uuid[]`, by a loose
 * index scan on tag_events_by_tag (one probe per tag, whatever the history length), plus one
 * row with a null tag per stream.
 */
const distinctTagsSql = `tags AS (
         SELECT s.uid, (SELECT min(e.tag) FROM image_stream_tag_events e WHERE e.stream_uid = s.uid) AS tag
           FROM unnest($1::uuid[]) AS s(uid)
         UNION ALL
         SELECT t.uid, (SELECT min(e.tag) FROM image_stream_tag_events e WHERE e.stream_uid = t.uid AND e.tag > t.tag)
           FROM tags t WHERE t.tag IS NOT NULL)`;

/**
 * Reads the stream-tag views need beside TagHistoryRepository's: one tag's conditions or whole
 * history, the newest event of every tag of many streams, and Images by name. Event rows are
 * turned into TagEvents by the repository, so the row format lives in one place.
 */
export class TagViewQueries {
  constructor(private readonly history: TagHistoryRepository) {}

  private event(row: Row): TagEvent {
    return this.history.currentFromRow(row)!.event;
  }

  /**
   * Conditions of one tag (primary-key probe): undefined without a row, empty for a row that
   * only keeps an otherwise empty status tag (see TagHistoryRepository.replace).
   */
  async conditionsOf(q: Queryable, streamUid: string, tag: string): Promise<TagEventCondition[] | undefined> {
    const [row] = await q.query<{ conditions: TagEventCondition[] }>(
      `SELECT conditions FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2`,
      [streamUid, tag],
    );
    return row?.conditions;
  }

  /** Conditions of every tag of many streams: stream uid → tag → conditions. */
  async conditionsOfStreams(q: Queryable, streamUids: string[]): Promise<Map<string, Map<string, TagEventCondition[]>>> {
    const out = new Map<string, Map<string, TagEventCondition[]>>();
    if (!streamUids.length) return out;
    const rows = await q.query<{ stream_uid: string; tag: string; conditions: TagEventCondition[] }>(
      `SELECT stream_uid::text AS stream_uid, tag, conditions FROM image_stream_tag_conditions WHERE stream_uid = ANY($1::uuid[])`,
      [streamUids],
    );
    for (const r of rows) {
      if (!r.conditions.length) continue;
      let tags = out.get(r.stream_uid);
      if (!tags) out.set(r.stream_uid, (tags = new Map()));
      tags.set(r.tag, r.conditions);
    }
    return out;
  }

  /** One tag's whole history, newest first (index range scan on that tag only). */
  async tagHistory(q: Queryable, streamUid: string, tag: string): Promise<TagEvent[]> {
    const rows = await q.query(
      `SELECT ev.id::text AS id, ev.created, ev.docker_image_reference, ev.image, ev.generation::text AS generation
         FROM image_stream_tag_events ev WHERE ev.stream_uid = $1 AND ev.tag = $2 ORDER BY ev.id DESC`,
      [streamUid, tag],
    );
    return rows.map((r) => this.event(r));
  }

  /**
   * The newest event of every tag of many streams, without reading older history: a loose index
   * scan walks the distinct tags of each stream (one probe per tag on tag_events_by_tag), then
   * takes each tag's newest row. Cost grows with the number of tags, not with history length.
   */
  async topEventsOf(q: Queryable, streamUids: string[]): Promise<Map<string, Map<string, TagEvent>>> {
    const out = new Map<string, Map<string, TagEvent>>();
    if (!streamUids.length) return out;
    const rows = await q.query(
      `WITH RECURSIVE ${distinctTagsSql}
       SELECT t.uid::text AS stream_uid, top.*
         FROM tags t CROSS JOIN LATERAL (
           SELECT ev.id::text AS id, ev.tag, ev.created, ev.docker_image_reference, ev.image, ev.generation::text AS generation
             FROM image_stream_tag_events ev WHERE ev.stream_uid = t.uid AND ev.tag = t.tag
            ORDER BY ev.id DESC LIMIT 1) top
        WHERE t.tag IS NOT NULL`,
      [streamUids],
    );
    for (const r of rows) {
      const uid = String(r['stream_uid']);
      let tags = out.get(uid);
      if (!tags) out.set(uid, (tags = new Map()));
      tags.set(String(r['tag']), this.event(r));
    }
    return out;
  }

  /**
   * How many tags of these streams have a current image (what an ImageStreamTag list shows):
   * the loose index scan of topEventsOf, counting instead of reading the rows.
   */
  async countTagsWithImage(q: Queryable, streamUids: string[]): Promise<number> {
    if (!streamUids.length) return 0;
    const [row] = await q.query<{ n: string }>(
      `WITH RECURSIVE ${distinctTagsSql}
       SELECT count(*)::text AS n FROM tags t
        WHERE t.tag IS NOT NULL
          AND (SELECT ev.image FROM image_stream_tag_events ev WHERE ev.stream_uid = t.uid AND ev.tag = t.tag ORDER BY ev.id DESC LIMIT 1) <> ''`,
      [streamUids],
    );
    return Number(row?.n ?? 0);
  }

  /**
   * How many tags these streams have in spec or status (history, conditions, or a conditions row
   * keeping an empty status tag): what an ImageTag list shows.
   */
  async countSpecOrStatusTags(q: Queryable, streamUids: string[]): Promise<number> {
    if (!streamUids.length) return 0;
    const [row] = await q.query<{ n: string }>(
      `WITH RECURSIVE ${distinctTagsSql}
       SELECT count(*)::text AS n FROM (
         SELECT s.uid, t.spec->>'name' AS tag
           FROM image_streams s
          CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(s.body #> '{spec,tags}') = 'array' THEN s.body #> '{spec,tags}' ELSE '[]'::jsonb END) AS t(spec)
          WHERE s.uid = ANY($1::uuid[])
         UNION
         SELECT uid, tag FROM tags WHERE tag IS NOT NULL
         UNION
         SELECT stream_uid, tag FROM image_stream_tag_conditions WHERE stream_uid = ANY($1::uuid[])) named`,
      [streamUids],
    );
    return Number(row?.n ?? 0);
  }

  /** Distinct non-empty images anywhere in a stream's history. */
  async historyImages(q: Queryable, streamUid: string): Promise<string[]> {
    const rows = await q.query<{ image: string }>(
      `SELECT DISTINCT image FROM image_stream_tag_events WHERE stream_uid = $1 AND image <> '' ORDER BY image`,
      [streamUid],
    );
    return rows.map((r) => r.image);
  }

  /**
   * Child manifests of the manifest lists in a stream's history, at any depth (an index may name an
   * index): the images the stream's layers view reaches, as upstream's walks down the children.
   */
  async historyChildManifests(q: Queryable, streamUid: string): Promise<string[]> {
    const rows = await q.query<{ digest: string }>(
      `WITH RECURSIVE history AS (
         SELECT DISTINCT image AS name FROM image_stream_tag_events WHERE stream_uid = $1 AND image <> ''
       ), reached(digest) AS (
         SELECT m->>'digest' FROM history h JOIN images i ON i.name = h.name
          CROSS JOIN LATERAL jsonb_array_elements(COALESCE(i.body->'dockerImageManifests', '[]'::jsonb)) m
         UNION
         SELECT m->>'digest' FROM reached r JOIN images i ON i.name = r.digest
          CROSS JOIN LATERAL jsonb_array_elements(COALESCE(i.body->'dockerImageManifests', '[]'::jsonb)) m
       )
       SELECT digest FROM reached`,
      [streamUid],
    );
    return rows.map((r) => r.digest).filter((d) => typeof d === 'string' && d !== '');
  }

  /** Images by name (primary key); missing names are simply absent from the map. */
  async imagesByName(q: Queryable, names: string[]): Promise<Map<string, Image>> {
    const out = new Map<string, Image>();
    if (!names.length) return out;
    const rows = await q.query<{ name: string; resource_version: string; body: Image }>(
      `SELECT name, resource_version::text AS resource_version, body FROM images WHERE name = ANY($1::text[])`,
      [names],
    );
    for (const r of rows) {
      r.body.metadata.resourceVersion = r.resource_version;
      out.set(r.name, r.body);
    }
    return out;
  }

  /**
   * Everything one ImageStreamTag GET needs in one round trip: the stream row, the tag's newest
   * history entry (index probe), its conditions and the Image (primary key).
   */
  async tagWithImage(q: Queryable, namespace: string, stream: string, tag: string): Promise<TagWithImage> {
    const [row] = await q.query<TagWithImageRow>(
      `WITH s AS (SELECT uid, resource_version::text AS resource_version, body FROM image_streams WHERE namespace = $1 AND name = $2),
            e AS (SELECT ev.created, ev.docker_image_reference, ev.image, ev.generation::text AS generation
                    FROM image_stream_tag_events ev WHERE ev.stream_uid = (SELECT uid FROM s) AND ev.tag = $3
                   ORDER BY ev.id DESC LIMIT 1)
       SELECT (SELECT json_build_object('resource_version', resource_version, 'body', body) FROM s) AS stream,
              (SELECT row_to_json(e) FROM e) AS event,
              (SELECT conditions FROM image_stream_tag_conditions WHERE stream_uid = (SELECT uid FROM s) AND tag = $3) AS conditions,
              (SELECT json_build_object('resource_version', i.resource_version::text, 'body', i.body)
                 FROM images i WHERE i.name = (SELECT image FROM e)) AS image`,
      [namespace, stream, tag],
      'istag-get',
    );
    return tagWithImageOf(row);
  }

  /**
   * tagWithImage for many tags in one round trip (the read cache's refreshes): the same probes
   * per tag, answers in the order asked.
   */
  async tagsWithImages(q: Queryable, wanted: { namespace: string; stream: string; tag: string }[]): Promise<TagWithImage[]> {
    if (!wanted.length) return [];
    const rows = await q.query<TagWithImageRow & { n: string }>(
      `SELECT k.n::text AS n,
              CASE WHEN s.uid IS NULL THEN NULL ELSE json_build_object('resource_version', s.resource_version::text, 'body', s.body) END AS stream,
              CASE WHEN e.found IS NULL THEN NULL
                   ELSE json_build_object('created', e.created, 'docker_image_reference', e.docker_image_reference, 'image', e.image, 'generation', e.generation) END AS event,
              c.conditions,
              CASE WHEN i.name IS NULL THEN NULL ELSE json_build_object('resource_version', i.resource_version::text, 'body', i.body) END AS image
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(namespace, name, tag, n)
         LEFT JOIN image_streams s ON s.namespace = k.namespace AND s.name = k.name
         LEFT JOIN LATERAL (
           SELECT true AS found, ev.created, ev.docker_image_reference, ev.image, ev.generation::text AS generation
             FROM image_stream_tag_events ev WHERE ev.stream_uid = s.uid AND ev.tag = k.tag
            ORDER BY ev.id DESC LIMIT 1) e ON true
         LEFT JOIN image_stream_tag_conditions c ON c.stream_uid = s.uid AND c.tag = k.tag
         LEFT JOIN images i ON i.name = e.image`,
      [wanted.map((w) => w.namespace), wanted.map((w) => w.stream), wanted.map((w) => w.tag)],
      'istag-get-many',
    );
    const out: TagWithImage[] = wanted.map(() => tagWithImageOf(undefined));
    for (const row of rows) out[Number(row.n) - 1] = tagWithImageOf(row);
    return out;
  }
}

interface TagWithImageRow {
  stream: { resource_version: string; body: ImageStream } | null;
  event: { created: string; docker_image_reference: string; image: string; generation: string } | null;
  conditions: TagEventCondition[] | null;
  image: { resource_version: string; body: Image } | null;
}

function tagWithImageOf(row: TagWithImageRow | undefined): TagWithImage {
  const out: TagWithImage = { stream: null, event: undefined, conditions: undefined, image: null };
  if (!row?.stream) return out;
  out.stream = row.stream.body;
  out.stream.metadata.resourceVersion = row.stream.resource_version;
  if (row.event) {
    out.event = {
      created: new Date(row.event.created).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      dockerImageReference: row.event.docker_image_reference,
      image: row.event.image,
      generation: Number(row.event.generation),
    };
  }
  if (row.conditions?.length) out.conditions = row.conditions;
  if (row.image) {
    out.image = row.image.body;
    out.image.metadata.resourceVersion = row.image.resource_version;
  }
  return out;
}

export interface TagWithImage {
  stream: ImageStream | null;
  event: TagEvent | undefined;
  conditions: TagEventCondition[] | undefined;
  image: Image | null;
}
