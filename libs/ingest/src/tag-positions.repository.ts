import type { ParameterisedSql, Queryable } from '@app/persistence';
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
 * prepared statements with their values too (ParameterisedSql), so the processor can read them in
 * its lock round trip and write them with its COMMIT.
 */
export class TagPositionsRepository {
  getSql(repository: string, tag: string): ParameterisedSql {
    return {
      text: `SELECT event_id, event_ns::text AS event_ns, source_instance, digest, current_image
               FROM registry_tag_positions WHERE repository = $1::text AND tag = $2::text`,
      values: [repository, tag],
    };
  }

  fromRows(rows: Record<string, unknown>[]): TagPosition | null {
    const r = rows[0] as Row | undefined;
    return r
      ? { eventId: r.event_id, eventNs: BigInt(r.event_ns), sourceInstance: r.source_instance, digest: r.digest, currentImage: r.current_image }
      : null;
  }

  async get(q: Queryable, repository: string, tag: string): Promise<TagPosition | null> {
    const { text, values } = this.getSql(repository, tag);
    return this.fromRows(await q.query(text, [...values]));
  }

  /** Records an applied event. The stamp never goes backwards (an in-doubt event settled by the registry may be older). */
  setSql(repository: string, tag: string, p: TagPosition): ParameterisedSql {
    return {
      text: `INSERT INTO registry_tag_positions (repository, tag, event_id, event_ns, source_instance, digest, current_image)
             VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, $7::text)
             ON CONFLICT (repository, tag) DO UPDATE SET event_id = excluded.event_id,
               event_ns = GREATEST(registry_tag_positions.event_ns, excluded.event_ns), source_instance = excluded.source_instance,
               digest = excluded.digest, current_image = excluded.current_image, updated_at = now()`,
      values: [repository, tag, p.eventId, p.eventNs, p.sourceInstance, p.digest, p.currentImage],
    };
  }

  async set(q: Queryable, repository: string, tag: string, p: TagPosition): Promise<void> {
    const { text, values } = this.setSql(repository, tag, p);
    await q.query(text, [...values]);
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
