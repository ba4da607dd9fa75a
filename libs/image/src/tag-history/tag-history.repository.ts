import { type ParameterisedSql, type Queryable, sequencePositionSql } from '@app/persistence';
import type { NamedTagEventList, TagEvent, TagEventCondition } from '../imagestream/imagestream.types';
import { decideTagEvent } from './add-tag-event';

interface EventRow {
  id: string;
  stream_uid: string;
  tag: string;
  created: Date;
  docker_image_reference: string;
  image: string;
  generation: string;
}

function toEvent(r: EventRow): TagEvent {
  return {
    created: r.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    dockerImageReference: r.docker_image_reference,
    image: r.image,
    generation: Number(r.generation),
  };
}

export interface CurrentEvent {
  id: string;
  event: TagEvent;
}

/** Where a tag move happens and why; every move is also written to the `tag_changes` feed. */
export interface TagMoveOrigin {
  namespace: string;
  stream: string;
  /** e.g. `mapping`, `spec`, `alias`, `registry`. */
  cause: string;
}

/**
 * The snapshot mark of an image stream change: the last tag-history id handed out. Writers of one
 * stream serialize on its row, so every entry of that stream added later has a higher id.
 */
export const tagHistoryMarkSql = sequencePositionSql('image_stream_tag_events_id_seq');

/**
 * Tag history rows: one per history entry, newest = highest id. Reading or moving one tag
 * touches only that tag's newest row (index tag_events_by_tag), whatever the history length.
 */
export class TagHistoryRepository {
  /** Newest event of each named tag: one index probe per tag (LATERAL … LIMIT 1). */
  async current(q: Queryable, streamUid: string, tags: string[]): Promise<Map<string, CurrentEvent>> {
    if (tags.length === 0) return new Map();
    const rows = await q.query<EventRow>(
      `SELECT e.* FROM unnest($2::text[]) AS t(tag)
         CROSS JOIN LATERAL (
           SELECT ev.id::text AS id, ev.stream_uid, ev.tag, ev.created, ev.docker_image_reference, ev.image,
                  ev.generation::text AS generation
             FROM image_stream_tag_events ev
            WHERE ev.stream_uid = $1 AND ev.tag = t.tag
            ORDER BY ev.id DESC LIMIT 1) e`,
      [streamUid, tags],
    );
    return new Map(rows.map((r) => [r.tag, { id: r.id, event: toEvent(r) }]));
  }

  /** Applies the history-dedupe rules; returns whether the tag changed. Caller holds the stream lock. */
  async add(
    q: Queryable,
    streamUid: string,
    tag: string,
    next: TagEvent,
    origin: TagMoveOrigin,
    current?: CurrentEvent,
  ): Promise<boolean> {
    const top = current ?? (await this.current(q, streamUid, [tag])).get(tag);
    const statements = this.addStatements(streamUid, tag, next, top, origin);
    for (const s of statements) await q.query(s.text, [...s.values]);
    return statements.length > 0;
  }

  /** The newest event of one tag of the stream `namespace/stream` (for Transaction.batch, where it runs prepared). */
  topEventStatement(namespace: string, stream: string, tag: string): ParameterisedSql {
    return {
      text: `SELECT id::text AS id, created, docker_image_reference, image, generation::text AS generation
               FROM image_stream_tag_events
              WHERE stream_uid = (SELECT uid FROM image_streams WHERE namespace = $1::text AND name = $2::text) AND tag = $3::text
              ORDER BY image_stream_tag_events.id DESC LIMIT 1`,
      values: [namespace, stream, tag],
    };
  }

  currentFromRow(row: Record<string, unknown> | undefined): CurrentEvent | undefined {
    return row ? { id: String(row['id']), event: toEvent(row as unknown as EventRow) } : undefined;
  }

