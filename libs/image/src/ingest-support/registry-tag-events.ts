import { finishWithVersionedWrites, type ParameterisedSql, type Queryable, type Transaction } from '@app/persistence';
import { imageStreamTable } from '../imagestream/imagestream.store';
import { TagHistoryRepository } from '../tag-history/tag-history.repository';

/** A tag whose newest history entry changed because entries were removed. */
export interface TagTopChange {
  tag: string;
  /** Image of the newest entry before the removal. */
  before: string;
  /** Image of the newest entry after it; null when the tag's history is now empty (the tag left status). */
  after: string | null;
}

export interface HistoryRemoval {
  /** History entries deleted. */
  removed: number;
  /** Tags whose newest entry changed (a tag that only lost older entries is not listed). */
  changedTops: TagTopChange[];
}

interface TopRow {
  tag: string;
  id: string;
  image: string;
  docker_image_reference: string;
}

/**
 * The statement reading the image of one tag's newest history entry (a prepared statement with its
 * values, for Transaction.batch); one row `{image}`, or none when the stream or the tag does not exist.
 */
export function currentTagImageSql(namespace: string, stream: string, tag: string): ParameterisedSql {
  return {
    text: `SELECT ev.image FROM image_stream_tag_events ev
            WHERE ev.stream_uid = (SELECT uid FROM image_streams WHERE namespace = $1::text AND name = $2::text) AND ev.tag = $3::text
            ORDER BY ev.id DESC LIMIT 1`,
    values: [namespace, stream, tag],
  };
}

/** Newest history entry's image of one tag, or null when the stream or the tag does not exist. */
export async function currentTagImage(q: Queryable, namespace: string, stream: string, tag: string): Promise<string | null> {
  const { text, values } = currentTagImageSql(namespace, stream, tag);
  const rows = await q.query<{ image: string }>(text, [...values]);
  return rows[0]?.image ?? null;
}

/** Newest entry of each listed tag (one index probe per tag). */
async function tops(q: Queryable, streamUid: string, tags: string[]): Promise<Map<string, TopRow>> {
  if (tags.length === 0) return new Map();
  const rows = await q.query<TopRow>(
    `SELECT t.tag, top.id, top.image, top.docker_image_reference FROM unnest($2::text[]) AS t(tag)
       CROSS JOIN LATERAL (
         SELECT ev.id::text AS id, ev.image, ev.docker_image_reference FROM image_stream_tag_events ev
          WHERE ev.stream_uid = $1 AND ev.tag = t.tag ORDER BY ev.id DESC LIMIT 1) top`,
    [streamUid, tags],
  );
  return new Map(rows.map((r) => [r.tag, r]));
}

/**
 * After entries were removed: clear the conditions of tags whose newest entry changed, feed each
 * move to an older image into `tag_changes`, and each tag that emptied as a loss of its image (a
 * row without an image: dependents are evaluated and wait for one), and give the stream a new
 * resourceVersion with its change-log entry (watchers see it).
 */
