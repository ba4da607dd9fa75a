import { randomBytes } from 'node:crypto';
import { call, createTestDatabase } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { Receiver } from './support/webhook-receiver';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const G = '/apis/triggers.imagestreamd.io/v1';

/**
 * Every evaluation of a trigger's current spec is observed in its status (observedGeneration and
 * conditions), fire or not; preview applies the same older-image rule as the real push.
 */
describe('trigger status and preview rules', () => {
  let api: ApiProcess;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const rx = new Receiver();
  const img = () => `${api.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const trg = () => `${api.url}${G}/namespaces/demo`;

  const map = async (tag: string, image: string) => {
    const res = await call('POST', `${img()}/imagestreammappings`, {
      metadata: { name: 'app' },
      tag,
      image: { metadata: { name: image }, dockerImageReference: `quay.io/demo/app@${image}` },
    });
    expect(res.status).toBe(201);
  };
  const create = async (name: string, from: string, paused = false) => {
    const res = await call('POST', `${trg()}/triggers`, {
      metadata: { name },
      spec: { from: { kind: 'ImageStreamTag', name: from }, target: { kind: 'Webhook', name }, delivery: { url: rx.url(`/${name}`), secretRef: { name: 'hook-key' } }, paused },
    });
    expect(res.status).toBe(201);
    return res.body.metadata.generation as number;
  };
  const setPaused = async (name: string, paused: boolean) => {
    const res = await call('PATCH', `${trg()}/triggers/${name}`, { spec: { paused } }, 'application/merge-patch+json');
    expect(res.status).toBe(200);
    return res.body.metadata.generation as number;
  };
  /** The trigger once its status has observed `generation` (or as it is after the deadline). */
  const observed = async (name: string, generation: number, ms = 10000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const t = (await call('GET', `${trg()}/triggers/${name}`)).body;
      if (t.status?.observedGeneration === generation || Date.now() > deadline) return t;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const condition = (t: any, type: string) => t.status?.conditions?.find((c: any) => c.type === type);

  beforeAll(async () => {
    await rx.start();
    db = await createTestDatabase();
    api = await startApiProcess(
      {
        DATABASE_URL: db.url,
        TRIGGER_ALLOWED_CIDRS: '127.0.0.1',
        TRIGGER_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
        TRIGGER_RELAY_INTERVAL_MS: '10',
      },
      ['--with-worker'],
    );
    expect((await call('POST', `${trg()}/triggersecrets`, { metadata: { name: 'hook-key' }, data: { key: `whsec_${randomBytes(32).toString('base64')}` } })).status).toBe(201);
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    await map('latest', digest('a'));
  }, 90000);
  afterAll(async () => {
    await api?.stop();
    rx.close();
    await db?.drop();
  });

  it('a trigger on a tag with no image observes its spec and says it waits for an image', async () => {
    const gen = await create('empty', 'app:none');
    const t = await observed('empty', gen);
    expect(t.status.observedGeneration).toBe(1);
    expect(condition(t, 'WaitingForImage')).toMatchObject({ status: 'True', reason: 'TagHasNoImage' });
  });

  it('a paused trigger observes its spec and says it is paused', async () => {
    const gen = await create('held', 'app:latest', true);
    const t = await observed('held', gen);
    expect(t.status.observedGeneration).toBe(1);
    expect(condition(t, 'Paused')).toMatchObject({ status: 'True', reason: 'Paused' });
    expect(t.status.lastTriggeredImageID).toBeUndefined();
    expect(rx.at('/held')).toHaveLength(0);
  });

  it('pause and unpause without an image change are observed, and nothing fires', async () => {
    const gen = await create('steady', 'app:latest');
    await rx.waitFor('/steady', 1);
    expect((await observed('steady', gen)).status.lastTriggeredImageID).toBe(digest('a'));

    const pausedGen = await setPaused('steady', true);
    expect(pausedGen).toBe(2);
    const paused = await observed('steady', pausedGen);
    expect(paused.status.observedGeneration).toBe(2);
    expect(condition(paused, 'Paused')).toMatchObject({ status: 'True' });

    const unpausedGen = await setPaused('steady', false);
    const unpaused = await observed('steady', unpausedGen);
    expect(unpaused.status.observedGeneration).toBe(3);
    expect(condition(unpaused, 'Paused')).toMatchObject({ status: 'False', reason: 'Unpaused' });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/steady')).toHaveLength(1);
  });

  it('preview applies the older-image rule: a re-push of an older image would not fire, and does not', async () => {
    await map('rel', digest('a'));
    await create('rel', 'app:rel');
    await rx.waitFor('/rel', 1);
    await map('rel', digest('b'));
    await rx.waitFor('/rel', 2);
    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:rel' }, spec: { image: digest('a') } });
    expect(preview.status).toBe(201);
    const entry = (preview.body.status.triggers as any[]).find((t) => t.name === 'rel');
    expect(entry).toMatchObject({ wouldFire: false, reason: 'OlderImageIgnored' });
    expect(entry.event).toBeUndefined();

    await map('rel', digest('a'));
    const deadline = Date.now() + 10000;
    let t: any;
    do {
      t = (await call('GET', `${trg()}/triggers/rel`)).body;
      if (condition(t, 'OlderImageIgnored')) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(condition(t, 'OlderImageIgnored')).toMatchObject({ status: 'True' });
    expect(rx.at('/rel')).toHaveLength(2);
  });
});
