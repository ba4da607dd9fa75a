import { Client } from 'pg';
import { call } from '@app/testing';
import { waitFor } from './support/poll';
import { startTestApi, type TestApi } from './support/api-server';
import { failOnce } from './support/fail-once';

const NS = 'rerun';

/**
 * Database.transaction runs a write again after a deadlock or a version the change feed closed
 * (a write that held its version past the grace period). The store's update path rewrites the
 * object it is given; each run must start from the request, not from what the previous run made.
 */
describe('generic store: an update whose transaction runs twice', () => {
  let api: TestApi;
  let pg: Client;

  beforeAll(async () => {
    api = await startTestApi();
    pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await api?.close();
  });

  it('a spec tag generation 0 (a re-import asked for) still moves the generations when the first run fails', async () => {
    const streams = `${api.base}/namespaces/${NS}/imagestreams`;
    const created = await call('POST', streams, {
      metadata: { name: 'app' },
      spec: { tags: [{ name: 'v1', from: { kind: 'DockerImage', name: 'example.com/app:v1' }, reference: true }] },
    });
    expect(created.status).toBe(201);
    const stream = (await call('GET', `${streams}/app`)).body;
    const generation: number = stream.metadata.generation;
    expect(stream.spec.tags[0].generation).toBe(generation);
    stream.spec.tags[0].generation = 0;
    const failing = await failOnce(pg, 'stream_update', 'image_streams', 'UPDATE', `NEW.namespace = '${NS}' AND NEW.name = 'app'`);
    try {
      const updated = await call('PUT', `${streams}/app`, stream);
      expect(updated.status).toBe(200);
      expect(updated.body.metadata.generation).toBe(generation + 1);
      expect(updated.body.spec.tags[0].generation).toBe(generation + 1);
      // The first run failed at the row's update and the second one wrote it.
      expect(await failing.seen()).toBe(2);
    } finally {
      await failing.remove();
    }
  });

  it('a blind ImageStreamTag PUT run again after another write of its stream took the lock first still succeeds', async () => {
    const streams = `${api.base}/namespaces/${NS}/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'blind' }, spec: {} })).status).toBe(201);
    // The PUT's first run fails at the stream row's update after 2 s, holding the row lock meanwhile.
    const failing = await failOnce(pg, 'istag_put', 'image_streams', 'UPDATE', `NEW.namespace = '${NS}' AND NEW.name = 'blind'`, 2000);
    try {
      const put = call('PUT', `${api.base}/namespaces/${NS}/imagestreamtags/blind:v2`, {
        kind: 'ImageStreamTag',
        apiVersion: 'image.openshift.io/v1',
        metadata: { name: 'blind:v2', namespace: NS },
        tag: { name: 'v2', from: { kind: 'DockerImage', name: 'example.com/blind:v2' }, reference: true },
      });
      await waitFor('the first run at the row update', async () => (await failing.seen()) >= 1);
      // A label write of the same stream queues for the row lock: it commits before the PUT runs again.
      const labelled = call('PATCH', `${streams}/blind`, { metadata: { labels: { team: 'a' } } }, 'application/merge-patch+json');
      await waitFor('the label write waiting for the row lock', async () => {
        const { rows } = await pg.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
        return rows.length > 0;
      });
      expect((await labelled).status).toBe(200);
      // No resourceVersion was sent: the run again must not answer 409 with the one its first run read.
      const answer = await put;
      expect(answer.status).toBe(201);
      expect(await failing.seen()).toBe(3);
      const stream = (await call('GET', `${streams}/blind`)).body;
      expect(stream.metadata.labels).toEqual({ team: 'a' });
      expect(stream.spec.tags.map((t: { name: string }) => t.name)).toEqual(['v2']);
    } finally {
      await failing.remove();
    }
  });
});
