import { Client } from 'pg';
import { call } from '@app/testing';
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
});
