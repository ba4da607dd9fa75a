import { Client } from 'pg';
import { ApiError } from '@app/api-machinery';
import { GAP_GRACE_MS } from '@app/http';
import { call, parseAnswerBody } from '@app/testing';
import { envelope, postEnvelope, registryEvent } from './ingest-harness';
import { pollUntil, waitFor } from './support/poll';
import { openTestDatabase } from './support/test-database';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { Receiver } from './support/webhook-receiver';
import { createSigningSecret, createTrigger, digest, mapImage, triggerSpec } from './support/trigger-resources';

/**
 * Postgres connections cut under a running api-with-worker, as a Postgres restart or failover
 * does, without restarting the shared server: every backend of the test database is terminated
 * from an admin session (pg_terminate_backend), once and repeatedly. What was acknowledged stays,
 * what was in flight gets a Status, and every session (pool, change feed's LISTEN, trigger
 * relay's LISTEN) comes back by itself.
 */

const IMAGES = '/apis/image.openshift.io/v1';
const NS = 'pgcut';
const SECRET = 'pgcut-secret';

/** Sessions of the test database whose query is a LISTEN (the change feed's and the relay's). */
async function listenSessions(admin: Client, db: string): Promise<number> {
  const r = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN %'`, [db]);
  return r.rows[0]!.n;
}

/** Live sessions of the test database, the admin session aside. */
async function sessions(admin: Client, db: string): Promise<number> {
  const r = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db]);
  return r.rows[0]!.n;
}

/**
 * Terminates every backend of the test database, as a Postgres restart or failover does; returns
 * how many. With `settle`, waits until those backends have exited (pg_terminate_backend only signals them).
 */
async function cut(admin: Client, db: string, settle = false): Promise<number> {
  // In the select list, not the WHERE clause: the planner may order quals freely, and a
  // pg_terminate_backend evaluated before the datname filter would cut other databases' sessions.
  const r = await admin.query<{ pid: number; cut: boolean }>(
    `SELECT pid, pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [db],
  );
  const pids = r.rows.filter((row) => row.cut).map((row) => row.pid);
  if (settle) {
    await waitFor('terminated backends gone', async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)`, [pids])).rowCount === 0, 20000);
  }
  return pids.length;
}

