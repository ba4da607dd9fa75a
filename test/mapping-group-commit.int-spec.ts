import { Client } from 'pg';
import { call, type HttpAnswer } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

/**
 * Concurrent ImageStreamMappings share transactions (OneTripGroupCommit). The api here allows one
 * group in flight; the test holds that group at a stream lock taken by a client of its own, queues
 * mappings behind it one by one (the waiting gauge says when each has joined), and lets go: the
 * queued mappings then commit as one group, and each must get the answer and the effect it would
 * have had alone.
 */
describe('ImageStreamMappings committed in groups', () => {
  let api: TestApi;
  let pg: Client;
  let holder: Client;
  beforeAll(async () => {
    api = await startTestApi({ dbPoolSize: 20, mappingGroupConcurrency: 1, mappingGroupMax: 50 });
    pg = new Client({ connectionString: api.databaseUrl });
    holder = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    await holder.connect();
    for (const name of ['held', 'a', 'b', 'aliased', 'poisoned']) {
      const spec = name === 'aliased' ? { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] } : {};
      expect((await call('POST', `${api.base}/namespaces/grp/imagestreams`, { metadata: { name }, spec })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await holder.end();
    await pg.end();
    await api.close();
  });

  const map = (stream: string, tag: string, n: number) =>
    call('POST', `${api.base}/namespaces/grp/imagestreammappings`, {
      metadata: { name: stream },
      tag,
      image: { metadata: { name: digest(n) }, dockerImageReference: `quay.io/grp/${stream}@${digest(n)}` },
    });

  async function metric(name: string): Promise<number> {
    const text = (await call<string>('GET', `${api.url}/metrics`)).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    if (!line) throw new Error(`no ${name} in /metrics`);
    return Number(line.split(' ')[1]);
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /**
   * Sends `held` (a mapping into the stream the holder has locked), waits until it blocks, then
   * sends each of `queued` and waits until it waits for a group; releases the lock and returns
   * every answer (held's first).
   */
  async function asOneGroup(queued: (() => Promise<HttpAnswer>)[], held: () => Promise<HttpAnswer>): Promise<HttpAnswer[]> {
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM image_streams WHERE namespace = 'grp' AND name = 'held' FOR UPDATE`);
    const answers: Promise<HttpAnswer>[] = [held()];
    await until(async () => {
      const rows = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return rows.rows[0]!.n === 1;
    }, 'the first mapping to wait for the stream lock');
    for (const [i, send] of queued.entries()) {
      answers.push(send());
      await until(async () => (await metric('imagestreamd_mappings_waiting_for_group')) === i + 1, `mapping ${i + 1} to queue`);
    }
    await holder.query('COMMIT');
    return Promise.all(answers);
  }

  async function history(stream: string, tag: string): Promise<string[]> {
    const body = (await call('GET', `${api.base}/namespaces/grp/imagestreams/${stream}`)).body;
    const status = (body.status.tags ?? []).find((t: { tag: string }) => t.tag === tag);
    return (status?.items ?? []).map((i: { image: string }) => i.image);
  }

  it('gives each mapping of a group its own answer and effect: streams interleaved, a missing stream, aliases, repeats', async () => {
    const groupsBefore = await metric('imagestreamd_mapping_group_size_count');
    const sumBefore = await metric('imagestreamd_mapping_group_size_sum');
    const answers = await asOneGroup(
      [
        () => map('b', 'v1', 11),
        () => map('a', 'v1', 12),
        () => map('b', 'v1', 13),
        () => map('missing', 'v1', 14),
        () => map('aliased', 'v1', 15),
        () => map('a', 'v1', 12), // the same image again: no new entry
        () => map('a', 'v2', 16),
        () => map('b', 'v1', 17),
      ],
      () => map('held', 'v1', 10),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 404, 201, 201, 201, 201]);
    expect(answers[4]!.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      details: { name: 'missing', group: 'image.openshift.io', kind: 'imagestreammappings' },
    });
    // The lone held mapping, then one group of the eight queued ones.
    expect((await metric('imagestreamd_mapping_group_size_count')) - groupsBefore).toBe(2);
    expect((await metric('imagestreamd_mapping_group_size_sum')) - sumBefore).toBe(9);

    // Mappings of one stream applied in arrival order (newest first in the history).
    expect(await history('b', 'v1')).toEqual([digest(17), digest(13), digest(11)]);
    expect(await history('a', 'v1')).toEqual([digest(12)]);
    expect(await history('a', 'v2')).toEqual([digest(16)]);
    expect(await history('held', 'v1')).toEqual([digest(10)]);
    // The aliased stream declined the one-trip statement and took the general path: latest followed.
    expect(await history('aliased', 'v1')).toEqual([digest(15)]);
    expect(await history('aliased', 'latest')).toEqual([digest(15)]);
    expect((await call('GET', `${api.base}/namespaces/grp/imagestreams/missing`)).status).toBe(404);
    expect((await call('GET', `${api.base}/images/${digest(14)}`)).status).toBe(404);

    // Every write has its own resourceVersion and change-log row, each image before its stream.
    const changes = await pg.query<{ resource: string; name: string; type: string }>(
      `SELECT resource, name, type FROM resource_changes
        WHERE type <> 'NONE' AND (resource = 'images' AND name = ANY($1) OR resource = 'imagestreams' AND namespace = 'grp' AND name = ANY($2) AND type <> 'ADDED')
        ORDER BY rv`,
      [[11, 12, 13, 16, 17].map(digest), ['a', 'b']],
    );
    const order = changes.rows.map((c) => `${c.resource === 'images' ? `#${parseInt(c.name.slice(7), 16)}` : c.name}:${c.type}`);
    // The group runs in lock order: stream a's mappings (12, the repeat, 16), then b's (11, 13, 17).
    expect(order).toEqual(['#12:ADDED', 'a:MODIFIED', '#16:ADDED', 'a:MODIFIED', '#11:ADDED', 'b:MODIFIED', '#13:ADDED', 'b:MODIFIED', '#17:ADDED', 'b:MODIFIED']);
  });

  it('when the shared transaction fails, runs each mapping alone, so only the faulty one fails', async () => {
    // A fault Postgres raises for one mapping only: a row trigger on the tag history.
    await pg.query(`CREATE FUNCTION grp_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.tag = 'poison' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`);
    await pg.query(`CREATE TRIGGER grp_poison BEFORE INSERT ON image_stream_tag_events FOR EACH ROW EXECUTE FUNCTION grp_poison()`);
    try {
      const retriedBefore = await metric('imagestreamd_mapping_groups_retried_alone_total');
      const answers = await asOneGroup([() => map('a', 'v3', 21), () => map('poisoned', 'poison', 22), () => map('b', 'v3', 23)], () => map('held', 'v1', 20));
      expect(answers.map((a) => a.status)).toEqual([201, 201, 500, 201]);
      expect(answers[2]!.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
      expect((await metric('imagestreamd_mapping_groups_retried_alone_total')) - retriedBefore).toBe(1);
      expect(await history('a', 'v3')).toEqual([digest(21)]);
      expect(await history('b', 'v3')).toEqual([digest(23)]);
      // Nothing of the failed mapping was written: no image, no history, no version.
      expect(await history('poisoned', 'poison')).toEqual([]);
      expect((await call('GET', `${api.base}/images/${digest(22)}`)).status).toBe(404);
    } finally {
      await pg.query(`DROP TRIGGER grp_poison ON image_stream_tag_events; DROP FUNCTION grp_poison()`);
    }
  });
});
