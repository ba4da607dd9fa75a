import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { parseFieldSelector, parseLabelSelector } from '@app/api-machinery';
import type { Database } from '@app/persistence';
import { loadTriggerConfig } from '@app/config';
import { MaintenanceProcessor, TagChangeFeedHandler } from '@app/triggers';
import { pollUntil } from './support/poll';
import { type OpenTestDatabase, openTestDatabase } from './support/test-database';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * The pull feed of tag moves (tagchangeevents) against real Postgres: items in commit order,
 * paging with limit + continue never skips, and a row that commits late with a lower id is not
 * jumped over by a cursor.
 */
describe('tag change feed', () => {
  let testDb: OpenTestDatabase;
  let db: Database;
  let feed: TagChangeFeedHandler;
  const streamUid = randomUUID();

  const insertSql = `INSERT INTO tag_changes (namespace, stream, stream_uid, tag, previous_image, image, docker_image_reference, cause)
                     VALUES ('feed', 'web', $1, 'latest', NULL, $2, $3, 'mapping') RETURNING id::text AS id`;
  const move = async (n: number) => (await db.query<{ id: string }>(insertSql, [streamUid, digest(n), `quay.io/demo/web@${digest(n)}`]))[0]!.id;
  const list = (limit?: number, continueToken?: string) =>
    feed.list({ namespace: 'feed', labelSelector: [], fieldSelector: [], ...(limit ? { limit } : {}), ...(continueToken ? { continueToken } : {}) });
  const names = (r: { items: object[] }) => r.items.map((i) => (i as { metadata: { name: string } }).metadata.name);

  /** Every item from `cursor` on, `limit` at a time, following `continue`. */
  const pageAll = async (limit: number, cursor?: string) => {
    const seen: string[] = [];
    let token = cursor;
    for (let pages = 0; pages < 100; pages++) {
      const page = await list(limit, token);
      seen.push(...names(page));
      if (!page.metadata.continue) return { seen, resourceVersion: page.metadata.resourceVersion! };
      token = page.metadata.continue;
    }
    throw new Error('paging did not end');
  };

  beforeAll(async () => {
    testDb = await openTestDatabase();
    db = testDb.db;
    feed = new TagChangeFeedHandler(db);
  });
  afterAll(async () => {
    await testDb?.close();
  });

  it('pages 22 moves in commit order with limit + continue, skipping none', async () => {
    const ids: string[] = [];
    for (let n = 1; n <= 22; n++) ids.push(await move(n));

    const whole = await list();
    expect(names(whole)).toEqual(ids);
    expect(whole.metadata.resourceVersion).toBe(ids[21]);
    expect(whole.metadata.continue).toBeUndefined();

    const paged = await pageAll(3);
    expect(paged.seen).toEqual(ids);
    expect(paged.resourceVersion).toBe(ids[21]);
  });

  it('refuses a cursor the feed never handed out (it would skip every move up to it)', async () => {
    const newest = await move(100);
    await expect(list(10, String(BigInt(newest) + 1000n))).rejects.toMatchObject({ code: 400, message: expect.stringContaining('ahead of the feed') });
    await expect(list(10, newest)).resolves.toMatchObject({ items: [] });
  });

  it('does not move a cursor past a row that commits late with a lower id', async () => {
    const before = (await list()).metadata.resourceVersion!;
    const slow = new Client({ connectionString: testDb.url });
    await slow.connect();
    try {
      // The slow writer takes its id first and commits last.
      await slow.query('BEGIN');
      const lateId = (await slow.query<{ id: string }>(insertSql, [streamUid, digest(100), `quay.io/demo/web@${digest(100)}`])).rows[0]!.id;
      const laterId = await move(101);
      expect(BigInt(laterId)).toBeGreaterThan(BigInt(lateId));

      const during = await new TagChangeFeedHandler(db, 200, 100).list({ namespace: 'feed', labelSelector: [], fieldSelector: [], continueToken: before });
      expect(names(during)).toEqual([]);
      expect(during.metadata.resourceVersion).toBe(before);

      await slow.query('COMMIT');
      const after = await list(100, before);
      expect(names(after)).toEqual([lateId, laterId]);
      expect(after.metadata.resourceVersion).toBe(laterId);
    } finally {
      await slow.end();
    }
  });

  it('a list holds every move committed before it: it waits for an older writer still open, briefly', async () => {
    const before = (await list()).metadata.resourceVersion!;
    const slow = new Client({ connectionString: testDb.url });
    await slow.connect();
    try {
      // A writer of another move began before this client's move and is still open: the horizon
      // (rows recorded before it began) stops short of the client's move, already acknowledged.
      await slow.query('BEGIN');
      const lateId = (await slow.query<{ id: string }>(insertSql, [streamUid, digest(110), `quay.io/demo/web@${digest(110)}`])).rows[0]!.id;
      const mine = await move(111);
      const committed = new Promise((r) => setTimeout(r, 300)).then(() => slow.query('COMMIT'));
      const started = Date.now();
      const after = await list(100, before);
      await committed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(names(after)).toEqual([lateId, mine]);
      expect(after.metadata.resourceVersion).toBe(mine);
    } finally {
      await slow.end();
    }
  });

  it('a writer that stays open past the wait still holds later moves back (a cursor never skips one)', async () => {
    const before = (await list()).metadata.resourceVersion!;
    const slow = new Client({ connectionString: testDb.url });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(insertSql, [streamUid, digest(120), `quay.io/demo/web@${digest(120)}`]);
      await move(121);
      const started = Date.now();
      const during = await new TagChangeFeedHandler(db, 200, 200).list({ namespace: 'feed', labelSelector: [], fieldSelector: [], continueToken: before });
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(names(during)).toEqual([]);
      expect(during.metadata.resourceVersion).toBe(before);
    } finally {
      await slow.query('ROLLBACK');
      await slow.end();
    }
  });

  it('a rolled-back id does not hold the feed back', async () => {
    const before = (await list()).metadata.resourceVersion!;
    const aborted = new Client({ connectionString: testDb.url });
    await aborted.connect();
    try {
      await aborted.query('BEGIN');
      await aborted.query(insertSql, [streamUid, digest(200), `quay.io/demo/web@${digest(200)}`]);
      await aborted.query('ROLLBACK');
    } finally {
      await aborted.end();
    }
    const next = await move(201);
    expect(names(await list(100, before))).toEqual([next]);
  });

  it('selectors apply: metadata.name picks one move; items have no labels, so a label selector keeps all or none', async () => {
    const id = await move(400);
    const select = (labelSelector: string, fieldSelector: string) =>
      feed.list({ namespace: 'feed', labelSelector: parseLabelSelector(labelSelector), fieldSelector: parseFieldSelector(fieldSelector, ['metadata.name', 'metadata.namespace']) });
    expect(names(await select('', `metadata.name=${id}`))).toEqual([id]);
    expect(names(await select('', `metadata.name!=${id}`))).not.toContain(id);
    expect(names(await select('team=a', ''))).toEqual([]);
    expect(names(await select('team!=a', ''))).toContain(id);
  });

  it('a watch sends each later move once, and bookmarks at the interval even while idle', async () => {
    const start = (await list()).metadata.resourceVersion!;
    const watcher = new TagChangeFeedHandler(db, 20);
    const events: { type: string; object: any }[] = [];
    const abort = new AbortController();
    const done = watcher.watchItself({ namespace: 'feed', labelSelector: [], fieldSelector: [], resourceVersion: start, allowWatchBookmarks: true, bookmarkIntervalMs: 100, signal: abort.signal }, (e) => events.push(e));
    const ids = [await move(300), await move(301)];
    // Idle after the moves: wait for two bookmarks at the last move (a fixed wait was too short on a loaded machine).
    const bookmarksAtLast = () => events.filter((e) => e.type === 'BOOKMARK' && e.object.metadata.resourceVersion === ids[1]).length;
    await pollUntil(async () => bookmarksAtLast(), (n) => n >= 2);
    abort.abort();
    await done;
    expect(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toEqual(ids);
    const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThanOrEqual(2);
    expect(bookmarks[bookmarks.length - 1]!.object.metadata.resourceVersion).toBe(ids[1]);
  });

  it('a watch without a resourceVersion (or with "0") first sends every retained move, then later ones', async () => {
    const retained = names(await list(1000));
    expect(retained.length).toBeGreaterThan(0);
    const watcher = new TagChangeFeedHandler(db, 20);
    for (const resourceVersion of [undefined, '0']) {
      const events: { type: string; object: any }[] = [];
      const abort = new AbortController();
      const done = watcher.watchItself(
        { namespace: 'feed', labelSelector: [], fieldSelector: [], ...(resourceVersion ? { resourceVersion } : {}), allowWatchBookmarks: false, bookmarkIntervalMs: 60_000, signal: abort.signal },
        (e) => events.push(e),
      );
      const added = () => events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name as string);
      await pollUntil(async () => added().length, (n) => n >= retained.length);
      const later = await move(resourceVersion ? 401 : 400);
      await pollUntil(async () => added(), (seen) => seen.includes(later));
      abort.abort();
      await done;
      expect(added()).toEqual([...retained, later]);
      retained.push(later);
    }
  });

  it('a watch from a position the feed has not reached waits for it briefly, then ends with a 504 Too large resource version; one it reaches meanwhile is served', async () => {
    const newest = (await list()).metadata.resourceVersion!;
    const watch = (resourceVersion: string, abort = new AbortController()) => {
      const events: { type: string; object: any }[] = [];
      const done = new TagChangeFeedHandler(db, 20, 300).watchItself(
        { namespace: 'feed', labelSelector: [], fieldSelector: [], resourceVersion, allowWatchBookmarks: false, bookmarkIntervalMs: 60_000, signal: abort.signal },
        (e) => events.push(e),
      );
      return { events, done, abort };
    };
    const far = watch(String(BigInt(newest) + 1000n));
    await far.done;
    expect(far.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({
          code: 504,
          reason: 'Timeout',
          message: `Too large resource version: ${BigInt(newest) + 1000n}, current: ${newest}`,
          details: expect.objectContaining({ causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] }),
        }),
      },
    ]);
    // The next id, handed out while the watch waits, is reached: the watch goes on from it.
    const next = watch(String(BigInt(newest) + 1n));
    const reached = await move(700);
    const after = await move(701);
    await pollUntil(async () => next.events.map((e) => e.object.metadata?.name), (seen) => seen.includes(after));
    next.abort.abort();
    await next.done;
    expect(reached).toBe(String(BigInt(newest) + 1n));
    expect(next.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual([`ADDED ${after}`]);
  });

  it('the retention job keeps 7 days by default and TRIGGER_FEED_RETENTION_SECONDS when set; a list or watch from a pruned cursor gets 410 Expired', async () => {
    const before = (await list()).metadata.resourceVersion!;
    const [a, b] = [await move(600), await move(601)];
    // Everything up to b was relayed two hours ago; c is new.
    await db.query(`UPDATE tag_changes SET relayed = true, recorded_at = now() - interval '2 hours' WHERE id <= $1`, [b]);
    const c = await move(602);
    await db.query(`UPDATE tag_changes SET relayed = true WHERE id = $1`, [c]);
    const prune = (env: Record<string, string>) => new MaintenanceProcessor(db, loadTriggerConfig(env)).process();
    await prune({});
    expect(names(await list(1000, before))).toEqual([a, b, c]);
    await prune({ TRIGGER_FEED_RETENTION_SECONDS: '3600' });
    expect(names(await list(1000))).toEqual([c]);
    expect(names(await list(1000, b))).toEqual([c]);
    await expect(list(10, before)).rejects.toMatchObject({ code: 410, reason: 'Expired' });
    const events: { type: string; object: any }[] = [];
    await new TagChangeFeedHandler(db, 20).watchItself(
      { namespace: 'feed', labelSelector: [], fieldSelector: [], resourceVersion: before, allowWatchBookmarks: false, bookmarkIntervalMs: 60_000, signal: new AbortController().signal },
      (e) => events.push(e),
    );
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 }) }]);
  });

  // Last: it prunes the feed as the retention job does.
  it('a cursor older than the retained feed gets 410, also once retention has emptied the feed', async () => {
    const behind = (await list()).metadata.resourceVersion!;
    const [gone, kept, newest] = [await move(499), await move(500), await move(501)];
    await db.query(`DELETE FROM tag_changes WHERE id < $1`, [kept]);
    // `behind` never got `gone`; a consumer that did missed nothing.
    await expect(list(10, behind)).rejects.toMatchObject({ code: 410 });
    expect(names(await list(10, gone))).toEqual([kept, newest]);
    // Nothing retained: a consumer still at `gone` missed both moves; one at `newest` missed nothing.
    await db.query(`DELETE FROM tag_changes`);
    await expect(list(10, gone)).rejects.toMatchObject({ code: 410, message: expect.stringContaining(`moves after it up to ${newest} have expired`) });
    await expect(list(10, newest)).resolves.toMatchObject({ items: [] });
  });
});
