import { Client } from 'pg';
import { call } from '@app/testing';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  createTrigger,
  digest,
  findCondition,
  getTrigger,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
  waitForCondition,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/**
 * Every evaluation of a trigger's current spec is observed in its status (observedGeneration and
 * conditions), fire or not; preview applies the same older-image rule as the real push.
 */
describe('trigger status and preview rules', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const img = () => `${server.url}/apis/image.openshift.io/v1/namespaces/demo`;
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;

  const map = (tag: string, image: string) => mapImage(server.url, 'demo', { stream: 'app', tag, image, repository: 'quay.io/demo/app' });
  const create = async (name: string, from: string, paused = false) => {
    const created = await createTrigger(server.url, 'demo', name, { ...triggerSpec(from, { kind: 'Webhook', name }, rx.url(`/${name}`)), paused });
    return created.metadata.generation as number;
  };
  const setPaused = async (name: string, paused: boolean) => {
    const res = await call('PATCH', `${trg()}/triggers/${name}`, { spec: { paused } }, 'application/merge-patch+json');
    expect(res.status).toBe(200);
    return res.body.metadata.generation as number;
  };
  /** The trigger once its status has observed `generation` (or as it is after the deadline). */
  const observed = (name: string, generation: number) =>
    pollUntil(() => getTrigger(server.url, 'demo', name), (t) => t.status?.observedGeneration === generation);

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer();
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
    expect((await call('POST', `${img()}/imagestreams`, { metadata: { name: 'app' } })).status).toBe(201);
    await map('latest', digest('a'));
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('a trigger on a tag with no image observes its spec and says it waits for an image', async () => {
    const gen = await create('empty', 'app:none');
    const t = await observed('empty', gen);
    expect(t.status.observedGeneration).toBe(1);
    expect(findCondition(t, 'WaitingForImage')).toMatchObject({ status: 'True', reason: 'TagHasNoImage' });
  });

  it('a paused trigger observes its spec and says it is paused', async () => {
    const gen = await create('held', 'app:latest', true);
    const t = await observed('held', gen);
    expect(t.status.observedGeneration).toBe(1);
    expect(findCondition(t, 'Paused')).toMatchObject({ status: 'True', reason: 'Paused' });
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
    expect(findCondition(paused, 'Paused')).toMatchObject({ status: 'True' });

    const unpausedGen = await setPaused('steady', false);
    const unpaused = await observed('steady', unpausedGen);
    expect(unpaused.status.observedGeneration).toBe(3);
    expect(findCondition(unpaused, 'Paused')).toMatchObject({ status: 'False', reason: 'Unpaused' });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/steady')).toHaveLength(1);
  });

  it('conditions are metav1.Conditions: each names the generation it was set from, and /status writes are held to apimachinery rules', async () => {
    const gen = await create('cond', 'app:latest');
    await rx.waitFor('/cond', 1);
    const fired = await observed('cond', gen);
    for (const c of fired.status.conditions) {
      expect(Object.keys(c).sort()).toEqual(['lastTransitionTime', 'message', 'observedGeneration', 'reason', 'status', 'type']);
      expect(c).toMatchObject({ observedGeneration: 1, lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), reason: expect.stringMatching(/^[A-Za-z]\w*$/) });
    }
    // A spec change is observed by every condition the next evaluation leaves standing: the fire's
    // Triggered is still the controller's view at generation 2 (its lastTransitionTime stays), and a
    // condition older than metadata.generation would read as out of date (kubectl wait keeps waiting).
    const pausedGen = await setPaused('cond', true);
    const paused = await observed('cond', pausedGen);
    expect(findCondition(paused, 'Paused')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(findCondition(paused, 'Triggered')).toMatchObject({ status: 'True', observedGeneration: 2, lastTransitionTime: findCondition(fired, 'Triggered')?.lastTransitionTime });

    const status = `${trg()}/triggers/cond/status`;
    const write = (conditions: unknown[]) => call('PUT', status, { ...paused, status: { ...paused.status, conditions } });
    const valid = { type: 'Reviewed', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'LooksGood', message: '' };
    const refused = await write([
      { type: 'Reviewed', status: 'True' },
      { ...valid, type: 'Other', reason: 'not a reason', observedGeneration: -1 },
      { ...valid, type: 'Other', status: 'Maybe' },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body.details.causes.map((c: { field: string; reason: string }) => `${c.reason} ${c.field}`)).toEqual([
      'FieldValueRequired status.conditions[0].lastTransitionTime',
      'FieldValueRequired status.conditions[0].reason',
      'FieldValueInvalid status.conditions[1].observedGeneration',
      'FieldValueInvalid status.conditions[1].reason',
      'FieldValueDuplicate status.conditions[2].type',
      'FieldValueNotSupported status.conditions[2].status',
    ]);
    expect((await getTrigger(server.url, 'demo', 'cond')).status.conditions).toEqual(paused.status.conditions);
    const accepted = await write([...paused.status.conditions, valid]);
    expect(accepted.status).toBe(200);
    expect(findCondition(accepted.body, 'Reviewed')).toEqual(valid);

    // OpenAPI publishes the fields metav1.Condition requires.
    const openapi = await call('GET', `${server.url}/openapi/v3/apis/triggers.imagestreamd.io/v1`);
    const schema = openapi.body.components.schemas['io.imagestreamd.triggers.v1.TriggerCondition'];
    expect([...schema.required].sort()).toEqual(['lastTransitionTime', 'message', 'reason', 'status', 'type']);
    expect(schema.properties.observedGeneration).toMatchObject({ type: 'integer', format: 'int64' });
  });

  it("preview of a registry's first push to a stream that does not exist yet lists the triggers following it", async () => {
    await create('fresh', 'fresh:latest');
    await observed('fresh', 1);
    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'fresh:latest' }, spec: { image: digest('c') } });
    expect(preview.status).toBe(201);
    expect(preview.body.status.streamFound).toBe(false);
    const entry = (preview.body.status.triggers as any[]).find((t) => t.name === 'fresh');
    expect(entry).toMatchObject({ wouldFire: true, tag: 'latest' });
    expect(entry.event.data).toMatchObject({ stream: 'fresh', tag: 'latest', new: { digest: digest('c') } });
    // Nothing was created by the preview.
    expect((await call('GET', `${img()}/imagestreams/fresh`)).status).toBe(404);
  });

  it('after an explicit rollback, a push of the newer image again is a new fire with its own webhook-id, as preview says', async () => {
    await map('cyc', digest('a'));
    await create('cyc', 'app:cyc');
    await rx.waitFor('/cyc', 1);
    await map('cyc', digest('b'));
    await rx.waitFor('/cyc', 2);
    const back = await call('PATCH', `${img()}/imagestreamtags/app:cyc`, { tag: { from: { kind: 'ImageStreamImage', name: `app@${digest('a')}` } } }, 'application/merge-patch+json');
    expect(back.status).toBe(201); // a new spec tag on a pushed tag
    const rolledBack = await rx.waitFor('/cyc', 3);
    expect(rolledBack[2]!.json.data).toMatchObject({ reason: 'ExplicitRollback', new: { digest: digest('a') } });

    const preview = await call('POST', `${trg()}/pushpreviews`, { metadata: { name: 'app:cyc' }, spec: { image: digest('b') } });
    const entry = (preview.body.status.triggers as any[]).find((t) => t.name === 'cyc');
    expect(entry).toMatchObject({ wouldFire: true, reason: 'ImageChanged' });
    await map('cyc', digest('b'));
    const got = await rx.waitFor('/cyc', 4);
    expect(got[3]!.json.data).toMatchObject({ reason: 'ImageChanged', new: { digest: digest('b') } });
    expect(got[3]!.headers['webhook-id']).toBe(entry.event.id);
    expect(got[3]!.headers['webhook-id']).not.toBe(got[1]!.headers['webhook-id']);
    const t = await getTrigger(server.url, 'demo', 'cyc');
    expect(t.status.lastTriggeredImageID).toBe(digest('b'));
  });

  it("an unpause fires once for the newest image, and its data.old is what the dependent last got, not the tag's previous image", async () => {
    await map('skip', digest('a'));
    await create('skip', 'app:skip');
    await rx.waitFor('/skip', 1);
    await setPaused('skip', true);
    await map('skip', digest('b'));
    await map('skip', digest('c'));
    await setPaused('skip', false);
    const got = await rx.waitFor('/skip', 2);
    expect(got[1]!.json.data).toMatchObject({ old: { digest: digest('a'), pullSpec: `quay.io/demo/app@${digest('a')}` }, new: { digest: digest('c') } });
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.at('/skip')).toHaveLength(2);
  });

  it('the older-image rule still holds once the tag-change feed has expired the first pushes (the tag history decides)', async () => {
    await map('aged', digest('1'));
    await map('aged', digest('2'));
    await create('aged', 'app:aged');
    await rx.waitFor('/aged', 1);
    await map('aged', digest('3'));
    await rx.waitFor('/aged', 2);
    // What feed retention does (TRIGGER_FEED_RETENTION_SECONDS): the relayed moves are gone.
    const pg = new Client({ connectionString: server.databaseUrl });
    await pg.connect();
    try {
      await pg.query(`DELETE FROM tag_changes WHERE namespace = 'demo' AND stream = 'app' AND tag = 'aged'`);
    } finally {
      await pg.end();
    }
    await map('aged', digest('1'));
    expect(await waitForCondition(server.url, 'demo', 'aged', 'OlderImageIgnored')).toMatchObject({ status: 'True' });
    expect(rx.at('/aged')).toHaveLength(2);
    expect((await getTrigger(server.url, 'demo', 'aged')).status.lastTriggeredImageID).toBe(digest('3'));
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
    expect(await waitForCondition(server.url, 'demo', 'rel', 'OlderImageIgnored')).toMatchObject({ status: 'True' });
    expect(rx.at('/rel')).toHaveLength(2);
  });
});
