import { randomBytes } from 'node:crypto';
import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { verifiesSignature } from './support/standard-webhooks';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import {
  comparableEvent,
  createSigningSecret,
  digest,
  findCondition,
  getTrigger,
  listDeliveries,
  mapImage,
  TRIGGERS_API,
  triggerSpec,
} from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const OLD_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

describe('image change triggers end to end (api + worker process, Postgres, Redis, HTTP receivers)', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const base = () => `${server.url}/apis/image.openshift.io/v1`;
  const trg = (ns: string) => `${server.url}${TRIGGERS_API}/namespaces/${ns}`;

  const map = (ns: string, stream: string, tag: string, image: string) =>
    mapImage(server.url, ns, { stream, tag, image, repository: `quay.io/acme/${stream}` });
  const trigger = (name: string, from: string, path: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: { ...triggerSpec(from, { kind: 'Build', name: `${name}-build` }, rx.url(path)), ...extra },
  });

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({
      TRIGGER_BACKOFF_BASE_MS: '100',
      TRIGGER_BACKOFF_MAX_MS: '300',
      TRIGGER_ATTEMPT_BUDGET: '3',
      // No receiver here hangs; the tests count requests exactly, so a receiver (in this busy
      // process) answering late must not be timed out and sent the delivery again.
      TRIGGER_DELIVERY_TIMEOUT_MS: '15000',
    });
    for (const ns of ['demo', 'other']) {
      await call('POST', `${base()}/namespaces/${ns}/imagestreams`, { metadata: { name: 'app' } });
      const s = await createSigningSecret(server.url, ns, { key: SECRET, previousKey: OLD_SECRET });
      expect(s.status).toBe(201);
    }
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('serves discovery for the trigger group and never returns secret data', async () => {
    const disc = await call('GET', `${server.url}${TRIGGERS_API}`);
    expect(disc.body.resources.find((r: any) => r.name === 'triggers')).toMatchObject({ kind: 'Trigger', namespaced: true, shortNames: ['trg'] });
    const s = await call('GET', `${trg('demo')}/triggersecrets/hook-key`);
    expect(s.body.data).toBeUndefined();
    expect(s.body.dataKeys).toEqual(['key', 'previousKey']);
    expect(JSON.stringify(s.body)).not.toContain(SECRET.slice(6, 20));
    const list = await call('GET', `${trg('demo')}/triggersecrets`);
    expect(JSON.stringify(list.body)).not.toContain(SECRET.slice(6, 20));
  });

  it('rejects invalid triggers with field paths', async () => {
    const res = await call('POST', `${trg('demo')}/triggers`, {
      metadata: { name: 'bad' },
      spec: { from: { kind: 'DockerImage', name: 'nocolon' }, target: { kind: 'Pod' }, delivery: { url: 'ftp://x' } },
    });
    expect(res.status).toBe(422);
    const fields = res.body.details.causes.map((c: any) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.from.kind', 'spec.from.name', 'spec.target.kind', 'spec.target.name', 'spec.delivery.url']));
  });

  it('fires on first sight of an existing image, signed (two signatures during rotation), status recorded', async () => {
    await map('demo', 'app', 'latest', digest('a'));
    const created = await call('POST', `${trg('demo')}/triggers`, { ...trigger('first', 'app:latest', '/first'), status: { lastTriggeredImageID: 'ignored' } });
    expect(created.status).toBe(201);
    expect(created.body.status).toEqual({});
    const [got] = await rx.waitFor('/first', 1);
    expect(verifiesSignature(SECRET, got!.headers, got!.body)).toBe(true);
    expect(verifiesSignature(OLD_SECRET, got!.headers, got!.body)).toBe(true);
    expect(verifiesSignature('whsec_' + randomBytes(24).toString('base64'), got!.headers, got!.body)).toBe(false);
    expect(got!.headers['content-type']).toContain('application/cloudevents+json');
    expect(got!.json).toMatchObject({
      specversion: '1.0',
      id: got!.headers['webhook-id'],
      type: 'io.imagestreamd.trigger.image-changed.v1',
      subject: 'demo/app:latest',
      data: { namespace: 'demo', stream: 'app', tag: 'latest', new: { digest: digest('a') }, trigger: { name: 'first' } },
    });
    const t = await pollUntil(() => getTrigger(server.url, 'demo', 'first'), (x) => Boolean(x.status?.lastTriggeredImageID), 5000);
    expect(t.status).toMatchObject({ lastTriggeredImageID: digest('a'), observedGeneration: 1 });
  });

  it('preview equals what a real mapping then delivers, and has no side effect', async () => {
    const preview = await call('POST', `${trg('demo')}/pushpreviews`, { metadata: { name: 'app:latest' }, spec: { image: digest('b') } });
    expect(preview.status).toBe(201);
    const entry = preview.body.status.triggers.find((t: any) => t.name === 'first');
    expect(entry.wouldFire).toBe(true);
    const before = (await call('GET', `${trg('demo')}/deliveries`)).body.items.length;
    expect(before).toBe(1);
    await map('demo', 'app', 'latest', digest('b'));
    const got = await rx.waitFor('/first', 2);
    const real = got[1]!.json;
    expect(comparableEvent(real)).toEqual(comparableEvent(entry.event));
  });

  it('pause holds fires; unpause fires for the image that arrived meanwhile', async () => {
    const cur = await getTrigger(server.url, 'demo', 'first');
    const paused = await call('PATCH', `${trg('demo')}/triggers/first`, { spec: { paused: true } }, 'application/merge-patch+json');
    expect(paused.status).toBe(200);
    expect(paused.body.metadata.generation).toBe(cur.metadata.generation + 1);
    await map('demo', 'app', 'latest', digest('c'));
    await new Promise((r) => setTimeout(r, 800));
    expect(rx.at('/first')).toHaveLength(2);
    await call('PATCH', `${trg('demo')}/triggers/first`, { spec: { paused: false } }, 'application/merge-patch+json');
    const got = await rx.waitFor('/first', 3);
    expect(got[2]!.json.data.new.digest).toBe(digest('c'));
  });

  it('never moves a dependent back on a re-push of an older image; an explicit rollback does', async () => {
    await map('demo', 'app', 'latest', digest('a'));
    await new Promise((r) => setTimeout(r, 800));
    expect(rx.at('/first')).toHaveLength(3);
    const t = await getTrigger(server.url, 'demo', 'first');
    expect(findCondition(t, 'OlderImageIgnored')).toMatchObject({ status: 'True' });
  });

  it('cross-namespace from: a trigger in "other" follows demo/app:latest', async () => {
    const res = await call('POST', `${trg('other')}/triggers`, trigger('cross', 'app:latest', '/cross', { from: { kind: 'ImageStreamTag', name: 'app:latest', namespace: 'demo' } }));
    expect(res.status).toBe(201);
    const [first] = await rx.waitFor('/cross', 1);
    expect(first!.json.data.namespace).toBe('demo');
    await map('demo', 'app', 'latest', digest('d'));
    const got = await rx.waitFor('/cross', 2);
    expect(got[1]!.json.data.new.digest).toBe(digest('d'));
    // The move fires "first" (demo, same tag) as well: wait for that delivery too, or it may reach
    // the receiver only once a later test has set it failing, and become a dead letter there.
    const firsts = await rx.waitFor('/first', 4);
    expect(firsts[3]!.json.data.new.digest).toBe(digest('d'));
  });

  it('receiver 500s → backoff → dead letter → redrive succeeds with the same webhook-id', async () => {
    rx.mode = 'fail';
    try {
      await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name: 'flaky' } });
      await map('demo', 'flaky', 'v1', digest('e'));
      await call('POST', `${trg('demo')}/triggers`, trigger('flaky', 'flaky:v1', '/flaky'));
      const failed = await rx.waitFor('/flaky', 3);
      const ids = new Set(failed.map((f) => f.headers['webhook-id']));
      expect(ids.size).toBe(1);
      const d = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'flaky'))[0], (x) => x?.status.state === 'dead', 5000);
      expect(d.status.state).toBe('dead');
      // A field selector on the name picks that delivery (and only it).
      const byName = await call('GET', `${trg('demo')}/deliveries?fieldSelector=metadata.name%3D${d.metadata.name}`);
      expect(byName.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([d.metadata.name]);
      expect((await call('GET', `${trg('demo')}/deliveries?fieldSelector=metadata.name%3Dnope`)).body.items).toEqual([]);
      expect(d.status.attemptHistory).toHaveLength(3);
      expect(d.status.attemptHistory[0]).toMatchObject({ statusCode: 500, error: 'receiver answered 500' });
      const t = await getTrigger(server.url, 'demo', 'flaky');
      expect(findCondition(t, 'DeadLettered')).toMatchObject({ status: 'True' });
      // A malformed redrive is refused and redrives nothing.
      const malformed = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: ['flaky'] });
      expect(malformed.status).toBe(422);
      // A misspelt field is refused, not dropped (which would redrive the whole namespace).
      const typo = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { triger: 'flaky' } });
      expect(typo.status).toBe(422);
      expect(typo.body.details.causes[0]).toMatchObject({ field: 'spec.triger', reason: 'FieldValueNotSupported' });
      const unknown = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { trigger: 'nope' } });
      expect(unknown.body).toMatchObject({ code: 404, reason: 'NotFound', message: 'triggers.triggers.imagestreamd.io "nope" not found' });
      const [still] = await listDeliveries(server.url, 'demo', 'flaky');
      expect(still.status.state).toBe('dead');
      rx.mode = 'ok';
      const redrive = await call('POST', `${trg('demo')}/deliveryredrives`, { metadata: { generateName: 'redrive-' }, spec: { trigger: 'flaky' } });
      expect(redrive.status).toBe(201);
      expect(redrive.body.metadata.name).toMatch(/^redrive-[a-z0-9]{5}$/);
      expect(redrive.body.status.redriven).toEqual([d.metadata.name]);
      const after = await rx.waitFor('/flaky', 4);
      expect(after[3]!.headers['webhook-id']).toBe([...ids][0]);
      expect(verifiesSignature(SECRET, after[3]!.headers, after[3]!.body)).toBe(true);
    } finally {
      rx.mode = 'ok';
    }
  });

  it('a redirect is not followed and a 200 cut short by a reset is not delivered: both are failed attempts, retried', async () => {
    rx.answer('/moving', { status: 302, headers: { location: rx.url('/moved-here') } }, { status: 200, cut: true });
    await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name: 'moving' } });
    await map('demo', 'moving', 'v1', digest('4'));
    await call('POST', `${trg('demo')}/triggers`, trigger('moving', 'moving:v1', '/moving'));
    const d = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'moving'))[0], (x) => x?.status.state !== undefined && x.status.state !== 'pending', 10000);
    expect(d.status.state).toBe('delivered');
    const [moved, cut, sent] = d.status.attemptHistory;
    expect(moved).toMatchObject({ statusCode: 302, error: 'receiver answered 302' });
    // The connection's error as the client saw the reset ('read ECONNRESET' or 'other side closed'), not a timeout.
    expect(cut).toMatchObject({ statusCode: 200, error: expect.stringMatching(/ECONNRESET|other side closed/) });
    expect(sent).toMatchObject({ statusCode: 200, error: null });
    expect(rx.at('/moving')).toHaveLength(3);
    expect(rx.at('/moved-here')).toHaveLength(0);
  });

  it('a redrive goes to the trigger\'s current URL, so fixing a wrong URL recovers its dead letters', async () => {
    await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name: 'typo' } });
    await map('demo', 'typo', 'v1', digest('f'));
    // Nothing listens on port 1: every attempt is refused.
    const created = await call('POST', `${trg('demo')}/triggers`, { metadata: { name: 'typo' }, spec: triggerSpec('typo:v1', { kind: 'Build', name: 'typo' }, 'http://127.0.0.1:1/hook') });
    expect(created.status).toBe(201);
    const dead = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'typo'))[0], (x) => x?.status.state === 'dead', 10000);
    expect(dead.status.attemptHistory).toHaveLength(3);
    const fixed = await call('PATCH', `${trg('demo')}/triggers/typo`, { spec: { delivery: { url: rx.url('/typo-fixed') } } }, 'application/merge-patch+json');
    expect(fixed.status).toBe(200);
    const redrive = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { trigger: 'typo' } });
    expect(redrive.body.status.redriven).toEqual([dead.metadata.name]);
    const [got] = await rx.waitFor('/typo-fixed', 1);
    expect(got!.headers['webhook-id']).toBe(dead.metadata.name);
    expect(verifiesSignature(SECRET, got!.headers, got!.body)).toBe(true);
    const delivered = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'typo'))[0], (x) => x?.status.state === 'delivered', 5000);
    expect(delivered.spec.url).toBe(rx.url('/typo-fixed'));
  });

  /**
   * A trigger `name` following `<name>:v1` (imaged) whose first attempt, at `path`, is answered 500
   * only once `release` is called: until then nothing else is sent, and after it a retry is due.
   */
  const firstAttemptHeld = async (name: string, path: string, image: string) => {
    let release!: () => void;
    rx.answer(path, { status: 500, after: new Promise<void>((r) => (release = r)) });
    await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name } });
    await map('demo', name, 'v1', image);
    expect((await call('POST', `${trg('demo')}/triggers`, trigger(name, `${name}:v1`, path))).status).toBe(201);
    const [first] = await rx.waitFor(path, 1);
    return { first: first!, release };
  };

  it('a pending retry goes to the trigger\'s current URL: fixing it while retrying reaches the fixed receiver, the old one gets nothing more', async () => {
    // The first attempt's 500 is answered only once the URL has been changed: its retry is then pending.
    const { first, release: urlFixed } = await firstAttemptHeld('retarget', '/retarget-old', digest('3'));
    const fixed = await call('PATCH', `${trg('demo')}/triggers/retarget`, { spec: { delivery: { url: rx.url('/retarget-new') } } }, 'application/merge-patch+json');
    expect(fixed.status).toBe(200);
    urlFixed();
    const [retried] = await rx.waitFor('/retarget-new', 1);
    expect(retried!.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(retried!.body).toBe(first.body);
    expect(verifiesSignature(SECRET, retried!.headers, retried!.body)).toBe(true);
    const delivered = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'retarget'))[0], (x) => x?.status.state === 'delivered', 5000);
    expect(delivered.spec.url).toBe(rx.url('/retarget-new'));
    expect(delivered.status.attemptHistory.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
    expect(rx.at('/retarget-old')).toHaveLength(1);
  });

  it('pausing holds a delivery\'s pending retries (nothing more is sent); unpausing sends them', async () => {
    // The first attempt's 500 is answered once the trigger is paused: its retry then falls due while paused.
    const { first, release: pausedNow } = await firstAttemptHeld('held', '/held', digest('2'));
    const paused = await call('PATCH', `${trg('demo')}/triggers/held`, { spec: { paused: true } }, 'application/merge-patch+json');
    expect(paused.status).toBe(200);
    pausedNow();
    // Backoff here is 100–300 ms: well past it, the retry has not been sent and the delivery waits.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rx.at('/held')).toHaveLength(1);
    const [waiting] = await listDeliveries(server.url, 'demo', 'held');
    expect([waiting.status.state, waiting.status.attemptHistory.length]).toEqual(['pending', 1]);
    expect((await call('PATCH', `${trg('demo')}/triggers/held`, { spec: { paused: false } }, 'application/merge-patch+json')).status).toBe(200);
    const [, retried] = await rx.waitFor('/held', 2, 5000);
    expect(retried!.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const delivered = await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'held'))[0], (x) => x?.status.state === 'delivered', 5000);
    expect(delivered.status.attemptHistory.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
  });

  it('a redrive naming one delivery resends only it; an empty spec resends every dead delivery of its namespace, no other', async () => {
    rx.mode = 'fail';
    try {
      for (const ns of ['demo', 'other']) {
        await call('POST', `${base()}/namespaces/${ns}/imagestreams`, { metadata: { name: 'pair' } });
        await map(ns, 'pair', 'v1', digest('9'));
      }
      for (const name of ['dead-one', 'dead-two']) {
        expect((await call('POST', `${trg('demo')}/triggers`, trigger(name, 'pair:v1', `/${name}`))).status).toBe(201);
      }
      expect((await call('POST', `${trg('other')}/triggers`, trigger('dead-elsewhere', 'pair:v1', '/dead-elsewhere'))).status).toBe(201);
      const deadOf = (ns: string, name: string) =>
        pollUntil(async () => (await listDeliveries(server.url, ns, name))[0], (x) => x?.status.state === 'dead', 10000);
      const one = await deadOf('demo', 'dead-one');
      const two = await deadOf('demo', 'dead-two');
      const elsewhere = await deadOf('other', 'dead-elsewhere');
      rx.mode = 'ok';

      const single = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { delivery: one.metadata.name } });
      expect(single.status).toBe(201);
      expect(single.body.status.redriven).toEqual([one.metadata.name]);
      const [resent] = await rx.waitFor('/dead-one', 4);
      expect(resent!.headers['webhook-id']).toBe(one.metadata.name);
      await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'dead-one'))[0], (x) => x?.status.state === 'delivered', 5000);
      expect(rx.at('/dead-two')).toHaveLength(3);
      expect((await listDeliveries(server.url, 'demo', 'dead-two'))[0].status.state).toBe('dead');
      // A delivery of another namespace is not found through this one.
      const foreign = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { delivery: elsewhere.metadata.name } });
      expect(foreign.status).toBe(404);
      // Naming a delivery that is not dead, or one of another trigger than named, redrives nothing and says why.
      const again = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { delivery: one.metadata.name } });
      expect(again.body).toMatchObject({
        code: 409,
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on deliveries.triggers.imagestreamd.io "${one.metadata.name}": the delivery is delivered: only dead deliveries are redriven`,
      });
      const mismatched = await call('POST', `${trg('demo')}/deliveryredrives`, { spec: { trigger: 'dead-one', delivery: two.metadata.name } });
      expect(mismatched.status).toBe(422);
      expect(mismatched.body.details.causes[0]).toMatchObject({ field: 'spec.delivery', reason: 'FieldValueInvalid' });
      expect((await listDeliveries(server.url, 'demo', 'dead-two'))[0].status.state).toBe('dead');
      expect(rx.at('/dead-one')).toHaveLength(4);

      const all = await call('POST', `${trg('demo')}/deliveryredrives`, {});
      expect(all.status).toBe(201);
      expect(all.body.status.redriven).toEqual([two.metadata.name]);
      const got = await rx.waitFor('/dead-two', 4);
      expect(got[3]!.headers['webhook-id']).toBe(two.metadata.name);
      expect(verifiesSignature(SECRET, got[3]!.headers, got[3]!.body)).toBe(true);
      await pollUntil(async () => (await listDeliveries(server.url, 'demo', 'dead-two'))[0], (x) => x?.status.state === 'delivered', 5000);
      expect(rx.at('/dead-elsewhere')).toHaveLength(3);
      expect((await listDeliveries(server.url, 'other', 'dead-elsewhere'))[0].status.state).toBe('dead');
      expect(rx.at('/dead-one')).toHaveLength(4);
    } finally {
      rx.mode = 'ok';
    }
  });

  it('label selectors on deliveries follow Kubernetes: a label no Delivery has matches as absent, never a 400', async () => {
    const names = async (selector: string) => {
      const res = await call('GET', `${trg('demo')}/deliveries?labelSelector=${encodeURIComponent(selector)}`);
      expect(res.status).toBe(200);
      return res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort();
    };
    const all = (await call('GET', `${trg('demo')}/deliveries`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort();
    expect(all.length).toBeGreaterThan(0);
    expect(await names('app=web')).toEqual([]);
    expect(await names('app')).toEqual([]);
    expect(await names('app!=web')).toEqual(all);
    expect(await names('!app')).toEqual(all);
    expect(await names('triggers.imagestreamd.io/trigger')).toEqual(all);
    expect(await names('!triggers.imagestreamd.io/trigger')).toEqual([]);
    expect(await names('!triggers.imagestreamd.io/state,app!=web')).toEqual([]);
    // Gt/Lt compare integers: names and states are none, so nothing matches (and nothing fails).
    expect(await names('triggers.imagestreamd.io/trigger>5')).toEqual([]);
    expect(await names('triggers.imagestreamd.io/state<3')).toEqual([]);
  });

  const refusedReceivers = [
    ['private', 'http://10.255.255.1/hook', 'address 10.255.255.1 is private, in 10.0.0.0/8'],
    ['metadata', 'http://169.254.169.254/latest', 'address 169.254.169.254 is link-local, in 169.254.0.0/16'],
    ['ipv6-loopback', 'http://[::1]:9/hook', 'address ::1 is loopback, in ::1/128'],
  ] as const;
  const refusal = (says: string) =>
    `${says}: not allowed unless allow-listed (TRIGGER_ALLOWED_CIDRS); deliveries to private, loopback, link-local and reserved addresses are refused`;

  it('refuses a private, loopback or link-local IP-literal receiver when the trigger is written (422), and stores nothing', async () => {
    for (const [name, url, says] of refusedReceivers) {
      const created = await call('POST', `${trg('demo')}/triggers`, { metadata: { name }, spec: triggerSpec('app:latest', { kind: 'Webhook', name }, url) });
      expect(created.status).toBe(422);
      expect(created.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.delivery.url', message: `Invalid value: "${url}": ${refusal(says)}` }]);
      expect((await call('GET', `${trg('demo')}/triggers/${name}`)).status).toBe(404);
    }
    // An update that points a stored trigger there is refused the same way; the trigger is unchanged.
    const moved = await call('PATCH', `${trg('demo')}/triggers/first`, { spec: { delivery: { url: 'http://192.168.1.1/x' } } }, 'application/merge-patch+json');
    expect(moved.status).toBe(422);
    expect(moved.body.message).toContain('address 192.168.1.1 is private, in 192.168.0.0/16');
    expect((await call('GET', `${trg('demo')}/triggers/first`)).body.spec.delivery.url).toBe(rx.url('/first'));
  });

  it('refuses at dial time, without retrying, a receiver stored while its address was allow-listed, and says why on the trigger', async () => {
    // Stored (paused) under a wider allow-list; the allow-list then narrows back to 127.0.0.1.
    await server.startApi({ TRIGGER_ALLOWED_CIDRS: '127.0.0.1,10.255.255.1,169.254.169.254,::1' });
    for (const [name, url] of refusedReceivers) {
      const created = await call('POST', `${trg('demo')}/triggers`, { metadata: { name }, spec: { ...triggerSpec('app:latest', { kind: 'Webhook', name }, url), paused: true } });
      expect(created.status).toBe(201);
    }
    await server.startApi();
    for (const [name, , says] of refusedReceivers) {
      // Unpausing keeps the URL: the write is accepted, and the fire it causes is refused when dialled.
      expect((await call('PATCH', `${trg('demo')}/triggers/${name}`, { spec: { paused: false } }, 'application/merge-patch+json')).status).toBe(200);
      const d = await pollUntil(async () => (await listDeliveries(server.url, 'demo', name))[0], (x) => x?.status.state === 'dead', 10000);
      expect(d.status.attemptHistory).toHaveLength(1);
      // The error says what kind of address it is and why it is refused.
      expect(d.status.attemptHistory[0].error).toBe(refusal(says));
      const t = await pollUntil(() => getTrigger(server.url, 'demo', name), (x) => findCondition(x, 'DeadLettered')?.status === 'True');
      expect(findCondition(t, 'DeadLettered')).toMatchObject({ status: 'True', reason: 'AddressNotAllowed' });
    }
  }, 60000);

  it('serves the tag-change feed after a cursor', async () => {
    const all = await call('GET', `${trg('demo')}/tagchangeevents`);
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(5);
    const cursor = all.body.items[2].metadata.name;
    const rest = await call('GET', `${trg('demo')}/tagchangeevents?continue=${cursor}`);
    expect(rest.body.items[0].metadata.name).toBe(all.body.items[3].metadata.name);
    expect(rest.body.items[0]).toMatchObject({ type: 'tag.moved', stream: 'app' });
  });

  it('the feed can be watched from a list\'s resourceVersion: each later move arrives once, in order', async () => {
    const listed = await call('GET', `${trg('demo')}/tagchangeevents`);
    const w = watchEvents(`${trg('demo')}/tagchangeevents?watch=1&resourceVersion=${listed.body.metadata.resourceVersion}&allowWatchBookmarks=true`);
    await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name: 'watched' } });
    await map('demo', 'watched', 'v1', digest('7'));
    await map('demo', 'watched', 'v1', digest('8'));
    await w.waitFor((e) => e.filter((x) => x.type === 'ADDED' && x.object.stream === 'watched').length >= 2);
    w.stop();
    const events = w.events;
    const moves = events.filter((x) => x.type === 'ADDED' && x.object.stream === 'watched').map((x) => x.object);
    expect(moves.map((m) => m.to)).toEqual([digest('7'), digest('8')]);
    expect(moves[1]).toMatchObject({ kind: 'TagChangeEvent', type: 'tag.moved', from: digest('7'), tag: 'v1' });
    // Each item's resourceVersion is its feed position, so a reflector resumes after the last one.
    for (const m of moves) expect(m.metadata.resourceVersion).toBe(m.metadata.name);
    const ids = events.filter((x) => x.type === 'ADDED').map((x) => BigInt(x.object.metadata.name));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    expect(new Set(ids.map(String)).size).toBe(ids.length);
    // A position the feed has not reached ends the watch, after kube's brief wait, with its 504 ERROR event.
    const ahead = watchEvents(`${trg('demo')}/tagchangeevents?watch=1&resourceVersion=999999999`);
    await ahead.waitFor((e) => e.some((x) => x.type === 'ERROR'));
    ahead.stop();
    expect(ahead.events.find((x) => x.type === 'ERROR')!.object).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout' });
  });

  it('a pull consumer watching Triggers sees one ADDED, a MODIFIED carrying each fire in status, and DELETED', async () => {
    await call('POST', `${base()}/namespaces/demo/imagestreams`, { metadata: { name: 'polled' } });
    await map('demo', 'polled', 'v1', digest('5'));
    const listed = await call('GET', `${trg('demo')}/triggers`);
    const w = watchEvents(`${trg('demo')}/triggers?watch=1&resourceVersion=${listed.body.metadata.resourceVersion}`);
    try {
      expect((await call('POST', `${trg('demo')}/triggers`, trigger('polled', 'polled:v1', '/polled'))).status).toBe(201);
      const fired = (id: string) => (e: { type: string; object: any }[]) =>
        e.some((x) => x.type === 'MODIFIED' && x.object.metadata.name === 'polled' && x.object.status?.lastTriggeredImageID === id);
      await w.waitFor(fired(digest('5')));
      await map('demo', 'polled', 'v1', digest('6'));
      await w.waitFor(fired(digest('6')));
      // The status records a fire when its delivery is committed, before the POST: deleting the
      // Trigger now would take its pending delivery with it (its owner is gone).
      await rx.waitFor('/polled', 2);
      expect((await call('DELETE', `${trg('demo')}/triggers/polled`)).status).toBe(200);
      await w.waitFor((e) => e.some((x) => x.type === 'DELETED' && x.object.metadata.name === 'polled'));
    } finally {
      w.stop();
    }
    const mine = w.events.filter((x) => x.object.metadata?.name === 'polled');
    expect(mine[0]!.type).toBe('ADDED');
    expect(mine.filter((x) => x.type === 'ADDED')).toHaveLength(1);
    expect(mine.at(-1)!.type).toBe('DELETED');
    // Every event carries a newer resourceVersion, so a reflector can resume after any of them.
    const rvs = mine.map((x) => BigInt(x.object.metadata.resourceVersion));
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]! > rvs[i - 1]!).toBe(true);
    expect(rx.at('/polled').map((r) => r.json.data.new.digest)).toEqual([digest('5'), digest('6')]);
  });
});
