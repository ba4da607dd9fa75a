import { type Queryable, sqlLiteral } from '@app/persistence';
import type { TagTopChange } from '@app/image';
import type { TagPosition } from './ordering';

interface Row {
  event_id: string;
  event_ns: string;
  source_instance: string;
  digest: string | null;
  current_image: string | null;
}

/**
 * The newest registry event applied to each repository tag (see ordering.ts). Statements come as
 * SQL with values inlined too, so the processor can read them in its lock round trip and write
 * them with its COMMIT.
 */
export class TagPositionsRepository {
  getSql(repository: string, tag: string): string {
    return `SELECT event_id, event_ns::text AS event_ns, source_instance, digest, current_image
              FROM registry_tag_positions WHERE repository = ${sqlLiteral(repository)} AND tag = ${sqlLiteral(tag)}`;
  }

  fromRows(rows: Record<string, unknown>[]): TagPosition | null {
    const r = rows[0] as Row | undefined;
    return r
      ? { eventId: r.event_id, eventNs: BigInt(r.event_ns), sourceInstance: r.source_instance, digest: r.digest, currentImage: r.current_image }
      : null;
  }

  async get(q: Queryable, repository: string, tag: string): Promise<TagPosition | null> {
    return this.fromRows(await q.query(this.getSql(repository, tag)));
  }

  /** Records an applied event. The stamp never goes backwards (an in-doubt event settled by the registry may be older). */
  setSql(repository: string, tag: string, p: TagPosition): string {
    return `INSERT INTO registry_tag_positions (repository, tag, event_id, event_ns, source_instance, digest, current_image)
            VALUES (${sqlLiteral(repository)}, ${sqlLiteral(tag)}, ${sqlLiteral(p.eventId)}, ${sqlLiteral(p.eventNs)}::bigint,
                    ${sqlLiteral(p.sourceInstance)}, ${sqlLiteral(p.digest)}, ${sqlLiteral(p.currentImage)})
            ON CONFLICT (repository, tag) DO UPDATE SET event_id = excluded.event_id,
              event_ns = GREATEST(registry_tag_positions.event_ns, excluded.event_ns), source_instance = excluded.source_instance,
              digest = excluded.digest, current_image = excluded.current_image, updated_at = now()`;
  }

  async set(q: Queryable, repository: string, tag: string, p: TagPosition): Promise<void> {
    await q.query(this.setSql(repository, tag, p));
  }

  /** A manifest delete moved some tags' newest entries: keep the recorded "where the tag is" in step. */
  async moveCurrentImages(q: Queryable, repository: string, changes: TagTopChange[]): Promise<void> {
    for (const c of changes) {
      await q.query(`UPDATE registry_tag_positions SET current_image = $3, updated_at = now() WHERE repository = $1 AND tag = $2`, [
        repository,
        c.tag,
        c.after,
      ]);
    }
  }
}
