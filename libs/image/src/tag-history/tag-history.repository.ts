import { type ParameterisedSql, type Queryable, sequencePositionSql, type SqlValue } from '@app/persistence';
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
 * The start of an INSERT of a tag's loss of its image into `tag_changes` (to be completed with a
 * FROM clause giving the columns' sources): a row with no image, whose `previous_image` is the
 * image the tag had. The relay evaluates the dependents that follow the tag, as for a move, so a
 * Trigger shows WaitingForImage and nothing fires until an image comes back. The pull feed lists
 * moves to an image only, so it skips these rows.
 */
export function tagRemovalFeedSql(namespace: string, stream: string, streamUid: string, tag: string, previousImage: string, cause: string): string {
  return `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
          SELECT ${namespace}, ${stream}, ${streamUid}, ${tag}, ${previousImage}, NULL, NULL, ${cause}`;
}

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
    const statement = this.addStatement(streamUid, tag, next, top, origin);
    if (statement) await q.query(statement.text, [...statement.values]);
    return statement !== null;
  }

  /**
   * The query of the newest event of one tag (columns as currentFromRow reads them), whose
   * namespace, stream and tag are the parameters `$first`, `$first+1` and `$first+2`: for
   * statements that ask this together with something else.
   */
  topEventQuery(first: number): string {
    return `SELECT id::text AS id, created, docker_image_reference, image, generation::text AS generation
              FROM image_stream_tag_events
             WHERE stream_uid = (SELECT uid FROM image_streams WHERE namespace = $${first}::text AND name = $${first + 1}::text)
               AND tag = $${first + 2}::text
             ORDER BY image_stream_tag_events.id DESC LIMIT 1`;
  }

  currentFromRow(row: Record<string, unknown> | undefined): CurrentEvent | undefined {
    return row ? { id: String(row['id']), event: toEvent(row as unknown as EventRow) } : undefined;
  }

  /**
   * The statement (parameterised, so it runs prepared in a batch) that adds `next` to a tag whose
   * newest event is `top`, following the dedupe rules: writes the entry, clears the tag's
   * conditions and feeds a move to `tag_changes`, as one statement (each statement has a fixed
   * cost in Postgres); null when nothing changes. It can ride with COMMIT (Transaction.finishWith).
   */
  addStatement(
    streamUid: string,
    tag: string,
    next: TagEvent,
    top: CurrentEvent | undefined,
    origin: TagMoveOrigin,
  ): ParameterisedSql | null {
    const decision = decideTagEvent(top?.event, next);
    if (decision.kind === 'none') return null;
    const previous = top?.event.image || null;
    // $1 stream uid, $2 tag, $3 image, $4 reference: the entry written (an update in place takes
    // the candidate's image, reference and generation too).
    const values: SqlValue[] = [streamUid, tag, next.image, next.dockerImageReference];
    const param = (value: SqlValue) => `$${values.push(value)}`;
    const entry =
      decision.kind === 'update'
        ? `UPDATE image_stream_tag_events SET docker_image_reference = $4::text, image = $3::text, generation = ${param(decision.generation)}::bigint
            WHERE id = ${param(top!.id)}::bigint`
        : `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation)
           VALUES ($1::uuid, $2::text, ${param(next.created)}::timestamptz, $4::text, $3::text, ${param(Number(next.generation))}::bigint)`;
    // Only a move to another image is news for consumers; a changed reference or generation is
    // not, except when a user re-points the tag (a spec write) at the image it already holds: that
    // is an explicit rollback for dependents that ignored this image as older than theirs.
    const reasserted = origin.cause === 'spec' || origin.cause === 'spec-alias' || origin.cause === 'spec-import';
    const feed =
      next.image && (next.image !== previous || reasserted)
        ? `, feed AS (INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
              VALUES (${param(origin.namespace)}::text, ${param(origin.stream)}::text, $1::uuid, $2::text, ${param(previous)}::text, $3::text, $4::text, ${param(origin.cause)}::text))`
        : '';
    return {
      text: `WITH entry AS (${entry}),
              cleared AS (DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1::uuid AND tag = $2::text)${feed}
             SELECT 1`,
      values,
    };
  }

  /**
   * A spec write that re-points a tag at the image it holds without changing its history (the
   * entry is identical, or upstream does not resolve the tag again): a `from`==`to` feed item, an
   * explicit rollback for dependents that ignored this image as older than theirs.
   */
  async reassert(q: Queryable, streamUid: string, tag: string, current: TagEvent, origin: TagMoveOrigin): Promise<void> {
    if (!current.image) return;
    await q.query(
      `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
       VALUES ($1, $2, $3::uuid, $4, $5, $5, $6, $7)`,
      [origin.namespace, origin.stream, streamUid, tag, current.image, current.dockerImageReference, origin.cause],
    );
  }

  /** Sets the generation of one history entry (by id), as an alias write does to its source (TagResolver). */
  async setGeneration(q: Queryable, id: string, generation: number): Promise<void> {
    await q.query(`UPDATE image_stream_tag_events SET generation = $2 WHERE id = $1`, [id, generation]);
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
      // A row with no conditions keeps a status tag that has nothing else (see replace).
      for (const c of conditionsOf.get(uid) ?? []) {
        const named = entry(c.tag);
        if (c.conditions.length) named.conditions = c.conditions;
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
      // A tag with neither items nor conditions still has a row, so that status keeps naming it
      // (upstream's status strategy stores such a tag; its other writes collapse it).
      if (t.conditions?.length || !t.items?.length) {
        await q.query(
          `INSERT INTO image_stream_tag_conditions (stream_uid, tag, conditions) VALUES ($1, $2, $3)`,
          [streamUid, t.tag, JSON.stringify(t.conditions ?? [])],
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

  /**
   * Drops the status tags kept with neither history nor conditions (rows with no conditions; see
   * replace): upstream's spec-and-status writes (an import's) collapse them.
   */
  async collapseEmptyTags(q: Queryable, streamUid: string): Promise<void> {
    await q.query(`DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1 AND conditions = '[]'::jsonb`, [streamUid]);
  }

  /**
   * After a status write replaced the history (see replace): each tag whose newest entry now has
   * another image is fed to `tag_changes` as a move, each tag that had an image and has none now
   * (its history emptied or dropped) as the loss of it, so dependents are evaluated as for any
   * move. One statement for all of them; nothing when no tag's image changed.
   */
  async feedReplacedTops(q: Queryable, streamUid: string, before: NamedTagEventList[], after: NamedTagEventList[], origin: TagMoveOrigin): Promise<void> {
    const topOf = (tags: NamedTagEventList[]) => new Map(tags.map((t) => [t.tag, t.items?.[0]]));
    const old = topOf(before);
    const now = topOf(after);
    const rows: { tag: string; previous: string | null; image: string | null; ref: string | null }[] = [];
    for (const tag of new Set([...old.keys(), ...now.keys()])) {
      const previous = old.get(tag)?.image || null;
      const next = now.get(tag);
      if (next?.image && next.image !== previous) rows.push({ tag, previous, image: next.image, ref: next.dockerImageReference });
      else if (!next?.image && previous) rows.push({ tag, previous, image: null, ref: null });
    }
    if (!rows.length) return;
    await q.query(
      `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
       SELECT $1, $2, $3::uuid, r.tag, r.previous, r.image, r.ref, $4 FROM jsonb_to_recordset($5::jsonb) AS r(tag text, previous text, image text, ref text)`,
      [origin.namespace, origin.stream, streamUid, origin.cause, JSON.stringify(rows)],
    );
  }

  /**
   * A stream about to be deleted: every tag whose newest entry has an image loses it, fed to
   * `tag_changes` (one statement; the stream's history is read once, as its delete removes it).
   */
  async feedStreamRemoval(q: Queryable, streamUid: string, origin: TagMoveOrigin): Promise<void> {
    await q.query(
      `WITH top AS (SELECT DISTINCT ON (tag) tag, image FROM image_stream_tag_events WHERE stream_uid = $1 ORDER BY tag, id DESC)
       ${tagRemovalFeedSql('$2::text', '$3::text', '$1::uuid', 'top.tag', 'top.image', '$4::text')} FROM top WHERE top.image <> ''`,
      [streamUid, origin.namespace, origin.stream, origin.cause],
    );
  }

  /**
   * Removes a tag's history and conditions (one round trip); returns how many of each existed.
   * A tag that had an image loses it: that is fed to `tag_changes` as a row without an image (see
   * tagRemovalFeedSql), so the dependents following it are evaluated (they wait for an image).
   */
  async deleteTag(q: Queryable, streamUid: string, tag: string, origin: TagMoveOrigin): Promise<{ entries: number; conditions: number }> {
    // Every CTE reads the statement's snapshot: `top` is the newest entry before the delete.
    const [row] = await q.query<{ entries: string; conditions: string }>(
      `WITH top AS (SELECT image FROM image_stream_tag_events WHERE stream_uid = $1 AND tag = $2 ORDER BY id DESC LIMIT 1),
            e AS (DELETE FROM image_stream_tag_events WHERE stream_uid = $1 AND tag = $2 RETURNING 1),
            c AS (DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2 RETURNING 1),
            feed AS (${tagRemovalFeedSql('$3::text', '$4::text', '$1::uuid', '$2::text', 'top.image', '$5::text')} FROM top WHERE top.image <> '')
       SELECT (SELECT count(*) FROM e)::text AS entries, (SELECT count(*) FROM c)::text AS conditions`,
      [streamUid, tag, origin.namespace, origin.stream, origin.cause],
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
