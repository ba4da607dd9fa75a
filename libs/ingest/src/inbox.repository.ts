import type { Database, ParameterisedSql, Queryable } from '@app/persistence';
import type { StoredEvent, StoredKind } from './envelope';
import { type StoredImage, storedImageSql } from './stored-image';

export type EventState = 'pending' | 'processed' | 'ignored' | 'failed';
export const eventStates: readonly EventState[] = ['pending', 'processed', 'ignored', 'failed'];

/** One inbox row: a stored registry event and what became of it. */
export interface InboxEvent {
  id: string;
  kind: StoredKind;
  repository: string;
  tag: string | null;
  digest: string | null;
  mediaType: string | null;
  eventNs: bigint;
  sourceInstance: string;
  /** Registry time (microsecond precision; eventNs has the exact value). */
  eventTime: string;
  receivedAt: string;
  state: EventState;
  outcome: string | null;
  reason: string | null;
  attempts: number;
  redrives: number;
  finishedAt: string | null;
}

interface Row {
  id: string;
  kind: StoredKind;
  repository: string;
  tag: string | null;
  digest: string | null;
  media_type: string | null;
  event_ns: string;
  source_instance: string;
  event_time: Date;
  received_at: Date;
  state: EventState;
  outcome: string | null;
  reason: string | null;
  attempts: number;
  redrives: number;
  finished_at: Date | null;
}

const columns = `id, kind, repository, tag, digest, media_type, event_ns::text AS event_ns, source_instance, event_time,
  received_at, state, outcome, reason, attempts, redrives, finished_at`;

function toEvent(r: Row): InboxEvent {
  return {
    id: r.id,
    kind: r.kind,
    repository: r.repository,
    tag: r.tag,
    digest: r.digest,
    mediaType: r.media_type,
    eventNs: BigInt(r.event_ns),
    sourceInstance: r.source_instance,
    eventTime: r.event_time.toISOString(),
    receivedAt: r.received_at.toISOString(),
    state: r.state,
    outcome: r.outcome,
    reason: r.reason,
    attempts: r.attempts,
    redrives: r.redrives,
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
  };
}

/** Reasons are stored for people; keep them bounded. */
const clip = (s: string) => (s.length > 2000 ? `${s.slice(0, 2000)}…` : s);

/**
 * The registry event inbox. A row is written once (keyed by the registry's event id) and then only
 * changes state: pending → processed | ignored | failed, and failed/ignored → pending on redrive.
 */