/** A request's outcome: its status and body, or the transport error (hung/reset socket). */
async function attempt(method: string, url: string, body?: unknown): Promise<{ status: number; body: any } | { error: string }> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20000),
    });
    return { status: res.status, body: parseAnswerBody(await res.text()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

function adminClient(databaseUrl: string): Client {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return new Client({ connectionString: url.toString() });
}

describe('a pooled connection cut while its transaction waits between statements', () => {
  it('fails the transaction with 503 instead of ending the process', async () => {
    const test = await openTestDatabase();
    const admin = adminClient(test.url);
    await admin.connect();
    try {
      const dbName = decodeURIComponent(new URL(test.url).pathname.slice(1));
      const outcome = await test.db
        .transaction(async (tx) => {
          await tx.query('SELECT 1');
          // Checked out and idle, as while a holder awaits Redis: pg's pool no longer listens for its
          // 'error' then, and an 'error' without a listener would end the process.
          expect(await cut(admin, dbName, true)).toBeGreaterThan(0);
          await tx.query('SELECT 1');
          return 'committed';
        })
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(ApiError);
      expect((outcome as ApiError).code).toBe(503);
      // The pool replaced the connection.
      expect(await test.db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await test.close();
    }
  }, 30000);
});

describe('Postgres connections cut under a running api-with-worker', () => {
  let server: TriggerServer;
  let admin: Client;
  let dbName: string;
  let rx: Receiver;
  const alive = () => {
    expect(server.output()).not.toMatch(/uncaught|unhandled/i);
  };

  beforeAll(async () => {
    rx = new Receiver();
    await rx.start();
    // The relay's poll is slow here: a move reaches it through its LISTEN session, which must come back.
    server = await startTriggerServer({ TRIGGER_RELAY_INTERVAL_MS: '60000', REGISTRY_NOTIFY_SECRET: SECRET, DB_POOL_SIZE: '8' });
    dbName = decodeURIComponent(new URL(server.databaseUrl).pathname.slice(1));
    admin = adminClient(server.databaseUrl);
    await admin.connect();
    expect((await call('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    await waitFor('both LISTEN sessions', async () => (await listenSessions(admin, dbName)) >= 2, 20000);
  }, 90000);

  afterAll(async () => {
    await admin?.end();
    await server?.close();
    rx?.close();
  });

  it('requests in flight get a Status, later ones succeed, nothing acknowledged is lost', async () => {
    // `after`: how many cuts had been made when the request was sent.
    const outcomes: { name: string; after: number; result: Awaited<ReturnType<typeof attempt>> }[] = [];
    let running = true;
    let n = 0;
    let cuts = 0;
    const writer = async (w: number) => {
      while (running) {
        const name = `cm-${w}-${n++}`;
        const after = cuts;
        outcomes.push({ name, after, result: await attempt('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name } }) });
      }
    };
    // Versions from here on are checked below (older ones may be compacted away).
    const from = (await call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`)).body.metadata.resourceVersion as string;
    const writers = [0, 1, 2, 3].map(writer);
    await waitFor('writes flowing', async () => outcomes.length > 10, 20000);
    for (let i = 1; i <= 5; i++) {
      // The sessions the last cut ended may still be exiting, and their replacements not yet open.
      await waitFor('sessions to cut', async () => (await sessions(admin, dbName)) > 0, 20000);
      expect(await cut(admin, dbName)).toBeGreaterThan(0);
      cuts = i;
      await waitFor('writes sent after the cut succeeding', async () => outcomes.some((o) => o.after === i && 'status' in o.result && o.result.status === 201), 20000);
    }
    running = false;
    await Promise.all(writers);

    const bad = outcomes.filter((o) => !('status' in o.result) || (o.result.status !== 201 && !(o.result.status >= 500 && o.result.body?.kind === 'Status')));
    expect(bad).toEqual([]);
    const failed = outcomes.filter((o) => 'status' in o.result && o.result.status !== 201);
    for (const f of failed) expect(f.result).toMatchObject({ status: 503, body: { kind: 'Status', reason: 'ServiceUnavailable' } });
    const acked = outcomes.filter((o) => 'status' in o.result && o.result.status === 201).map((o) => o.name);
    const list = await call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`);
    const stored = new Set((list.body.items as any[]).map((s) => s.metadata.name));
    expect(acked.filter((name) => !stored.has(name))).toEqual([]);
    console.log(`connection cuts: ${acked.length} writes acknowledged, ${failed.length} answered 503`);
    // Versions taken by the transactions that failed are released (NONE rows); one whose
    // allocation reply a cut lost (its transaction never learnt it) is closed by the change feed
    // after its grace period: no version below the newest stays missing.
    // (A session opened after the cuts: they would have cut it too.)
    const log = new Client({ connectionString: server.databaseUrl });
    await log.connect();
    try {
      const missing = async () =>
        (
          await log.query<{ rv: string }>(
            `SELECT g::text AS rv FROM generate_series($1::bigint + 1, (SELECT max(rv) FROM resource_changes)) AS g
              WHERE NOT EXISTS (SELECT 1 FROM resource_changes WHERE rv = g)`,
            [from],
          )
        ).rows.map((r) => r.rv);
      await pollUntil(missing, (rvs) => rvs.length === 0, GAP_GRACE_MS + 10000);
      expect(await missing()).toEqual([]);
    } finally {
      await log.end();
    }
    alive();
  }, 90000);

  it('the first requests after a cut succeed (the pool drops the dead connections)', async () => {
    // Fill the pool with idle connections, then cut them all; once their backends are gone, no request fails.
    await Promise.all(Array.from({ length: 8 }, () => call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams/app`)));
    expect(await cut(admin, dbName, true)).toBeGreaterThan(0);
    // One round trip through the api's event loop: the cut connections' last words (the FATAL
    // sent before their backends exited) have been read by then.
    expect((await attempt('GET', `${server.url}/livez`)) as { status?: number }).toMatchObject({ status: 200 });
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await attempt('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams/app`));
    expect(results.map((r) => ('status' in r ? r.status : r.error))).toEqual(Array(8).fill(200));
    alive();
  }, 60000);

  it('while no connection can be made: 503 Status everywhere, /readyz not ready; both recover once it can', async () => {
    // An outage window without touching the shared server: the test database refuses new
    // connections (as a server starting up or shutting down does) and its sessions are cut.
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    const ev = registryEvent({ repository: `${NS}/outage`, tag: 'v1', digest: digest('f') });
    try {
      await cut(admin, dbName, true);
      const ready = await attempt('GET', `${server.url}/readyz?verbose`);
      expect(ready).toMatchObject({ status: 500, body: expect.stringContaining('[-]postgres failed') });
      const unavailable = { status: 503, body: { kind: 'Status', reason: 'ServiceUnavailable', code: 503 } };
      expect(await attempt('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams/app`)).toMatchObject(unavailable);
      expect(await attempt('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreamtags/app:latest`)).toMatchObject(unavailable);
      expect(await attempt('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'during-outage' } })).toMatchObject(unavailable);
      // client-go retries a 503 only when Retry-After says when (kube-apiserver's ErrorNegotiated sets it).
      const direct = await fetch(`${server.url}${IMAGES}/namespaces/${NS}/imagestreams/app`);
      expect([direct.status, direct.headers.get('retry-after')]).toEqual([503, '1']);
      // A watch opened now ends with that Status as its ERROR event, not as an empty 200 stream.
      const watch = await fetch(`${server.url}${IMAGES}/namespaces/${NS}/imagestreams?watch=true&timeoutSeconds=5`);
      expect(watch.status).toBe(200);
      const events = (await watch.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: object });
      expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 }) }]);
      // The registry retries what was not acknowledged.
      expect(await postEnvelope(`${server.url}/registry/notifications`, SECRET, envelope(ev))).toMatchObject(unavailable);
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    }
    await waitFor('ready', async () => ((await attempt('GET', `${server.url}/readyz`)) as { status?: number }).status === 200, 20000);
    expect((await call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams/during-outage`)).status).toBe(404);
    // The retried notification is stored.
    expect((await postEnvelope(`${server.url}/registry/notifications`, SECRET, envelope(ev))).status).toBe(202);
    await waitFor('LISTEN sessions back', async () => (await listenSessions(admin, dbName)) >= 2, 20000);
    alive();
  }, 60000);

  it('/readyz is ready again after the cut', async () => {
    expect(await cut(admin, dbName)).toBeGreaterThan(0);
    await waitFor('ready', async () => (await attempt('GET', `${server.url}/readyz`) as { status?: number }).status === 200, 20000);
  }, 60000);

  it('the LISTEN sessions come back; a watch opened before the cut delivers later changes or ends so a re-watch misses nothing', async () => {
    const list = await call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`);
    let rv: string = list.body.metadata.resourceVersion;
    const seen = new Set<string>();
    const watchFrom = async (from: string, until: () => boolean) => {
      const ctrl = new AbortController();
      const res = await fetch(`${server.url}${IMAGES}/namespaces/${NS}/imagestreams?watch=1&resourceVersion=${from}&allowWatchBookmarks=true`, { signal: ctrl.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let buf = '';
      const done = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return 'ended';
            buf += Buffer.from(value).toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const ev = JSON.parse(buf.slice(0, nl));
              buf = buf.slice(nl + 1);
              if (ev.type === 'ERROR') return 'error';
              rv = ev.object.metadata.resourceVersion;
              if (ev.type === 'ADDED') seen.add(ev.object.metadata.name);
              if (until()) {
                ctrl.abort();
                return 'done';
              }
            }
          }
        } catch {
          return 'aborted';
        }
      })();
      return { done, close: () => ctrl.abort() };
    };
    const want = ['w-before', 'w-after-1', 'w-after-2'];
    const all = () => want.every((w) => seen.has(w));
    const first = await watchFrom(rv, all);
    expect((await call('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'w-before' } })).status).toBe(201);
    await waitFor('w-before seen', async () => seen.has('w-before'), 20000);
    expect(await cut(admin, dbName)).toBeGreaterThan(0);
    await waitFor('LISTEN sessions back', async () => (await listenSessions(admin, dbName)) >= 2, 20000);
    await waitFor('w-after-1 written', async () => ((await attempt('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'w-after-1' } })) as { status?: number }).status === 201, 20000);
    expect((await call('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'w-after-2' } })).status).toBe(201);
    const outcome = await Promise.race([first.done, waitFor('watch delivers', async () => all(), 20000).then(() => 'done').catch(() => 'timeout')]);
    first.close();
    if (outcome === 'timeout') throw new Error(`the watch opened before the cut neither delivered nor ended; seen ${[...seen].join(',')}`);
    if (!all()) {
      // It ended: a re-watch from its last resourceVersion misses nothing.
      const again = await watchFrom(rv, all);
      await waitFor('re-watch delivers', async () => all(), 20000);
      again.close();
    }
    // A watch opened after the cut sees changes.
    seen.clear();
    const after = await watchFrom(rv, () => seen.has('w-late'));
    expect((await call('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'w-late' } })).status).toBe(201);
    await waitFor('w-late seen', async () => seen.has('w-late'), 20000);
    after.close();
    alive();
  }, 60000);

  it('the ImageStreamTag read cache serves no stale view after the cut and recovers to hits', async () => {
    const istag = () => call('GET', `${server.url}${IMAGES}/namespaces/${NS}/imagestreamtags/app:latest`);
    await mapImage(server.url, NS, { stream: 'app', tag: 'latest', image: digest('1'), repository: 'quay.io/acme/app' });
    for (let i = 0; i < 3; i++) expect((await istag()).body.image.metadata.name).toBe(digest('1'));
    for (const [i, c] of ['2', '3', '4'].entries()) {
      expect(await cut(admin, dbName)).toBeGreaterThan(0);
      await waitFor(`move ${i} after the cut`, async () => {
        const res = await attempt('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreammappings`, {
          metadata: { name: 'app' },
          tag: 'latest',
          image: { metadata: { name: digest(c) }, dockerImageReference: `quay.io/acme/app@${digest(c)}` },
        });
        return 'status' in res && res.status === 201;
      }, 20000);
      const got = await istag();
      expect(got.status).toBe(200);
      expect(got.body.image.metadata.name).toBe(digest(c));
    }
    const hits = await metric(server.url, 'imagestreamd_istag_cache_reads_total', 'outcome="hit"');
    await waitFor('cache hits again', async () => {
      expect((await istag()).body.image.metadata.name).toBe(digest('4'));
      return (await metric(server.url, 'imagestreamd_istag_cache_reads_total', 'outcome="hit"')) > hits;
    }, 20000);
    alive();
  }, 60000);

  it('trigger deliveries resume: a move right before the cut and one after it both fire', async () => {
    expect((await call('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreams`, { metadata: { name: 'trg' } })).status).toBe(201);
    expect([201, 409]).toContain((await createSigningSecret(server.url, NS)).status);
    await createTrigger(server.url, NS, 'follow', triggerSpec('trg:latest', { kind: 'Webhook', name: 'follow' }, rx.url()));
    const delivered = (image: string) => rx.received.some((r) => JSON.stringify(r.json).includes(image));
    // Committed just before the cut.
    await mapImage(server.url, NS, { stream: 'trg', tag: 'latest', image: digest('a'), repository: 'quay.io/acme/trg' });
    expect(await cut(admin, dbName)).toBeGreaterThan(0);
    await waitFor('delivery of the move before the cut', async () => delivered(digest('a')), 30000);
    // After the cut (and again after another one).
    for (const c of ['b', 'c']) {
      expect(await cut(admin, dbName)).toBeGreaterThan(0);
      await waitFor(`move to ${c} after the cut`, async () => {
        const res = await attempt('POST', `${server.url}${IMAGES}/namespaces/${NS}/imagestreammappings`, {
          metadata: { name: 'trg' },
          tag: 'latest',
          image: { metadata: { name: digest(c) }, dockerImageReference: `quay.io/acme/trg@${digest(c)}` },
        });
        return 'status' in res && res.status === 201;
      }, 20000);
      await waitFor(`delivery of the move to ${c}`, async () => delivered(digest(c)), 30000);
    }
    alive();
  }, 90000);

  it('a registry notification POSTed right after the cut is stored or refused with a retryable 503', async () => {
    expect(await cut(admin, dbName)).toBeGreaterThan(0);
    const ev = registryEvent({ repository: `${NS}/reg`, tag: 'v1', digest: digest('e') });
    const res = await postEnvelope(`${server.url}/registry/notifications`, SECRET, envelope(ev));
    if (res.status !== 202) expect(res).toMatchObject({ status: 503, body: { kind: 'Status', code: 503 } });
    else {
      const c = new Client({ connectionString: server.databaseUrl });
      await c.connect();
      try {
        expect((await c.query(`SELECT count(*)::int AS n FROM registry_events WHERE repository = $1 AND tag = 'v1'`, [`${NS}/reg`])).rows[0].n).toBe(1);
      } finally {
        await c.end();
      }
    }
    alive();
  }, 60000);
});
