import { call } from '@app/testing';
import { Client } from 'pg';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  createSigningSecret,
  createTrigger,
  digest,
  findCondition,
  getTrigger,
  listDeliveries,
  mapImage,
  triggerSpec,
  waitForCondition,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

/** A promise and the function that settles it: holds a receiver's answer until the test says so. */
function gate(): { held: Promise<void>; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  return { held, release };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a POST the receiver holds lasts before it fails as a timeout. */
const DELIVERY_TIMEOUT_MS = 5000;

/**
 * A Trigger's conditions follow the newest event, in delivery order (creation order of its
 * Deliveries) and evaluation order, not the order in which outcomes happen to be recorded: an
 * older delivery whose answer comes late, or an older image the tag no longer holds, must not
 * show over a newer one.
 */
describe('trigger conditions follow the newest delivery and the newest evaluation', () => {
  let server: TriggerServer;
  const rx = new Receiver();

  const map = (stream: string, image: string) => mapImage(server.url, 'demo', { stream, tag: 'v1', image, repository: `quay.io/acme/${stream}` });
  const deliveriesOf = (name: string) => listDeliveries(server.url, 'demo', name);
  /** A trigger `name` following `<name>:v1` whose stream holds image `a`; waits for its first delivery (A) to reach the receiver. */
  const firstFire = async (name: string) => {
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name } })).status).toBe(201);
    await map(name, digest('a'));
    await createTrigger(server.url, 'demo', name, triggerSpec(`${name}:v1`, { kind: 'Build', name }, rx.url(`/${name}`)));
    await rx.waitFor(`/${name}`, 1);
  };
  /**
   * Moves the tag to image `b` (delivery B) and waits until B has its outcome; returns [A, B].
   * One owner's POSTs go one at a time, so B is sent only once A's held POST ends at the delivery
   * timeout: the wait allows that timeout plus a loaded machine's slack.
   */
  const secondFireSettles = async (name: string) => {
    await map(name, digest('b'));
    await rx.waitFor(`/${name}`, 2, DELIVERY_TIMEOUT_MS + 15000);
    const ds = await pollUntil(() => deliveriesOf(name), (x) => x.length === 2 && x[1].status.state !== 'pending');
    return ds;
  };
  /** Waits until delivery A (the older one) has its outcome, then long enough for any status write that follows it. */
  const olderSettles = async (name: string, state: string) => {
    const ds = await pollUntil(() => deliveriesOf(name), (x) => x[0]?.status.state === state);
    expect(ds[0].status.state).toBe(state);
    await sleep(1500);
  };

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_BACKOFF_BASE_MS: '100', TRIGGER_BACKOFF_MAX_MS: '300', TRIGGER_ATTEMPT_BUDGET: '3', TRIGGER_DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS) });
    expect((await createSigningSecret(server.url, 'demo')).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('two deliveries die, the older one last: DeadLettered names the newer one and keeps its transition time', async () => {
    const a = gate();
    // A's first answer (a 500) waits; B is rejected at once; A's retries fail until its budget (3) is spent.
    rx.answer('/both', { status: 500, after: a.held }, 404, 500, 500);
    await firstFire('both');
    const [, newer] = await secondFireSettles('both');
    expect(newer.status.state).toBe('dead');
    const before = await waitForCondition(server.url, 'demo', 'both', 'DeadLettered', (c) => c?.status === 'True');
    expect(before.message).toContain(newer.metadata.name);

    a.release();
    await rx.waitFor('/both', 4);
    await olderSettles('both', 'dead');
    const after = findCondition(await getTrigger(server.url, 'demo', 'both'), 'DeadLettered');
    expect(after).toMatchObject({ status: 'True', reason: 'ReceiverRejected', lastTransitionTime: before.lastTransitionTime });
    expect(after.message).toContain(newer.metadata.name);
    expect(after.message).toContain('404');
  });

  it('an older delivery that dies after a newer one was delivered does not set DeadLettered', async () => {
    const a = gate();
    rx.answer('/late', { status: 400, after: a.held }, 200);
    await firstFire('late');
    const [, newer] = await secondFireSettles('late');
    expect(newer.status.state).toBe('delivered');

    a.release();
    await olderSettles('late', 'dead');
    expect(findCondition(await getTrigger(server.url, 'demo', 'late'), 'DeadLettered')).toBeUndefined();
  });

  it('an older delivery that succeeds after a newer one died does not clear DeadLettered', async () => {
    const a = gate();
    rx.answer('/undo', { status: 200, after: a.held }, 400);
    await firstFire('undo');
    const [, newer] = await secondFireSettles('undo');
    expect(newer.status.state).toBe('dead');
    const before = await waitForCondition(server.url, 'demo', 'undo', 'DeadLettered', (c) => c?.status === 'True');

    a.release();
    await olderSettles('undo', 'delivered');
    const after = findCondition(await getTrigger(server.url, 'demo', 'undo'), 'DeadLettered');
    expect(after).toMatchObject({ status: 'True', lastTransitionTime: before.lastTransitionTime });
    expect(after.message).toContain(newer.metadata.name);
  });

  it('an older delivery answered 410 after a newer one was: DeadLettered and EndpointDisabled keep naming the newer one', async () => {
    const a = gate();
    // A's retry is normally not sent (the endpoint is disabled when it is claimed); one claimed while
    // B's 410 was being recorded is sent and hears 410 too. Either way A ends dead, and named nowhere.
    rx.answer('/gone', { status: 410, after: a.held }, 410, 410);
    await firstFire('gone');
    const [, newer] = await secondFireSettles('gone');
    expect(newer.status).toMatchObject({ state: 'dead', lastStatusCode: 410 });
    const disabled = await waitForCondition(server.url, 'demo', 'gone', 'EndpointDisabled', (c) => c?.status === 'True');
    expect(disabled.message).toContain(newer.metadata.name);

    a.release();
    await olderSettles('gone', 'dead');
    const t = await getTrigger(server.url, 'demo', 'gone');
    expect(findCondition(t, 'EndpointDisabled')).toMatchObject({ status: 'True', reason: 'ReceiverGone', lastTransitionTime: disabled.lastTransitionTime });
    expect(findCondition(t, 'EndpointDisabled').message).toContain(newer.metadata.name);
    expect(findCondition(t, 'DeadLettered')).toMatchObject({ status: 'True', reason: 'ReceiverGone' });
    expect(findCondition(t, 'DeadLettered').message).toContain(newer.metadata.name);
  });

  it('a newer delivery that succeeds clears DeadLettered (False, naming it)', async () => {
    rx.answer('/heal', 400, 200);
    await firstFire('heal');
    const dead = await waitForCondition(server.url, 'demo', 'heal', 'DeadLettered', (c) => c?.status === 'True');
    const [, newer] = await secondFireSettles('heal');
    expect(newer.status.state).toBe('delivered');
    const cleared = await waitForCondition(server.url, 'demo', 'heal', 'DeadLettered', (c) => c?.status === 'False');
    expect(cleared).toMatchObject({ status: 'False', reason: 'Delivered' });
    expect(cleared.message).toContain(newer.metadata.name);
    expect(cleared.lastTransitionTime >= dead.lastTransitionTime).toBe(true);
  });

  it('an older delivery dying while a newer one is recorded as delivered in its batch: DeadLettered ends False, naming the newer one', async () => {
    const a = gate();
    const b = gate();
    // A is rejected (dead at once); B, sent by the batch path, succeeds.
    rx.answer('/race', { status: 400, after: a.held }, { status: 200, after: b.held });
    await firstFire('race');
    await map('race', digest('b'));
    // One owner's fires go one at a time (owner-send-order.ts): B is POSTed once A is answered.
    await rx.waitFor('/race', 1);
    // Widen the window between A's check for a newer finished delivery and its commit: its status
    // write waits (holding the trigger's row) for an advisory lock this test holds until B's batch
    // has committed and read the condition. (A 2 s pg_sleep was too short on a loaded machine.)
    const pg = new Client({ connectionString: server.databaseUrl });
    await pg.connect();
    try {
      await pg.query(`CREATE FUNCTION test_slow_dead_letter() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN
                        IF NEW.name = 'race' AND NEW.body->'status'->'conditions' @> '[{"type":"DeadLettered","status":"True"}]'::jsonb
                           AND NOT coalesce(OLD.body->'status'->'conditions' @> '[{"type":"DeadLettered","status":"True"}]'::jsonb, false) THEN
                          PERFORM pg_advisory_xact_lock(4242);
                        END IF;
                        RETURN NEW;
                      END $$`);
      await pg.query(`CREATE TRIGGER test_slow_dead_letter BEFORE UPDATE ON triggers FOR EACH ROW EXECUTE FUNCTION test_slow_dead_letter()`);
      await pg.query(`SELECT pg_advisory_lock(4242)`);
      const waitingOnTheTest = async (): Promise<number> => (await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`)).rows[0].n;
      a.release();
      await pollUntil(
        waitingOnTheTest,
        (n) => n === 1,
      );
      await rx.waitFor('/race', 2);
      b.release();
      const ds = await pollUntil(() => deliveriesOf('race'), (x) => x[1]?.status.state === 'delivered');
      // A's status write is still waiting: B was recorded in between.
      expect(await waitingOnTheTest()).toBe(1);
      await pg.query(`SELECT pg_advisory_unlock(4242)`);
      await pollUntil(
        waitingOnTheTest,
        (n) => n === 0,
      );
      await sleep(1500);
      const c = findCondition(await getTrigger(server.url, 'demo', 'race'), 'DeadLettered');
      expect(c).toMatchObject({ status: 'False', reason: 'Delivered' });
      expect(c.message).toContain(ds[1].metadata.name);
    } finally {
      await pg.query('DROP TRIGGER IF EXISTS test_slow_dead_letter ON triggers');
      await pg.end();
    }
  });

  it('OlderImageIgnored turns False when a later evaluation finds the tag back at the image last triggered', async () => {
    await firstFire('rewind');
    await map('rewind', digest('b'));
    await rx.waitFor('/rewind', 2);
    await map('rewind', digest('a'));
    const ignored = await waitForCondition(server.url, 'demo', 'rewind', 'OlderImageIgnored', (c) => c?.status === 'True');
    expect(ignored.message).toContain(digest('a'));

    // The newest move puts the tag back at b, the image the trigger last got: nothing older is ignored any more.
    await map('rewind', digest('b'));
    const now = await waitForCondition(server.url, 'demo', 'rewind', 'OlderImageIgnored', (c) => c?.status === 'False');
    expect(now).toMatchObject({ status: 'False', reason: 'UpToDate' });
    expect(now.message).not.toContain(digest('a'));
    expect(now.lastTransitionTime >= ignored.lastTransitionTime).toBe(true);
    expect(rx.at('/rewind')).toHaveLength(2);
  });

  it('re-pushes of older images in quick succession: OlderImageIgnored names the one the tag holds last', async () => {
    expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'burst' } })).status).toBe(201);
    for (const c of ['1', '2', '3', '4']) await map('burst', digest(c));
    await createTrigger(server.url, 'demo', 'burst', triggerSpec('burst:v1', { kind: 'Build', name: 'burst' }, rx.url('/burst')));
    await rx.waitFor('/burst', 1);
    // Not awaited one by one: their evaluations may overlap, and the newest move must win.
    await Promise.all([map('burst', digest('1')), map('burst', digest('2'))]);
    await map('burst', digest('3'));
    const c = await waitForCondition(server.url, 'demo', 'burst', 'OlderImageIgnored', (x) => x?.status === 'True' && x.message.includes(digest('3')));
    expect(c.message).toContain(digest('3'));
    await sleep(1000);
    expect(findCondition(await getTrigger(server.url, 'demo', 'burst'), 'OlderImageIgnored').message).toContain(digest('3'));
    expect(rx.at('/burst')).toHaveLength(1);
  });
});
