/**
 * The least a trigger pipeline can do and still meet issue 5's delivery contract, run as its own
 * process by `bench:notify-floor` (forked, told what to do over IPC). Per push of a tag: the tag
 * move (one row), the tag's triggers read, one signed CloudEvent POSTed per trigger, then in one
 * statement each delivery with its attempt, and each trigger's status with the change-log row a
 * watch of Triggers reads: three prepared statements per push, whatever its fan-out. At least once
 * holds if the tag move stays pending until that last statement commits (a crash in between sends
 * the same ids again). No queue, no leases, no per-target limits, no retry: what it costs is a
 * lower bound for any design that records and signs every delivery, not a design to ship.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Agent, request } from 'undici';
import { cpuSeconds } from './api-child';

export interface FloorPlan {
  databaseUrl: string;
  receivers: string[];
  tags: number;
  triggersPerTag: number;
  rate: number;
  seconds: number;
  /** false: nothing is written or read per push (the triggers are read once): signing and POSTing alone. */
  record: boolean;
}

export interface FloorResult {
  pushes: number;
  deliveries: number;
  failedPosts: number;
  cpuSeconds: number;
}

const SCHEMA = `
  CREATE SEQUENCE floor_rv;
  CREATE TABLE floor_triggers (
    uid uuid PRIMARY KEY, namespace text NOT NULL, name text NOT NULL, tag int NOT NULL,
    url text NOT NULL, secret bytea NOT NULL, last_image text, last_time timestamptz, rv bigint NOT NULL
  ) WITH (fillfactor = 50);
  CREATE INDEX floor_triggers_tag ON floor_triggers (tag);
  CREATE TABLE floor_tag_moves (rv bigint PRIMARY KEY, tag int NOT NULL, image text NOT NULL, at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE floor_deliveries (
    id text PRIMARY KEY, trigger_uid uuid NOT NULL, image text NOT NULL, state text NOT NULL,
    attempts jsonb NOT NULL DEFAULT '[]', created timestamptz NOT NULL DEFAULT now(), rv bigint NOT NULL
  ) WITH (fillfactor = 50);
  CREATE INDEX floor_deliveries_history ON floor_deliveries (trigger_uid, created);
  CREATE TABLE floor_changes (rv bigint PRIMARY KEY, kind text NOT NULL, namespace text NOT NULL, name text NOT NULL, body jsonb NOT NULL);
`;

interface TriggerRow {
  uid: string;
  namespace: string;
  name: string;
  url: string;
  secret: Buffer;
}