  /**
   * Statements (parameterised, so they run prepared in a batch) that add `next` to a tag whose
   * newest event is `top`, following the dedupe rules; empty when nothing changes. They can ride
   * with COMMIT (Transaction.finishWith).
   */
  addStatements(
    streamUid: string,
    tag: string,
    next: TagEvent,
    top: CurrentEvent | undefined,
    origin: TagMoveOrigin,
  ): ParameterisedSql[] {
    const decision = decideTagEvent(top?.event, next);
    const clearConditions: ParameterisedSql = {
      text: `DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1::uuid AND tag = $2::text`,
      values: [streamUid, tag],
    };
    const previous = top?.event.image || null;
    // Only a move to another image is news for consumers; a changed reference or generation is
    // not, except when a user re-points the tag (a spec write) at the image it already holds: that
    // is an explicit rollback for dependents that ignored this image as older than theirs.
    const reasserted = origin.cause === 'spec' && decision.kind !== 'none';
    const feed =
      next.image && (next.image !== previous || reasserted)
        ? [
            {
              text: `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
                     VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::text, $6::text, $7::text, $8::text)`,
              values: [origin.namespace, origin.stream, streamUid, tag, previous, next.image, next.dockerImageReference, origin.cause],
            },
          ]
        : [];
    switch (decision.kind) {
      case 'none':
        return [];
      case 'update':
        return [
          {
            text: `UPDATE image_stream_tag_events SET docker_image_reference = $1::text, image = $2::text, generation = $3::bigint
                    WHERE id = $4::bigint`,
            values: [decision.dockerImageReference, decision.image, decision.generation, top!.id],
          },
          clearConditions,
          ...feed,
        ];
      case 'prepend':
        return [
          {
            text: `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
                   VALUES ($1::uuid, $2::text, $3::timestamptz, $4::text, $5::text, $6::bigint)`,
            values: [streamUid, tag, next.created, next.dockerImageReference, next.image, Number(next.generation)],
          },
          clearConditions,
          ...feed,
        ];
    }
  }

  /** Full status tags of many streams, sorted by tag, newest item first. */
  async statusOf(q: Queryable, streamUids: string[]): Promise<Map<string, NamedTagEventList[]>> {
    const uids = [...new Set(streamUids)];
    const statuses = await this.statusesAsOf(q, uids.map((uid) => ({ uid })));
    return new Map(uids.map((uid, i) => [uid, statuses[i]!]).filter(([, tags]) => tags!.length > 0) as [string, NamedTagEventList[]][]);
  }

