import { Gauge } from 'prom-client';
import { metricsRegistry } from '@app/observability';
import type { Queryable } from '@app/persistence';

/**
 * The trigger pipeline's backlog as Postgres holds it, read when /metrics is scraped: the counters
 * say what was sent, these say what is waiting, so an operator sees a backlog forming (a slow
 * receiver, a stopped worker) before anyone misses a delivery. The figures are the database's,
 * the same from every replica that serves them (aggregate with max, not sum).
 */
const BACKLOG_SQL = `
  SELECT (SELECT count(*) FROM trigger_deliveries WHERE state = 'pending')::int AS pending,
         (SELECT count(*) FROM trigger_deliveries WHERE state = 'dead')::int AS dead,
         (SELECT coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0) FROM trigger_deliveries
           WHERE state = 'pending' AND next_attempt_at < now())::float8 AS overdue_seconds,
         (SELECT count(*) FROM tag_changes WHERE NOT relayed)::int AS unrelayed,
         (SELECT coalesce(extract(epoch FROM now() - min(recorded_at)), 0) FROM tag_changes WHERE NOT relayed)::float8 AS unrelayed_seconds`;

interface BacklogRow {
  pending: number;
  dead: number;
  overdue_seconds: number;
  unrelayed: number;
  unrelayed_seconds: number;
}

/** A scrape never waits on a database that is down: the gauges are then left out, /metrics still answers. */
const READ_TIMEOUT_MS = 1000;

let source: Queryable | undefined;
let pendingRead: Promise<BacklogRow | undefined> | undefined;

/** One read per scrape, shared by the five gauges' collect callbacks. */
function readBacklog(): Promise<BacklogRow | undefined> {
  if (!source) return Promise.resolve(undefined);
  pendingRead ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS);
      });
      const rows = source.query<BacklogRow>(BACKLOG_SQL, [], 'trigger_backlog');
      return await Promise.race([rows.then((r) => r[0]), timeout]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      pendingRead = undefined;
    }
  })();
  return pendingRead;
}

function backlogGauge(name: string, help: string, field: keyof BacklogRow): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      const row = await readBacklog();
      if (row) this.set(Number(row[field]));
    },
  });
}

backlogGauge(
  'imagestreamd_trigger_deliveries_pending',
  'Trigger deliveries not yet delivered or dead-lettered (in flight or waiting for a retry)',
  'pending',
);
backlogGauge(
  'imagestreamd_trigger_deliveries_dead',
  'Dead-lettered trigger deliveries, including fires not sent because a later fire of their trigger superseded them',
  'dead',
);
backlogGauge(
  'imagestreamd_trigger_delivery_oldest_overdue_seconds',
  'Seconds since the earliest pending delivery became due (0 when none is overdue): how far sending lags',
  'overdue_seconds',
);
backlogGauge(
  'imagestreamd_tag_changes_unrelayed',
  'Committed tag moves whose trigger evaluation has not been queued yet (the outbox)',
  'unrelayed',
);
backlogGauge(
  'imagestreamd_tag_changes_oldest_unrelayed_seconds',
  'Age in seconds of the oldest tag move still in the outbox (0 when empty)',
  'unrelayed_seconds',
);

/** Makes the backlog gauges read from `db`; any process that reaches the database may serve them. */
export function serveTriggerBacklogMetrics(db: Queryable): void {
  source ??= db;
}
