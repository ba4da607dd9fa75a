import type { Queryable } from '@app/persistence';
import type { TagPosition } from './ordering';
import type { TagTopChange } from '@app/image';

interface Row {
  event_id: string;
  event_ns: string;
  source_instance: string;
  digest: string | null;
  current_image: string | null;
}

/** The newest registry event applied to each repository tag (see ordering.ts). */
export class TagPositionsRepository {
  async get(q: Queryable, repository: string, tag: string): Promise<TagPosition | null> {
    const rows = await q.query<Row>(
      `SELECT event_id, event_ns::text AS event_ns, source_instance, digest, current_image
         FROM registry_tag_positions WHERE repository = $1 AND tag = $2`,
      [repository, tag],
    );
    const r = rows[0];
    return r
      ? { eventId: r.event_id, eventNs: BigInt(r.event_ns), sourceInstance: r.source_instance, digest: r.digest, currentImage: r.current_image }
      : null;
  }

  /** Records an applied event. The stamp never goes backwards (an in-doubt event settled by the registry may be older). */
  async set(q: Queryable, repository: string, tag: string, p: TagPosition): Promise<void> {
    await q.query(
      `INSERT INTO registry_tag_positions (repository, tag, event_id, event_ns, source_instance, digest, current_image)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7)
       ON CONFLICT (repository, tag) DO UPDATE SET event_id = excluded.event_id,
         event_ns = GREATEST(registry_tag_positions.event_ns, excluded.event_ns), source_instance = excluded.source_instance,
         digest = excluded.digest, current_image = excluded.current_image, updated_at = now()`,
      [repository, tag, p.eventId, p.eventNs.toString(), p.sourceInstance, p.digest, p.currentImage],
    );
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