export class InboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores events in one statement (one round trip, autocommit); returns the ids that were new.
   * A repeat of a stored id is a no-op (ON CONFLICT DO NOTHING).
   */
  async insert(events: StoredEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const records = events.map((e) => ({
      id: e.id,
      kind: e.kind,
      repository: e.repository,
      tag: e.tag ?? null,
      digest: e.digest ?? null,
      media_type: e.mediaType ?? null,
      ts: e.timestamp,
      ns: e.eventNs.toString(),
      src: e.sourceInstance,
      event: e.raw,
    }));
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO registry_events (id, kind, repository, tag, digest, media_type, event_time, event_ns, source_instance, event)
       SELECT r.id, r.kind, r.repository, r.tag, r.digest, r.media_type, r.ts::timestamptz, r.ns::bigint, r.src, r.event
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, repository text, tag text, digest text,
                                                media_type text, ts text, ns text, src text, event jsonb)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [JSON.stringify(records)],
      // Prepared once per connection: this is the receiver's only statement, planned on every call otherwise.
      'registry-events-insert',
    );
    return rows.map((r) => r.id);
  }

  async get(id: string, q: Queryable = this.db): Promise<InboxEvent | null> {
    const rows = await q.query<Row>(`SELECT ${columns} FROM registry_events WHERE id = $1`, [id]);
    return rows[0] ? toEvent(rows[0]) : null;
  }

  /** The event, and the Image its digest names when that is stored already (one round trip). */
  async getForProcessing(id: string): Promise<{ event: InboxEvent; storedImage: StoredImage | null } | null> {
    const rows = await this.db.query<Row & { image_stored: boolean; image_size: number | null }>(
      `SELECT ${columns}, img.size AS image_size, img.stored IS NOT NULL AS image_stored
         FROM registry_events LEFT JOIN LATERAL (${storedImageSql('registry_events.digest')}) img ON true
        WHERE id = $1`,
      [id],
      // Prepared once per connection: run for every event, and Postgres planned it each time.
      'registry-event-for-processing',
    );
    const row = rows[0];
    return row ? { event: toEvent(row), storedImage: row.image_stored ? { size: row.image_size } : null } : null;
  }

  /**
   * Pending manifest pushes and tag deletes of one tag up to `upToNs`, in registry order. A
   * prepared statement in the processor's lock round trip (see ParameterisedSql), as are the
   * other statements of that trip and the settlements that ride with its COMMIT: every event
   * runs them, and Postgres parsed and planned each one every time when their values were inlined.
   */
  pendingForTagSql(repository: string, tag: string, upToNs: bigint): ParameterisedSql {
    return {
      text: `SELECT ${columns} FROM registry_events
              WHERE state = 'pending' AND repository = $1::text AND tag = $2::text
                AND event_ns <= $3::bigint AND kind IN ('manifest-push', 'tag-delete')
              ORDER BY event_ns, id`,
      values: [repository, tag, upToNs],
    };
  }

  /** Is a push of `digest` to the tag stamped after `afterNs` still pending (delivered, not yet applied)? */
  async hasPendingPushAfter(q: Queryable, repository: string, tag: string, afterNs: bigint, digest: string): Promise<boolean> {
    const rows = await q.query(
      `SELECT 1 FROM registry_events
        WHERE state = 'pending' AND repository = $1 AND tag = $2 AND event_ns > $3::bigint AND digest = $4 AND kind = 'manifest-push'
        LIMIT 1`,
      [repository, tag, afterNs.toString(), digest],
    );
    return rows.length > 0;
  }

  fromRows(rows: Record<string, unknown>[]): InboxEvent[] {
    return rows.map((r) => toEvent(r as unknown as Row));
  }

  /**
   * Settles a pending event (a no-op when it is not pending any more). The attempt that settles it
   * counts: `attempts` holds the failed attempts before it (noteAttempt), so an event processed at
   * the first try shows 1, not 0. An event settled inside the job of a later event of its tag
   * (ordering) counts that as its attempt too.
   */
  finishSql(id: string, state: 'processed' | 'ignored', outcome: string, reason: string | null = null): ParameterisedSql {
    return {
      text: `UPDATE registry_events SET state = $2::text, outcome = $3::text, reason = $4::text, attempts = attempts + 1, finished_at = now()
              WHERE id = $1::text AND state = 'pending'`,
      values: [id, state, outcome, reason === null ? null : clip(reason)],
    };
  }

  /** Settles a pending event; false when it was not pending any more (someone else settled it). */
  async finish(q: Queryable, id: string, state: 'processed' | 'ignored', outcome: string, reason: string | null = null): Promise<boolean> {
    const { text, values } = this.finishSql(id, state, outcome, reason);
    const rows = await q.query(`${text} RETURNING 1`, [...values]);
    return rows.length > 0;
  }

  /** A failed attempt that will be retried: keep the reason for people watching the backlog. */
  async noteAttempt(id: string, attempts: number, reason: string): Promise<void> {
    await this.db.query(`UPDATE registry_events SET attempts = $2, reason = $3 WHERE id = $1 AND state = 'pending'`, [
      id,
      attempts,
      clip(reason),
    ]);
  }

  /** The last attempt failed: the event is failed until someone redrives it. */
  async fail(id: string, attempts: number, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE registry_events SET state = 'failed', outcome = 'failed', attempts = $2, reason = $3, finished_at = now()
        WHERE id = $1 AND state = 'pending'`,
      [id, attempts, clip(reason)],
    );
  }

  /** Keyset page by id; `after` is the last id of the previous page. */
  async list(state: EventState | undefined, limit: number, after: string | undefined): Promise<InboxEvent[]> {
    const params: unknown[] = [limit];
    const where: string[] = [];
    if (state) {
      params.push(state);
      where.push(`state = $${params.length}`);
    }
    if (after !== undefined) {
      params.push(after);
      where.push(`id > $${params.length}`);
    }
    const rows = await this.db.query<Row>(
      `SELECT ${columns} FROM registry_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $1`,
      params,
    );
    return rows.map(toEvent);
  }

  /**
   * failed or ignored → pending with a fresh attempt count. Returns the row after the change, or the
   * unchanged row when it was in another state (the caller reports the conflict), or null.
   */
  async redrive(id: string): Promise<{ event: InboxEvent; changed: boolean } | null> {
    const rows = await this.db.query<Row>(
      `UPDATE registry_events SET state = 'pending', outcome = NULL, attempts = 0, redrives = redrives + 1, finished_at = NULL
        WHERE id = $1 AND state IN ('failed', 'ignored') RETURNING ${columns}`,
      [id],
    );
    if (rows[0]) return { event: toEvent(rows[0]), changed: true };
    const current = await this.get(id);
    return current ? { event: current, changed: false } : null;
  }

  /** Pending events received more than `olderThanMs` ago, oldest first: the sweeper's work. */
  async sweepCandidates(olderThanMs: number, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM registry_events
        WHERE state = 'pending' AND received_at < now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY received_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Deletes settled (processed, ignored) events older than the retention; failed ones stay until redriven. */
  async deleteFinished(olderThanSeconds: number, limit: number): Promise<number> {
    const rows = await this.db.query<{ n: string }>(
      `WITH d AS (DELETE FROM registry_events WHERE id IN (
          SELECT id FROM registry_events WHERE state IN ('processed', 'ignored')
             AND finished_at < now() - make_interval(secs => $1::double precision) LIMIT $2)
        RETURNING 1) SELECT count(*)::text AS n FROM d`,
      [olderThanSeconds, limit],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Count per state (for operators and tests). */
  async counts(): Promise<Record<EventState, number>> {
    const rows = await this.db.query<{ state: EventState; n: string }>(
      `SELECT state, count(*)::text AS n FROM registry_events GROUP BY state`,
    );
    const out: Record<EventState, number> = { pending: 0, processed: 0, ignored: 0, failed: 0 };
    for (const r of rows) out[r.state] = Number(r.n);
    return out;
  }
}