async function afterRemoval(
  tx: Transaction,
  stream: { namespace: string; name: string; uid: string; labels: Record<string, string> },
  before: Map<string, TopRow>,
  removed: number,
  cause: string,
): Promise<HistoryRemoval> {
  if (removed === 0) return { removed, changedTops: [] };
  const after = await tops(tx, stream.uid, [...before.keys()]);
  const changedTops: TagTopChange[] = [];
  for (const [tag, old] of before) {
    const now = after.get(tag);
    if (now?.id === old.id) continue;
    changedTops.push({ tag, before: old.image, after: now?.image ?? null });
    await tx.query(`DELETE FROM image_stream_tag_conditions WHERE stream_uid = $1 AND tag = $2`, [stream.uid, tag]);
    // A move to another image, or the loss of the image (a row without one) when the tag emptied.
    if (now ? now.image !== old.image : Boolean(old.image)) {
      await tx.query(
        `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [stream.namespace, stream.name, stream.uid, tag, old.image, now?.image ?? null, now?.docker_image_reference ?? null, cause],
      );
    }
  }
  touchStream(tx, stream);
  return { removed, changedTops };
}

/** Gives the stream a new resourceVersion and its change-log entry (watchers see its status change). */
function touchStream(tx: Transaction, stream: { namespace: string; name: string; labels: Record<string, string> }): void {
  finishWithVersionedWrites(tx, [
    {
      rowSql: (rv, param) => `UPDATE image_streams SET resource_version = ${rv}
        WHERE namespace = ${param(stream.namespace, 'text')} AND name = ${param(stream.name, 'text')}`,
      change: {
        resource: 'imagestreams',
        namespace: stream.namespace,
        name: stream.name,
        type: 'MODIFIED',
        labels: stream.labels,
        prevLabels: stream.labels,
      },
    },
  ]);
}

/** Locks the stream row (serialising with mappings into it); null when it does not exist. */
async function lockStream(tx: Transaction, namespace: string, name: string) {
  const table = imageStreamTable();
  const lookup = table.getStatement(namespace, name, true);
  const stream = table.hydrateRows(await tx.query(lookup.text, [...lookup.values]));
  if (!stream) return null;
  return { namespace, name, uid: stream.metadata.uid!, labels: stream.metadata.labels ?? {} };
}

/**
 * Whether any history entry of the stream names `image` by one of `references` (its pull specs in
 * the registry's repository); null when the stream does not exist.
 * Lets a registry delete event settle without asking the registry about a digest the stream never
 * held: a blob delete looks exactly like a manifest delete, and distribution answers 500 to a
 * manifest HEAD for a digest that is a layer in the repository again.
 */
export async function streamHistoryHoldsImage(
  q: Queryable,
  namespace: string,
  name: string,
  image: string,
  references: readonly string[],
): Promise<boolean | null> {
  const rows = await q.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM image_stream_tag_events ev
                     WHERE ev.stream_uid = s.uid AND ev.image = $3 AND ev.docker_image_reference = ANY($4::text[])) AS held
       FROM image_streams s WHERE s.namespace = $1 AND s.name = $2`,
    [namespace, name, image, references],
  );
  return rows[0]?.held ?? null;
}

/**
 * Removes the history entries of `image` that name it by one of `references` from one stream (a
 * manifest deleted from that stream's repository: entries of the same digest pulled from elsewhere,
 * such as an import from another repository, still name an image that exists and stay). A tag
 * whose newest entry is that image disappears from status whole, as OpenShift's registry untags
 * every tag whose latest image a deleted manifest was (the tags following it included), rather
 * than falling back to an older image nobody chose; a tag whose history empties disappears too.
 * Runs inside the caller's transaction, holding the stream lock. Returns null when the stream does
 * not exist.
 */
export async function removeImageFromStream(
  tx: Transaction,
  namespace: string,
  name: string,
  image: string,
  references: readonly string[],
  cause = 'registry-delete',
): Promise<HistoryRemoval | null> {
  const stream = await lockStream(tx, namespace, name);
  if (!stream) return null;
  const tags = await tx.query<{ tag: string }>(
    `SELECT DISTINCT tag FROM image_stream_tag_events WHERE stream_uid = $1 AND image = $2 AND docker_image_reference = ANY($3::text[])`,
    [stream.uid, image, references],
  );
  const before = await tops(tx, stream.uid, tags.map((t) => t.tag));
  const untagged = [...before.values()].filter((t) => t.image === image && references.includes(t.docker_image_reference)).map((t) => t.tag);
  const [deleted] = await tx.query<{ n: string }>(
    `WITH d AS (DELETE FROM image_stream_tag_events
                 WHERE stream_uid = $1 AND ((image = $2 AND docker_image_reference = ANY($3::text[])) OR tag = ANY($4::text[])) RETURNING 1)
     SELECT count(*)::text AS n FROM d`,
    [stream.uid, image, references, untagged],
  );
  return afterRemoval(tx, stream, before, Number(deleted?.n ?? 0), cause);
}

/**
 * Removes one tag from a stream's status: its whole history and its conditions (a tag deleted in
 * the registry; like `oc delete istag`, but the spec tag, if any, stays). Runs inside the caller's
 * transaction, holding the stream lock. Returns null when the stream does not exist; `removed: 0`
 * when the tag had no history.
 *
 * `untagged` is the image the registry held under the tag: a tag whose newest entry is another
 * image (moved through the API, or set from another stream's tag, since the registry's push) stays
 * as it is, and `keptAt` names that image. OpenShift's registry untags only the tags whose latest
 * image is the deleted manifest (image-registry's tag service Lookup).
 */
export async function removeTagFromStream(
  tx: Transaction,
  namespace: string,
  name: string,
  tag: string,
  untagged?: string | null,
): Promise<(HistoryRemoval & { keptAt?: string }) | null> {
  const stream = await lockStream(tx, namespace, name);
  if (!stream) return null;
  const top = (await tops(tx, stream.uid, [tag])).get(tag);
  if (untagged && top && top.image !== untagged) return { removed: 0, changedTops: [], keptAt: top.image };
  // Conditions alone keep a tag listed in status, so they go too.
  // A tag that had an image feeds its loss to tag_changes (a row without an image): its dependents are evaluated.
  const deleted = await new TagHistoryRepository().deleteTag(tx, stream.uid, tag, { namespace, stream: name, cause: 'registry-delete' });
  if (deleted.entries + deleted.conditions === 0) return { removed: 0, changedTops: [] };
  touchStream(tx, stream);
  return { removed: deleted.entries, changedTops: top ? [{ tag, before: top.image, after: null }] : [] };
}
