import { Client } from 'pg';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

describe('concurrent ImageStreamMappings into one tag', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ dbPoolSize: 20 });
  });
  afterAll(async () => api.close());

  it('100 parallel mappings → exactly 100 history entries in commit order, none lost', async () => {
    expect((await call('POST', `${api.base}/namespaces/race/imagestreams`, { metadata: { name: 'app' }, spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] } })).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call('POST', `${api.base}/namespaces/race/imagestreammappings`, {
          metadata: { name: 'app' },
          tag: 'v1',
          image: { metadata: { name: digest(i + 1) }, dockerImageReference: `quay.io/race/app@${digest(i + 1)}` },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(201));
    const stream = await call('GET', `${api.base}/namespaces/race/imagestreams/app`);
    const v1 = stream.body.status.tags.find((t: { tag: string }) => t.tag === 'v1');
    expect(v1.items).toHaveLength(100);
    expect(new Set(v1.items.map((i: { image: string }) => i.image)).size).toBe(100);
    // The alias followed every move, so it ends on the same image as v1.
    const latest = stream.body.status.tags.find((t: { tag: string }) => t.tag === 'latest');
    expect(latest.items[0].image).toBe(v1.items[0].image);
    // Commit order: rows were appended under the stream lock, so insertion order = commit order.
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    try {
      const rows = await pg.query<{ ordered: boolean }>(
        `SELECT bool_and(prev_at IS NULL OR prev_at <= recorded_at) AS ordered FROM (
           SELECT recorded_at, lag(recorded_at) OVER (ORDER BY id) AS prev_at
             FROM image_stream_tag_events WHERE tag = 'v1') s`,
      );
      expect(rows.rows[0]!.ordered).toBe(true);
      const changes = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM resource_changes WHERE resource = 'imagestreams' AND name = 'app'`);
      expect(Number(changes.rows[0]!.n)).toBe(101);
    } finally {
      await pg.end();
    }
  });

  it('more failing or dry-run writes at once than pooled connections: each gets its answer (no 503 from a starved pool)', async () => {
    // A rolled-back transaction hands its unused resourceVersions back; doing that through the
    // pool while every connection was held by such a transaction used to stall them all.
    const url = `${api.base}/namespaces/race/imagestreams`;
    const same = await Promise.all(Array.from({ length: 60 }, () => call('POST', url, { metadata: { name: 'contended' } })));
    expect(same.map((r) => r.status).sort()).toEqual([201, ...Array(59).fill(409)]);
    const dry = await Promise.all(Array.from({ length: 60 }, (_, i) => call('POST', `${url}?dryRun=All`, { metadata: { name: `dry-${i}` } })));
    expect(dry.map((r) => r.status)).toEqual(Array(60).fill(201));
  });

  it('repeating a mapping is a no-op (idempotent)', async () => {
    const body = { metadata: { name: 'app' }, tag: 'v2', image: { metadata: { name: digest(500) }, dockerImageReference: `quay.io/race/app@${digest(500)}` } };
    expect((await call('POST', `${api.base}/namespaces/race/imagestreammappings`, body)).status).toBe(201);
    const before = await call('GET', `${api.base}/namespaces/race/imagestreams/app`);
    expect((await call('POST', `${api.base}/namespaces/race/imagestreammappings`, body)).status).toBe(201);
    const after = await call('GET', `${api.base}/namespaces/race/imagestreams/app`);
    expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
  });
});

describe('tag-change feed', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('records every move to another image, with the previous image, in the same transaction', async () => {
    await call('POST', `${api.base}/namespaces/feed/imagestreams`, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] },
    });
    const map = (n: number) =>
      call('POST', `${api.base}/namespaces/feed/imagestreammappings`, {
        metadata: { name: 'app' },
        tag: 'v1',
        image: { metadata: { name: digest(n) }, dockerImageReference: `quay.io/feed/app@${digest(n)}` },
      });
    await map(1);
    await map(2);
    await map(2); // no move
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    try {
      const rows = await pg.query(`SELECT tag, previous_image, image, cause FROM tag_changes ORDER BY id`);
      expect(rows.rows).toEqual([
        { tag: 'v1', previous_image: null, image: digest(1), cause: 'mapping' },
        { tag: 'latest', previous_image: null, image: digest(1), cause: 'alias' },
        { tag: 'v1', previous_image: digest(1), image: digest(2), cause: 'mapping' },
        { tag: 'latest', previous_image: digest(1), image: digest(2), cause: 'alias' },
      ]);
    } finally {
      await pg.end();
    }
  });
});