async function seed(pool: Pool, plan: FloorPlan): Promise<void> {
  await pool.query(SCHEMA);
  await pool.query(
    `INSERT INTO floor_triggers (uid, namespace, name, tag, url, secret, rv)
     SELECT gen_random_uuid(), 'bench', 't' || i, i % $1::int, ($3::text[])[1 + i % cardinality($3::text[])],
            decode(md5(random()::text) || md5(random()::text), 'hex'), nextval('floor_rv')
       FROM generate_series(0, $1::int * $2::int - 1) AS i`,
    [plan.tags, plan.triggersPerTag, plan.receivers],
  );
  await pool.query('ANALYZE');
}

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Standard Webhooks signature: HMAC-SHA256 over `id.timestamp.body`, base64, version `v1`. */
function sign(secret: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

class FloorPipeline {
  private readonly agent = new Agent({ connections: 16, pipelining: 1 });
  private pushes = 0;
  private deliveries = 0;
  private failedPosts = 0;
  /** The triggers by tag, read once, for a plan that does not record. */
  private triggersByTag = new Map<number, TriggerRow[]>();

  constructor(
    private readonly pool: Pool,
    private readonly plan: FloorPlan,
  ) {}

  /** One push of `image` to `tag`, at wall-clock ms `pushedAt`, carried in each event. */
  async push(tag: number, image: string, pushedAt: number): Promise<void> {
    if (!this.plan.record) {
      const triggers = this.triggersByTag.get(tag) ?? [];
      await Promise.all(triggers.map((t) => this.deliver(t, `${t.uid}:${image}`, tag, image, pushedAt)));
      this.pushes++;
      this.deliveries += triggers.length;
      return;
    }
    await this.pool.query({ name: 'floor-move', text: `INSERT INTO floor_tag_moves (rv, tag, image) VALUES (nextval('floor_rv'), $1, $2)`, values: [tag, image] });
    const triggers = (await this.pool.query<TriggerRow>({ name: 'floor-triggers', text: `SELECT uid, namespace, name, url, secret FROM floor_triggers WHERE tag = $1`, values: [tag] })).rows;
    const ids = triggers.map((t) => `${t.uid}:${image}`);
    const outcomes = await Promise.all(triggers.map((t, i) => this.deliver(t, ids[i]!, tag, image, pushedAt)));
    // Recorded once, after the POSTs, with their outcomes: the tag move is what makes the sends
    // happen again after a crash here (the same ids, so receivers see the same webhook-id).
    await this.pool.query({
      name: 'floor-record',
      text: `WITH delivery AS (
         INSERT INTO floor_deliveries (id, trigger_uid, image, state, attempts, rv)
         SELECT o.id, o.uid, $5, CASE WHEN o.code BETWEEN 200 AND 299 THEN 'Delivered' ELSE 'Retrying' END,
                jsonb_build_array(jsonb_build_object('time', now(), 'statusCode', o.code, 'latencyMs', o.ms)), nextval('floor_rv')
           FROM unnest($1::text[], $2::uuid[], $3::int[], $4::float8[]) AS o (id, uid, code, ms)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, attempts = floor_deliveries.attempts || excluded.attempts
         RETURNING trigger_uid
       ), status AS (
         UPDATE floor_triggers t SET last_image = $5, last_time = now(), rv = nextval('floor_rv')
          WHERE t.uid IN (SELECT trigger_uid FROM delivery)
         RETURNING t.rv, t.namespace, t.name, t.uid, t.last_image, t.last_time
       )
       INSERT INTO floor_changes (rv, kind, namespace, name, body)
       SELECT rv, 'Trigger', namespace, name, jsonb_build_object('metadata', jsonb_build_object('name', name, 'namespace', namespace, 'uid', uid,
                'resourceVersion', rv::text), 'status', jsonb_build_object('lastTriggeredImageID', last_image, 'lastTriggeredTime', last_time))
         FROM status`,
      values: [ids, triggers.map((t) => t.uid), outcomes.map((o) => o.code), outcomes.map((o) => o.ms), image],
    });
    this.pushes++;
    this.deliveries += triggers.length;
  }

  private async deliver(t: TriggerRow, id: string, tag: number, image: string, pushedAt: number): Promise<{ code: number; ms: number }> {
    const body = JSON.stringify({
      specversion: '1.0',
      id,
      source: `/apis/bench/namespaces/${t.namespace}/triggers/${t.name}`,
      type: 'io.imagestreamd.trigger.fired',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { namespace: 'bench', stream: 'app', tag: `t${tag}`, new: { digest: image, pushedAt }, trigger: { name: t.name, uid: t.uid } },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const started = performance.now();
    try {
      const res = await request(t.url, {
        method: 'POST',
        dispatcher: this.agent,
        body,
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': sign(t.secret, id, timestamp, body),
        },
      });
      await res.body.dump();
      return { code: res.statusCode, ms: performance.now() - started };
    } catch {
      this.failedPosts++;
      return { code: 0, ms: performance.now() - started };
    }
  }

  /** Pushes at `rate`/s, round-robin over the tags, for `seconds`; resolves when every push is done. */
  async run(): Promise<FloorResult> {
    if (!this.plan.record) {
      const all = await this.pool.query<TriggerRow & { tag: number }>(`SELECT uid, namespace, name, url, secret, tag FROM floor_triggers`);
      for (const t of all.rows) this.triggersByTag.set(t.tag, [...(this.triggersByTag.get(t.tag) ?? []), t]);
    }
    const cpuAtStart = cpuSeconds(process.pid);
    const inFlight: Promise<void>[] = [];
    const total = this.plan.rate * this.plan.seconds;
    const startedAt = performance.now();
    // A run's images are new to the tables whatever ran before it on the same database.
    const firstImage = randomBytes(4).readUInt32BE() * 1e5;
    for (let n = 0; n < total; n++) {
      const due = startedAt + (n * 1000) / this.plan.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(this.push(n % this.plan.tags, digestOf(firstImage + n), performance.timeOrigin + performance.now()));
    }
    await Promise.all(inFlight);
    return { pushes: this.pushes, deliveries: this.deliveries, failedPosts: this.failedPosts, cpuSeconds: cpuSeconds(process.pid) - cpuAtStart };
  }
}

/** The forked process: seeds on `seed`, runs on `run`, answers each with a message. */
export function serveFloorPipeline(): void {
  let pool: Pool | undefined;
  process.on('message', (message: { op: 'seed' | 'run'; plan: FloorPlan } | { op: 'exit' }) => {
    void (async () => {
      if (message.op === 'seed') {
        pool = new Pool({ connectionString: message.plan.databaseUrl, max: 8 });
        await seed(pool, message.plan);
        process.send?.({ op: 'seeded' });
      } else if (message.op === 'run' && pool) {
        process.send?.({ op: 'ran', result: await new FloorPipeline(pool, message.plan).run() });
      } else if (message.op === 'exit') {
        await pool?.end();
        process.exit(0);
      }
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
}