  /**
   * The status tags of each requested stream, with one read for all of them. A request with a
   * snapshot mark gets the history entries that existed at that mark (ids up to it); the
   * conditions are always the current ones.
   */
  async statusesAsOf(q: Queryable, requests: { uid: string; mark?: bigint }[]): Promise<NamedTagEventList[][]> {
    if (requests.length === 0) return [];
    const uids = [...new Set(requests.map((r) => r.uid))];
    const [events, conditions] = await Promise.all([
      q.query<EventRow>(
        // Qualified ORDER BY: the output columns are text casts and must not drive the sort.
        `SELECT ev.id::text AS id, ev.stream_uid::text AS stream_uid, ev.tag, ev.created, ev.docker_image_reference,
                ev.image, ev.generation::text AS generation
           FROM image_stream_tag_events ev WHERE ev.stream_uid = ANY($1::uuid[])
          ORDER BY ev.stream_uid, ev.tag, ev.id DESC`,
        [uids],
      ),
      q.query<{ stream_uid: string; tag: string; conditions: TagEventCondition[] }>(
        `SELECT stream_uid::text AS stream_uid, tag, conditions FROM image_stream_tag_conditions WHERE stream_uid = ANY($1::uuid[])`,
        [uids],
      ),
    ]);
    const eventsOf = new Map<string, EventRow[]>();
    for (const r of events) {
      const list = eventsOf.get(r.stream_uid);
      if (list) list.push(r);
      else eventsOf.set(r.stream_uid, [r]);
    }
    const conditionsOf = new Map<string, { tag: string; conditions: TagEventCondition[] }[]>();
    for (const c of conditions) {
      const list = conditionsOf.get(c.stream_uid);
      if (list) list.push(c);
      else conditionsOf.set(c.stream_uid, [c]);
    }
    return requests.map(({ uid, mark }) => {
      const tags = new Map<string, NamedTagEventList>();
      const entry = (tag: string): NamedTagEventList => {
        let e = tags.get(tag);
        if (!e) tags.set(tag, (e = { tag, items: null }));
        return e;
      };
      for (const r of eventsOf.get(uid) ?? []) {
        if (mark !== undefined && BigInt(r.id) > mark) continue;
        (entry(r.tag).items ??= []).push(toEvent(r));
      }
      for (const c of conditionsOf.get(uid) ?? []) {
        if (c.conditions.length) entry(c.tag).conditions = c.conditions;
      }
      return [...tags.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    });
  }

  /** Replaces a stream's whole status history (the /status write path; pruning uses it). */
  async replace(q: Queryable, streamUid: string, tags: NamedTagEventList[]): Promise<void> {
    await q.query(`DELETE FROM image_stream_tag_events WHERE stream_uid = $1`, [streamUid]);
    await q.query(`DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1`, [streamUid]);
    const rows: unknown[][] = [];
    for (const t of tags) {
      // Oldest first so that ids grow towards the newest entry.
      for (const item of [...(t.items ?? [])].reverse()) {
        rows.push([t.tag, item.created, item.dockerImageReference, item.image ?? '', item.generation ?? 0]);
      }
      if (t.conditions?.length) {
        await q.query(
          `INSERT INTO image_stream_tag_conditions (stream_uid, tag, conditions) VALUES ($1, $2, $3)`,
          [streamUid, t.tag, JSON.stringify(t.conditions)],
        );
      }
    }
    if (rows.length) {
      await q.query(
        `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
         SELECT $1, r.tag, r.created, r.ref, r.image, r.generation
           FROM jsonb_to_recordset($2::jsonb) AS r(tag text, created timestamptz, ref text, image text, generation bigint)`,
        [streamUid, JSON.stringify(rows.map(([tag, created, ref, image, generation]) => ({ tag, created, ref, image, generation })))],
      );
    }
  }

  /** Removes a tag's history and conditions (one round trip); returns how many of each existed. */
  async deleteTag(q: Queryable, streamUid: string, tag: string): Promise<{ entries: number; conditions: number }> {
    const [row] = await q.query<{ entries: string; conditions: string }>(
      `WITH e AS (DELETE FROM image_stream_tag_events WHERE stream_uid = $1 AND tag = $2 RETURNING 1),
            c AS (DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2 RETURNING 1)
       SELECT (SELECT count(*) FROM e)::text AS entries, (SELECT count(*) FROM c)::text AS conditions`,
      [streamUid, tag],
    );
    return { entries: Number(row?.entries ?? 0), conditions: Number(row?.conditions ?? 0) };
  }

  /** Distinct images in a stream's history whose name matches the id prefix. */
  async imagesMatching(q: Queryable, streamUid: string, id: string): Promise<string[]> {
    const rows = await q.query<{ image: string }>(
      `SELECT DISTINCT image FROM image_stream_tag_events
        WHERE stream_uid = $1 AND image <> '' AND (image LIKE $2 || '%' OR split_part(image, ':', 2) LIKE $2 || '%')`,
      [streamUid, id.replace(/[%_\\]/g, (c) => `\\${c}`)],
    );
    return rows.map((r) => r.image);
  }

  async hasTag(q: Queryable, streamUid: string, tag: string): Promise<boolean> {
    const rows = await q.query(
      `SELECT 1 FROM image_stream_tag_events WHERE stream_uid = $1 AND tag = $2
       UNION ALL SELECT 1 FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2 LIMIT 1`,
      [streamUid, tag],
    );
    return rows.length > 0;
  }
}
