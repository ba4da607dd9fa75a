import { call } from '@app/testing';
import { Client } from 'pg';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { digest, listDeliveries, mapImage } from './support/trigger-resources';

const B = digest('b');

/**
 * An annotated workload's reconcile reads each followed tag in a statement of its own. A tag move
 * in flight on a followed stream (a push moving a tag and its alias in one transaction) must not
 * commit between those reads: the reconcile would set only the container of the tag read after
 * the commit, and the alias's job would update the workload a second time for the one push. Here
 * the move is held open by hand (stream row locked, both tags' history entries written, as a
 * mapping does), the workload is created meanwhile, and the move commits only once its reconcile
 * is waiting: the workload must get both images in one update.
 */
describe('workload reconcile and a tag move in flight', () => {
  let server: TriggerServer;
  let pg: Client;
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const deploy = () => `${server.url}/apis/apps/v1/namespaces/demo/deployments`;

  beforeAll(async () => {
    server = await startTriggerServer();
    pg = new Client({ connectionString: server.databaseUrl });
    await pg.connect();
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'base' } })).status).toBe(201);
    const web = await call('POST', `${img()}/imagestreams`, {
      metadata: { name: 'web' },
      spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: '1.0' } }] },
    });
    expect(web.status).toBe(201);
    // The image exists (recorded through another stream); `web` has no history yet.
    await mapImage(server.url, 'demo', { stream: 'base', tag: 'latest', image: B, repository: 'quay.io/demo/base' });
  }, 90000);
  afterAll(async () => {
    await pg?.end();
    await server?.close();
  });

  it('waits for the move and applies both tags in one update', async () => {
    await pg.query('BEGIN');
    const [row] = (await pg.query<{ uid: string }>(`SELECT uid FROM image_streams WHERE namespace = 'demo' AND name = 'web' FOR UPDATE`)).rows;
    for (const tag of ['1.0', 'latest']) {
      await pg.query(
        `INSERT INTO image_stream_tag_events (stream_uid, tag, created, docker_image_reference, image, generation) VALUES ($1, $2, now(), $3, $4, 1)`,
        [row!.uid, tag, `quay.io/demo/web@${B}`, B],
      );
    }
    const created = await call('POST', deploy(), {
      metadata: {
        name: 'web',
        annotations: {
          'image.openshift.io/triggers': JSON.stringify([
            { from: { kind: 'ImageStreamTag', name: 'web:latest' }, fieldPath: 'spec.template.spec.containers[0].image' },
            { from: { kind: 'ImageStreamTag', name: 'web:1.0' }, fieldPath: 'spec.template.spec.containers[1].image' },
          ]),
        },
      },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] } },
      },
    });
    expect(created.status).toBe(201);
    // The workload's reconcile queues behind the move's stream lock (before the fix it read both
    // tags at once, found no image and finished; the commit then fired nothing, as no tag_changes
    // row is written here: the waiting reconcile is the only one that can apply the images).
    const observer = new Client({ connectionString: server.databaseUrl });
    await observer.connect();
    try {
      await pollUntil(
        async () => (await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`)).rows[0]!.n,
        (n) => n > 0,
        5000,
      );
    } finally {
      await observer.end();
    }
    await pg.query('COMMIT');
    const images = async () => ((await call('GET', `${deploy()}/web`)).body.spec.template.spec.containers as { image: string }[]).map((c) => c.image);
    await pollUntil(images, (i) => i.every((x) => x.endsWith(B)));
    await new Promise((r) => setTimeout(r, 800));
    const stored = (await call('GET', `${deploy()}/web`)).body;
    expect(stored.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([`quay.io/demo/web@${B}`, `quay.io/demo/web@${B}`]);
    expect(stored.metadata.generation).toBe(created.body.metadata.generation + 1);
    const records = await listDeliveries(server.url, 'demo', 'web');
    expect(records).toHaveLength(1);
    expect(records[0].spec.event.data.changes.map((c: { tag: string }) => c.tag)).toEqual(['latest', '1.0']);
  });
});
