import { Client } from 'pg';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

/**
 * A mapping into a stream without aliases runs as one statement (one round trip); a stream that
 * may have aliases of the tag takes the general path. Both must write the same rows.
 */
describe('ImageStreamMapping in one round trip', () => {
  let api: TestApi;
  let pg: Client;
  beforeAll(async () => {
    api = await startTestApi({ dbPoolSize: 20 });
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });
  afterAll(async () => {
    await pg.end();
    await api.close();
  });

  const map = (stream: string, tag: string, n: number, ref = `quay.io/ot/app@${digest(n)}`, labels?: Record<string, string>) =>
    call('POST', `${api.base}/namespaces/ot/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(n), ...(labels ? { labels } : {}) }, dockerImageReference: ref },
    });

  /** What a stream's mappings wrote, with digest n written as `#<n - offset>`. */
  async function written(stream: string, offset: number) {
    const norm = (v: unknown) =>
      JSON.parse(JSON.stringify(v).replace(/sha256:([0-9a-f]{64})/g, (_, hex: string) => `#${parseInt(hex, 16) - offset}`).replaceAll(`"${stream}"`, '"S"'));
    const [{ uid }] = (await pg.query<{ uid: string }>(`SELECT uid::text AS uid FROM image_streams WHERE namespace = 'ot' AND name = $1`, [stream])).rows as [{ uid: string }];
    const events = await pg.query(
      `SELECT tag, docker_image_reference, image, generation::int AS generation, created FROM image_stream_tag_events WHERE stream_uid = $1 AND tag IN ('v1', 'v2') ORDER BY id`,
      [uid],
    );
    const feed = await pg.query(`SELECT tag, previous_image, image, docker_image_reference, cause FROM tag_changes WHERE stream_uid = $1 AND tag IN ('v1', 'v2') ORDER BY id`, [uid]);
    const images = await pg.query(`SELECT name FROM images WHERE name = ANY($1::text[]) ORDER BY name`, [Array.from({ length: 10 }, (_, i) => digest(offset + i))]);
    const changes = await pg.query<{ rv: string; resource: string; type: string; labels: unknown; prev_labels: unknown; object: { metadata: { resourceVersion?: string } } | null; snapshot_mark: string | null; max_event: string | null }>(
      `SELECT rv::text AS rv, resource, type, labels, prev_labels, object, snapshot_mark::text AS snapshot_mark,
              (SELECT max(id)::text FROM image_stream_tag_events e WHERE e.stream_uid = $3::uuid AND e.tag IN ('v1', 'v2') AND e.id <= COALESCE(c.snapshot_mark, 0)) AS max_event
         FROM resource_changes c
        WHERE (resource = 'imagestreams' AND namespace = 'ot' AND name = $1) OR (resource = 'images' AND name = ANY($2::text[]))
        ORDER BY c.rv`,
      [stream, Array.from({ length: 10 }, (_, i) => digest(offset + i)), uid],
    );
    return {
      events: norm(events.rows.map((r) => ({ ...r, created: undefined }))),
      feed: norm(feed.rows),
      images: norm(images.rows),
      // Versions differ between the streams; their order and the snapshot marks' reach (how
      // many of the stream's events each change presents) must not.
      changes: norm(
        changes.rows.map((c) => ({
          resource: c.resource,
          type: c.type,
          labels: c.labels,
          prevLabels: c.prev_labels,
          object: c.object && { ...c.object, metadata: { ...c.object.metadata, uid: undefined, creationTimestamp: undefined, resourceVersion: undefined, managedFields: undefined } },
          marked: c.snapshot_mark !== null,
        })),
      ),
      eventCount: events.rows.length,
      marks: changes.rows.filter((c) => c.snapshot_mark !== null).map((c) => c.max_event),
      eventIds: (await pg.query<{ id: string }>(`SELECT e.id::text AS id FROM image_stream_tag_events e WHERE e.stream_uid = $1 AND e.tag IN ('v1', 'v2') ORDER BY e.id`, [uid])).rows.map((r) => r.id),
    };
  }

  async function sequence(stream: string, offset: number): Promise<number[]> {
    const statuses: number[] = [];
    for (const [tag, n, ref, labels] of [
      ['v1', 1, undefined, { team: 'a' }], // new image, new tag
      ['v1', 1, undefined, undefined], // same image and reference: nothing
      ['v1', 1, `quay.io/ot/other@${digest(offset + 1)}`, undefined], // same image, new reference: updated in place
      ['v1', 2, undefined, undefined], // another new image: a new entry
      ['v1', 1, undefined, undefined], // back to an existing image: a new entry, no image written
      ['v2', 2, undefined, undefined], // existing image onto another tag
    ] as [string, number, string | undefined, Record<string, string> | undefined][]) {
      statuses.push((await map(stream, tag, offset + n, ref ?? `quay.io/ot/app@${digest(offset + n)}`, labels)).status);
    }
    return statuses;
  }

  it('writes what the general path writes: history, feed, images, change log and snapshot marks', async () => {
    const url = `${api.base}/namespaces/ot/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 'fast', labels: { app: 'x' } } })).status).toBe(201);
    // Spec tags from another stream's v1 and v2 are no aliases, but the one-trip statement does
    // not tell them from ones and declines: this stream takes the general path.
    expect((await call('POST', url, { metadata: { name: 'elsewhere' } })).status).toBe(201);
    expect((await map('elsewhere', 'v1', 3001)).status).toBe(201);
    expect((await map('elsewhere', 'v2', 3002)).status).toBe(201);
    const others = [1, 2].map((i) => ({ name: `other${i}`, from: { kind: 'ImageStreamTag', name: `elsewhere:v${i}` } }));
    expect((await call('POST', url, { metadata: { name: 'general', labels: { app: 'x' } }, spec: { tags: others } })).status).toBe(201);
    expect(await sequence('fast', 1000)).toEqual(Array(6).fill(201));
    expect(await sequence('general', 2000)).toEqual(Array(6).fill(201));
    const fast = await written('fast', 1000);
    const general = await written('general', 2000);
    expect(fast.events).toEqual(general.events);
    expect(fast.feed).toEqual(general.feed);
    expect(fast.images).toEqual(general.images);
    // The general stream's body differs by its spec tags; compare the rest of each change.
    const strip = (cs: { object: { spec?: unknown; status?: unknown } | null }[]) => cs.map((c) => ({ ...c, object: c.object && { ...c.object, spec: undefined, status: undefined } }));
    expect(strip(fast.changes)).toEqual(strip(general.changes));
    expect(fast.changes.map((c: { resource: string; type: string }) => `${c.resource} ${c.type}`)).toEqual([
      'imagestreams ADDED',
      'images ADDED',
      'imagestreams MODIFIED',
      'imagestreams MODIFIED',
      'images ADDED',
      'imagestreams MODIFIED',
      'imagestreams MODIFIED',
      'imagestreams MODIFIED',
    ]);
    expect(fast.eventCount).toBe(4);
    // Each stream change's snapshot mark reaches exactly the v1/v2 events written up to it (none
    // at its creation; the in-place update adds none).
    const expectedMarks = (ids: string[]) => [null, ids[0], ids[0], ids[1], ids[2], ids[3]];
    expect(fast.marks).toEqual(expectedMarks(fast.eventIds));
    expect(general.marks).toEqual(expectedMarks(general.eventIds));
  });

  it('concurrent mappings into one tag of a stream without aliases: every one recorded, in commit order', async () => {
    expect((await call('POST', `${api.base}/namespaces/ot/imagestreams`, { metadata: { name: 'race' } })).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => map('race', 'v1', 5000 + i)));
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(201));
    const stream = await call('GET', `${api.base}/namespaces/ot/imagestreams/race`);
    const v1 = stream.body.status.tags.find((t: { tag: string }) => t.tag === 'v1');
    expect(v1.items).toHaveLength(60);
    const rows = await pg.query<{ ordered: boolean; moves: string; changes: string }>(
      `SELECT (SELECT bool_and(prev_at IS NULL OR prev_at <= recorded_at) FROM (
                 SELECT e.recorded_at, lag(e.recorded_at) OVER (ORDER BY e.id) AS prev_at
                   FROM image_stream_tag_events e JOIN image_streams s ON s.uid = e.stream_uid WHERE s.name = 'race') o) AS ordered,
              (SELECT count(*)::text FROM tag_changes WHERE stream = 'race' AND previous_image IS DISTINCT FROM image) AS moves,
              (SELECT count(*)::text FROM resource_changes WHERE resource = 'imagestreams' AND namespace = 'ot' AND name = 'race' AND type = 'MODIFIED') AS changes`,
    );
    expect(rows.rows[0]).toEqual({ ordered: true, moves: '60', changes: '60' });
  });

  it('a missing stream is 404 and writes nothing', async () => {
    const before = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM resource_changes`);
    const r = await map('nowhere', 'v1', 9000);
    expect(r.status).toBe(404);
    const after = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM resource_changes`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect((await pg.query(`SELECT 1 FROM images WHERE name = $1`, [digest(9000)])).rows).toHaveLength(0);
  });
});
