import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { call, watchEvents } from '@app/testing';
import { HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';
import { kubectlFound, kubectlWorkspace, type KubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { OciLayout, registryUnavailableReason, skopeoCopy } from './support/registry';
import {
  comparableEvent,
  createSigningSecret,
  createTrigger,
  digest,
  findCondition,
  getTrigger,
  listDeliveries,
  mapImage,
  SIGNING_SECRET,
  TRIGGERS_API,
  triggerSpec,
  waitForCondition,
} from './support/trigger-resources';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { startTriggerServerWithRegistry, type TriggerServerWithRegistry } from './support/trigger-server-with-registry';
import { type Received, Receiver } from './support/webhook-receiver';

const IMAGES = '/apis/image.openshift.io/v1';
const ANNOTATION = 'image.openshift.io/triggers';
const headerStrings = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const itKubectl = kubectlFound ? it : it.skip;

/**
 * Black-box conformance of image change triggers (README "Image change triggers", reference §8):
 * Triggers and annotated workloads against an api process with its worker, Postgres, Redis and an
 * HTTP receiver, checked as OpenShift's trigger controllers, the CloudEvents 1.0 spec and the
 * Standard Webhooks spec (with their reference libraries) describe them.
 */
describe('image change triggers: conformance (s15)', () => {
  const rx = new Receiver();
  let server: TriggerServer;
  let kubectl: KubectlWorkspace;
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  const ns = (n: string) => `c15-${n}`;
  const trg = (namespace: string) => `${server.url}${TRIGGERS_API}/namespaces/${namespace}`;
  const img = (namespace: string) => `${server.url}${IMAGES}/namespaces/${namespace}`;
  const apps = (namespace: string) => `${server.url}/apis/apps/v1/namespaces/${namespace}`;
  const push = (namespace: string, stream: string, tag: string, c: string, extra: { labels?: Record<string, string> } = {}) =>
    mapImage(server.url, namespace, { stream, tag, image: digest(c), repository: `quay.io/${namespace}/${stream}`, ...extra });
  const stream = async (namespace: string, name: string, spec: object = {}) =>
    expect((await call('POST', `${img(namespace)}/imagestreams`, { metadata: { name }, spec })).status).toBe(201);
  const setUp = async (namespace: string) => expect((await createSigningSecret(server.url, namespace, { key })).status).toBe(201);
  const hook = (path: string) => rx.url(`/${path}`);
  const workload = (name: string, entries: object[], podSpec: object, extra: object = {}) => ({
    metadata: { name, annotations: { [ANNOTATION]: JSON.stringify(entries) } },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec }, ...extra },
  });
  const entry = (from: string, fieldPath: string, more: object = {}) => ({ from: { kind: 'ImageStreamTag', name: from }, fieldPath, ...more });
  const podImages = async (url: string) => {
    const o = (await call('GET', url)).body;
    const spec = o.spec.template?.spec ?? o.spec.jobTemplate.spec.template.spec;
    return { init: (spec.initContainers ?? []).map((c: any) => c.image), containers: spec.containers.map((c: any) => c.image), object: o };
  };

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_ATTEMPT_BUDGET: '2', TRIGGER_BACKOFF_BASE_MS: '100', TRIGGER_BACKOFF_MAX_MS: '300', INTERNAL_REGISTRY_HOSTNAME: 'registry.c15:5000' });
    kubectl = kubectlWorkspace(server.url);
  }, 90000);
  afterAll(async () => {
    kubectl?.remove();
    rx.close();
    await server?.close();
  });

  describe('Trigger API and kubectl', () => {
    beforeAll(async () => {
      await setUp(ns('api'));
      await stream(ns('api'), 'base');
      await push(ns('api'), 'base', 'latest', '1');
      await createTrigger(server.url, ns('api'), 'rebuild', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('api')));
      await rx.waitFor('/api', 1);
    });

    it('a created Trigger answers generation 1; the signing secret is never served, only its key names', async () => {
      const t = await getTrigger(server.url, ns('api'), 'rebuild');
      expect(t).toMatchObject({ kind: 'Trigger', apiVersion: 'triggers.imagestreamd.io/v1', metadata: { generation: 1 }, spec: { delivery: { secretRef: { name: SIGNING_SECRET } } } });
      const read = await call('GET', `${trg(ns('api'))}/triggersecrets/${SIGNING_SECRET}`);
      const list = await call('GET', `${trg(ns('api'))}/triggersecrets`);
      for (const text of [JSON.stringify(read.body), JSON.stringify(list.body), JSON.stringify(t)]) expect(text).not.toContain(key.slice(6, 30));
      expect(read.body.dataKeys).toEqual(['key']);
    });

    itKubectl('kubectl get trg prints the documented columns; describe and explain work', async () => {
      const out = await kubectl.ok(['get', 'trg', '-n', ns('api')]);
      expect(out.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'FROM', 'TARGET', 'PAUSED', 'LAST IMAGE', 'LAST TRIGGERED', 'AGE']);
      expect(out).toMatch(new RegExp(`rebuild\\s+${ns('api')}/base:latest\\s+Build/app\\s+false\\s+sha256:111111111111`));
      const described = await kubectl.ok(['describe', 'trg', 'rebuild', '-n', ns('api')]);
      expect(described).toContain('Last Triggered Image ID:');
      expect(described).toContain('Type:                    Triggered');
      const explained = await kubectl.ok(['explain', 'triggers.spec.delivery']);
      for (const f of ['url', 'secretRef', 'headers', 'contentMode']) expect(explained).toContain(f);
    });

    itKubectl('kubectl create -f and delete of a Trigger; a deleted Trigger is 404', async () => {
      const file = kubectl.write('t.yaml', `apiVersion: triggers.imagestreamd.io/v1\nkind: Trigger\nmetadata: {name: from-yaml, namespace: ${ns('api')}}\nspec:\n  from: {kind: ImageStreamTag, name: "base:latest"}\n  target: {kind: Webhook, name: notify}\n  delivery: {url: "${hook('yaml')}", secretRef: {name: ${SIGNING_SECRET}}}\n`);
      expect(await kubectl.ok(['create', '-f', file])).toContain('trigger.triggers.imagestreamd.io/from-yaml created');
      await rx.waitFor('/yaml', 1);
      expect(await kubectl.ok(['delete', 'trg', 'from-yaml', '-n', ns('api')])).toContain('deleted');
      expect((await call('GET', `${trg(ns('api'))}/triggers/from-yaml`)).status).toBe(404);
    });

    it('refuses what it cannot follow or sign, with the field named (422)', async () => {
      const base = triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('x'));
      const cases: [object, string][] = [
        [{ ...base, from: { kind: 'ImageStreamImage', name: 'base@sha256:abc' } }, 'spec.from.kind'],
        [{ ...base, from: { kind: 'ImageStreamTag', name: 'base' } }, 'spec.from.name'],
        [{ ...base, target: { kind: 'Pod', name: 'x' } }, 'spec.target.kind'],
        [{ ...base, delivery: { url: hook('x') } }, 'spec.delivery.secretRef'],
        [{ ...base, delivery: { url: 'http://10.1.2.3/hook', secretRef: { name: SIGNING_SECRET } } }, 'spec.delivery.url'],
        [{ ...base, delivery: { url: 'http://[::1]/hook', secretRef: { name: SIGNING_SECRET } } }, 'spec.delivery.url'],
      ];
      for (const [spec, field] of cases) {
        const res = await call('POST', `${trg(ns('api'))}/triggers`, { metadata: { generateName: 'bad-' }, spec });
        expect([res.status, res.body.reason, res.body.details.causes.map((c: any) => c.field)]).toEqual([422, 'Invalid', expect.arrayContaining([field])]);
      }
    });

    it('discovery lists deliveryredrives as create-only; a GET of them is 405', async () => {
      const resources = (await call('GET', `${server.url}${TRIGGERS_API}`)).body.resources;
      expect(resources.find((r: any) => r.name === 'deliveryredrives').verbs).toEqual(['create']);
      expect(resources.find((r: any) => r.name === 'triggers')).toMatchObject({ shortNames: ['trg'], namespaced: true, kind: 'Trigger' });
      expect((await call('GET', `${trg(ns('api'))}/deliveryredrives`)).status).toBe(405);
    });

    it('a watch of triggers gets the fire as MODIFIED with the new lastTriggeredImageID', async () => {
      const list = await call('GET', `${trg(ns('api'))}/triggers`);
      const w = watchEvents(`${trg(ns('api'))}/triggers?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
      try {
        await w.opened;
        await push(ns('api'), 'base', 'latest', '2');
        await w.waitFor((e) => e.some((x) => x.object.status?.lastTriggeredImageID === digest('2')));
        expect(w.events.find((x) => x.object.status?.lastTriggeredImageID === digest('2'))).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'rebuild' } } });
      } finally {
        w.stop();
        await w.done;
      }
    });
  });

  describe('firing (level-driven, as OpenShift)', () => {
    const n = ns('fire');
    beforeAll(async () => {
      await setUp(n);
      for (const s of ['seen', 'empty', 'same', 'pause', 'older', 'ali', 'gen', 'prev', 'alroll']) await stream(n, s);
    });

    it('fires on first sight of a tag that already has an image: old is null, reason ImageChanged', async () => {
      await push(n, 'seen', 'latest', 'a');
      await createTrigger(server.url, n, 'seen', triggerSpec('seen:latest', { kind: 'Build', name: 'app' }, hook('seen')));
      const [r] = await rx.waitFor('/seen', 1);
      expect(r!.json.data).toMatchObject({ old: { digest: null }, new: { digest: digest('a'), pullSpec: `quay.io/${n}/seen@${digest('a')}` }, reason: 'ImageChanged' });
      expect((await getTrigger(server.url, n, 'seen')).status.lastTriggeredImageID).toBe(digest('a'));
    });

    it("a first fire's old is the tag's previous image from its history, also after the tag was re-pointed at the image it holds", async () => {
      await push(n, 'prev', 'latest', 'd');
      await push(n, 'prev', 'latest', 'e');
      // A user re-points the tag at the image it already holds: a move in the feed from e to e.
      const repoint = { spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamImage', name: `prev@${digest('e')}` } }] } };
      expect((await call('PATCH', `${img(n)}/imagestreams/prev`, repoint, 'application/merge-patch+json')).status).toBe(200);
      await createTrigger(server.url, n, 'prev', triggerSpec('prev:latest', { kind: 'Build', name: 'app' }, hook('prev')));
      const [r] = await rx.waitFor('/prev', 1);
      expect(r!.json.data).toMatchObject({ old: { digest: digest('d'), pullSpec: `quay.io/${n}/prev@${digest('d')}` }, new: { digest: digest('e') } });
    });

    it('nothing while the tag has no image (WaitingForImage=True, TagHasNoImage); the first push fires', async () => {
      await createTrigger(server.url, n, 'empty', triggerSpec('empty:latest', { kind: 'Build', name: 'app' }, hook('empty')));
      expect(await waitForCondition(server.url, n, 'empty', 'WaitingForImage', (c) => c?.status === 'True')).toMatchObject({ reason: 'TagHasNoImage' });
      expect(rx.at('/empty')).toHaveLength(0);
      await push(n, 'empty', 'latest', 'b');
      await rx.waitFor('/empty', 1);
      expect((await waitForCondition(server.url, n, 'empty', 'WaitingForImage', (c) => c?.status === 'False')).status).toBe('False');
    });

    it('the same image recorded again fires nothing (lastTriggeredImageID equals the tag)', async () => {
      await createTrigger(server.url, n, 'same', triggerSpec('same:latest', { kind: 'Build', name: 'app' }, hook('same')));
      await push(n, 'same', 'latest', 'c');
      await rx.waitFor('/same', 1);
      await push(n, 'same', 'latest', 'c');
      await sleep(800);
      expect(rx.at('/same')).toHaveLength(1);
      expect(await listDeliveries(server.url, n, 'same')).toHaveLength(1);
    });

    it('paused: nothing fires; unpausing fires for the newest image, old being what the dependent last got', async () => {
      await createTrigger(server.url, n, 'pause', triggerSpec('pause:latest', { kind: 'Build', name: 'app' }, hook('pause')));
      await push(n, 'pause', 'latest', '1');
      await rx.waitFor('/pause', 1);
      expect((await call('PATCH', `${trg(n)}/triggers/pause`, { spec: { paused: true } }, 'application/merge-patch+json')).status).toBe(200);
      await waitForCondition(server.url, n, 'pause', 'Paused', (c) => c?.status === 'True');
      await push(n, 'pause', 'latest', '2');
      await push(n, 'pause', 'latest', '3');
      await sleep(800);
      expect(rx.at('/pause')).toHaveLength(1);
      expect((await call('PATCH', `${trg(n)}/triggers/pause`, { spec: { paused: false } }, 'application/merge-patch+json')).status).toBe(200);
      const got = await rx.waitFor('/pause', 2);
      expect(got[1]!.json.data).toMatchObject({ old: { digest: digest('1') }, new: { digest: digest('3') } });
      const t = await pollUntil(() => getTrigger(server.url, n, 'pause'), (x) => x.status?.observedGeneration === 3);
      expect([t.metadata.generation, t.status.observedGeneration]).toEqual([3, 3]);
    });

    it('never back to an older image re-pushed; an explicit rollback through the API fires ExplicitRollback', async () => {
      await createTrigger(server.url, n, 'older', triggerSpec('older:latest', { kind: 'Build', name: 'app' }, hook('older')));
      await push(n, 'older', 'latest', '4');
      await rx.waitFor('/older', 1);
      await push(n, 'older', 'latest', '5');
      await rx.waitFor('/older', 2);
      await push(n, 'older', 'latest', '4');
      expect(await waitForCondition(server.url, n, 'older', 'OlderImageIgnored', (c) => c?.status === 'True')).toBeDefined();
      expect(rx.at('/older')).toHaveLength(2);
      const back = await call('PUT', `${img(n)}/imagestreamtags/older:latest`, {
        metadata: { name: 'older:latest' },
        tag: { name: 'latest', from: { kind: 'ImageStreamImage', name: `older@${digest('4')}` } },
      });
      expect([200, 201]).toContain(back.status);
      const got = await rx.waitFor('/older', 3);
      expect(got[2]!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: digest('5') }, new: { digest: digest('4') } });
    });

    it("rolling a tag back through the API rolls back the dependents of its aliases too (the alias moves as the user's write, cause spec-alias)", async () => {
      const spec = { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: '3.1' } }] };
      expect((await call('PUT', `${img(n)}/imagestreams/alroll`, { ...(await call('GET', `${img(n)}/imagestreams/alroll`)).body, spec })).status).toBe(200);
      await createTrigger(server.url, n, 'alroll', triggerSpec('alroll:latest', { kind: 'Build', name: 'app' }, hook('alroll')));
      await push(n, 'alroll', '3.1', '6');
      await rx.waitFor('/alroll', 1);
      await push(n, 'alroll', '3.1', '7');
      await rx.waitFor('/alroll', 2);
      const back = await call('PUT', `${img(n)}/imagestreamtags/alroll:3.1`, {
        metadata: { name: 'alroll:3.1' },
        tag: { name: '3.1', from: { kind: 'ImageStreamImage', name: `alroll@${digest('6')}` } },
      });
      expect([200, 201]).toContain(back.status);
      const got = await rx.waitFor('/alroll', 3);
      expect(got[2]!.json.data).toMatchObject({ reason: 'ExplicitRollback', old: { digest: digest('7') }, new: { digest: digest('6') } });
    });

    it('one push moving several tags fires each dependent once (Triggers on both tags, a workload following both)', async () => {
      expect((await call('PUT', `${img(n)}/imagestreams/ali`, { ...(await call('GET', `${img(n)}/imagestreams/ali`)).body, spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: '3.1' } }] } })).status).toBe(200);
      await createTrigger(server.url, n, 'ali-latest', triggerSpec('ali:latest', { kind: 'Webhook', name: 'w' }, hook('ali')));
      await createTrigger(server.url, n, 'ali-31', triggerSpec('ali:3.1', { kind: 'Webhook', name: 'w' }, hook('ali')));
      const podSpec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] };
      const created = await call('POST', `${apps(n)}/deployments`, workload('ali', [entry('ali:latest', 'spec.template.spec.containers[0].image'), entry('ali:3.1', 'spec.template.spec.containers[1].image')], podSpec));
      expect(created.status).toBe(201);
      await push(n, 'ali', '3.1', 'd');
      const got = await rx.waitFor('/ali', 2);
      const d = await pollUntil(() => podImages(`${apps(n)}/deployments/ali`), (v) => v.containers.every((i: string) => i.endsWith(digest('d'))));
      // One update: the workload's creation-time reconcile waits for the push in flight instead of
      // reading one tag before its commit and the alias after it (test/workload-reconcile-snapshot).
      expect(d.object.metadata.generation - created.body.metadata.generation).toBe(1);
      await sleep(800);
      expect(rx.at('/ali').map((r) => r.json.subject).sort()).toEqual([`${n}/ali:3.1`, `${n}/ali:latest`]);
      expect(got).toHaveLength(2);
    });

    it('spec.from.namespace follows a stream of another namespace; FROM and data name it', async () => {
      const other = ns('fire-other');
      await stream(other, 'base');
      await createTrigger(server.url, n, 'xns', { ...triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('xns')), from: { kind: 'ImageStreamTag', name: 'base:latest', namespace: other } });
      await push(other, 'base', 'latest', 'e');
      const [r] = await rx.waitFor('/xns', 1);
      expect(r!.json).toMatchObject({ subject: `${other}/base:latest`, data: { namespace: other, stream: 'base', trigger: { namespace: n, name: 'xns' } } });
    });
  });

  describe('delivery (CloudEvents 1.0 + Standard Webhooks)', () => {
    const n = ns('dlv');
    beforeAll(async () => {
      await setUp(n);
      await stream(n, 'base');
      await push(n, 'base', 'latest', 'f');
    });
    const first = async (path: string, spec: object, name = path) => {
      await createTrigger(server.url, n, name, spec);
      return (await rx.waitFor(`/${path}`, 1))[0]!;
    };

    it('structured mode: every required attribute, parsed by the CloudEvents SDK', async () => {
      const r = await first('ce', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('ce')));
      expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      const e = r.json;
      expect(e).toMatchObject({ specversion: '1.0', type: 'io.imagestreamd.trigger.image-changed.v1', datacontenttype: 'application/json', subject: `${n}/base:latest` });
      expect(e.id).toBe(r.headers['webhook-id']);
      expect(typeof e.source).toBe('string');
      expect(e.source.length).toBeGreaterThan(0);
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      const parsed = HTTP.toEvent({ headers: headerStrings(r.headers), body: r.body }) as any;
      expect(parsed.validate()).toBe(true);
      expect([parsed.id, parsed.specversion, parsed.subject]).toEqual([e.id, '1.0', e.subject]);
    });

    it('the reference Standard Webhooks library verifies the signature (whsec_ prefix or not), and refuses another key', async () => {
      const r = rx.at('/ce')[0]!;
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(r.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(() => new Webhook(key).verify(r.body, headerStrings(r.headers))).not.toThrow();
      expect(() => new Webhook(key.slice('whsec_'.length)).verify(r.body, headerStrings(r.headers))).not.toThrow();
      expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(r.body, headerStrings(r.headers))).toThrow();
    });

    it('during a rotation (previousKey) both keys sign: two v1 signatures, each verifies', async () => {
      const rotated = `whsec_${randomBytes(32).toString('base64')}`;
      const secretNs = ns('dlv-rot');
      await createSigningSecret(server.url, secretNs, { key: rotated, previousKey: key });
      await stream(secretNs, 'base');
      await push(secretNs, 'base', 'latest', 'f');
      await createTrigger(server.url, secretNs, 'rot', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('rot')));
      const [r] = await rx.waitFor('/rot', 1);
      expect(String(r!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const k of [rotated, key]) expect(() => new Webhook(k).verify(r!.body, headerStrings(r!.headers))).not.toThrow();
    });

    it('a retry keeps webhook-id and body; every attempt is recorded with its status code', async () => {
      rx.answer('/retry', 500);
      await createTrigger(server.url, n, 'retry', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('retry')));
      const [a, b] = await rx.waitFor('/retry', 2);
      expect([a!.headers['webhook-id'], a!.body]).toEqual([b!.headers['webhook-id'], b!.body]);
      const [d] = await pollUntil(() => listDeliveries(server.url, n, 'retry'), (l) => l[0]?.status.state === 'delivered');
      expect(d.status.attemptHistory.map((x: any) => x.statusCode)).toEqual([500, 200]);
      expect(d.metadata.name).toBe(a!.headers['webhook-id']);
    });

    it('dead letter after the budget (DeadLettered=True); a DeliveryRedrive sends it again; redriving a delivered one is 409, an unknown one 404', async () => {
      rx.answer('/dead', 500, 500);
      await createTrigger(server.url, n, 'dead', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('dead')));
      expect(await waitForCondition(server.url, n, 'dead', 'DeadLettered', (c) => c?.status === 'True')).toMatchObject({ reason: 'AttemptBudgetExhausted' });
      const [dead] = await listDeliveries(server.url, n, 'dead');
      expect(dead.status.state).toBe('dead');
      const redrive = await call('POST', `${trg(n)}/deliveryredrives`, { metadata: { generateName: 'r-' }, spec: { trigger: 'dead' } });
      expect([redrive.status, redrive.body.status.redriven]).toEqual([201, [dead.metadata.name]]);
      await rx.waitFor('/dead', 3);
      await pollUntil(() => listDeliveries(server.url, n, 'dead'), (l) => l[0]?.status.state === 'delivered');
      expect((await call('POST', `${trg(n)}/deliveryredrives`, { metadata: { name: 'again' }, spec: { delivery: dead.metadata.name } })).status).toBe(409);
      expect((await call('POST', `${trg(n)}/deliveryredrives`, { metadata: { name: 'none' }, spec: { trigger: 'nope' } })).status).toBe(404);
    });

    it('a 410 Gone disables the endpoint (EndpointDisabled=True, ReceiverGone) without retries', async () => {
      rx.answer('/gone', 410);
      await createTrigger(server.url, n, 'gone', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('gone')));
      expect(await waitForCondition(server.url, n, 'gone', 'EndpointDisabled', (c) => c?.status === 'True')).toMatchObject({ reason: 'ReceiverGone' });
      await sleep(500);
      expect(rx.at('/gone')).toHaveLength(1);
    });

    it('binary mode: the data is the body (application/json), the attributes ce-* headers', async () => {
      const r = await first('bin', { ...triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('bin')), delivery: { url: hook('bin'), secretRef: { name: SIGNING_SECRET }, contentMode: 'binary' } });
      expect(r.headers).toMatchObject({ 'ce-specversion': '1.0', 'ce-type': 'io.imagestreamd.trigger.image-changed.v1', 'ce-subject': `${n}/base:latest`, 'content-type': 'application/json' });
      expect(r.headers['ce-id']).toBe(r.headers['webhook-id']);
      expect(r.json.new.digest).toBe(digest('f'));
      expect(() => new Webhook(key).verify(r.body, headerStrings(r.headers))).not.toThrow();
    });
  });

  describe('annotated workloads (image.openshift.io/triggers)', () => {
    const n = ns('wl');
    const two = { initContainers: [{ name: 'init', image: 'i' }], containers: [{ name: 'web', image: 'w' }, { name: 'side', image: 's' }] };
    beforeAll(async () => {
      await setUp(n);
      await stream(n, 'web');
      await push(n, 'web', 'latest', '7');
      await stream(n, 'loc', { tags: [{ name: 'latest', referencePolicy: { type: 'Local' } }] });
      await push(n, 'loc', 'latest', '8');
    });
    const create = async (resource: string, body: object, group = apps(n)) => {
      const res = await call('POST', `${group}/${resource}`, body);
      expect(res.status).toBe(201);
      return res;
    };
    const pinned = `quay.io/${n}/web@${digest('7')}`;

    it('a container selected by name gets the tag pull spec by digest; the others stay', async () => {
      await create('deployments', workload('byname', [entry('web:latest', 'spec.template.spec.containers[?(@.name=="web")].image')], two));
      expect(await pollUntil(() => podImages(`${apps(n)}/deployments/byname`), (v) => v.containers[0] !== 'w')).toMatchObject({ init: ['i'], containers: [pinned, 's'] });
    });

    it('initContainers are followed, by name and by index', async () => {
      await create('deployments', workload('init', [entry('web:latest', 'spec.template.spec.initContainers[?(@.name=="init")].image'), entry('web:latest', 'spec.template.spec.containers[1].image')], two));
      expect(await pollUntil(() => podImages(`${apps(n)}/deployments/init`), (v) => v.init[0] !== 'i')).toMatchObject({ init: [pinned], containers: ['w', pinned] });
    });

    it("a CronJob's entry is under spec.jobTemplate.spec.template.spec", async () => {
      await create(
        'cronjobs',
        {
          metadata: { name: 'cron', annotations: { [ANNOTATION]: JSON.stringify([entry('web:latest', 'spec.jobTemplate.spec.template.spec.containers[?(@.name=="web")].image')]) } },
          spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'web', image: 'w' }] } } } } },
        },
        `${server.url}/apis/batch/v1/namespaces/${n}`,
      );
      expect((await pollUntil(() => podImages(`${server.url}/apis/batch/v1/namespaces/${n}/cronjobs/cron`), (v) => v.containers[0] !== 'w')).containers).toEqual([pinned]);
    });

    it('StatefulSets and DaemonSets follow their entries too', async () => {
      await create('statefulsets', workload('sts', [entry('web:latest', 'spec.template.spec.containers[0].image')], two, { serviceName: 'sts' }));
      await create('daemonsets', workload('ds', [entry('web:latest', 'spec.template.spec.containers[1].image')], two));
      expect((await pollUntil(() => podImages(`${apps(n)}/statefulsets/sts`), (v) => v.containers[0] !== 'w')).containers).toEqual([pinned, 's']);
      expect((await pollUntil(() => podImages(`${apps(n)}/daemonsets/ds`), (v) => v.containers[1] !== 's')).containers).toEqual(['w', pinned]);
    });

    it('an entry naming a missing container holds the whole workload back until the container exists', async () => {
      await create('deployments', workload('missing', [entry('web:latest', 'spec.template.spec.containers[?(@.name=="later")].image'), entry('web:latest', 'spec.template.spec.containers[0].image')], two));
      await sleep(800);
      expect((await podImages(`${apps(n)}/deployments/missing`)).containers).toEqual(['w', 's']);
      const cur = (await call('GET', `${apps(n)}/deployments/missing`)).body;
      cur.spec.template.spec.containers.push({ name: 'later', image: 'l' });
      expect((await call('PUT', `${apps(n)}/deployments/missing`, cur)).status).toBe(200);
      expect((await pollUntil(() => podImages(`${apps(n)}/deployments/missing`), (v) => v.containers[0] !== 'w')).containers).toEqual([pinned, 's', pinned]);
    });

    it('"paused": "true" (a string) makes the annotation unusable with a Warning; paused true holds the entry until unpaused', async () => {
      const bad = await create('deployments', workload('pstring', [entry('web:latest', 'spec.template.spec.containers[0].image', { paused: 'true' })], two));
      expect(bad.headers.get('warning')).toContain('paused must be a boolean');
      await create('deployments', workload('paused', [entry('web:latest', 'spec.template.spec.containers[0].image', { paused: true })], two));
      await sleep(800);
      expect((await podImages(`${apps(n)}/deployments/pstring`)).containers[0]).toBe('w');
      expect((await podImages(`${apps(n)}/deployments/paused`)).containers[0]).toBe('w');
      const unpause = { metadata: { annotations: { [ANNOTATION]: JSON.stringify([entry('web:latest', 'spec.template.spec.containers[0].image')]) } } };
      expect((await call('PATCH', `${apps(n)}/deployments/paused`, unpause, 'application/merge-patch+json')).status).toBe(200);
      expect((await pollUntil(() => podImages(`${apps(n)}/deployments/paused`), (v) => v.containers[0] !== 'w')).containers[0]).toBe(pinned);
    });

    it('a Local referencePolicy tag hands out the registry pull spec (INTERNAL_REGISTRY_HOSTNAME/<ns>/<stream>@<digest>)', async () => {
      await create('deployments', workload('local', [entry('loc:latest', 'spec.template.spec.containers[0].image')], two));
      expect((await pollUntil(() => podImages(`${apps(n)}/deployments/local`), (v) => v.containers[0] !== 'w')).containers[0]).toBe(`registry.c15:5000/${n}/loc@${digest('8')}`);
    });

    it('a followed image changed by hand is set back to the tag image (level-driven)', async () => {
      await create('deployments', workload('edited', [entry('web:latest', 'spec.template.spec.containers[0].image')], two));
      await pollUntil(() => podImages(`${apps(n)}/deployments/edited`), (v) => v.containers[0] === pinned);
      const patch = { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } };
      expect((await call('PATCH', `${apps(n)}/deployments/edited`, patch, 'application/strategic-merge-patch+json')).status).toBe(200);
      const back = await pollUntil(() => podImages(`${apps(n)}/deployments/edited`), (v) => v.containers[0] === pinned);
      expect(back.containers[0]).toBe(pinned);
      const records = await pollUntil(() => listDeliveries(server.url, n, 'edited'), (l) => l.length >= 2);
      expect(records.map((d: any) => d.spec.event.data.old.pullSpec)).toEqual(['w', 'nginx:1']);
    });

    it('keys are read as Go decodes them: of two keys naming fieldPath (any case) the last one wins', async () => {
      const text = `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},"fieldPath":"spec.template.spec.containers[0].image","FieldPath":"spec.template.spec.containers[1].image"}]`;
      const body = workload('golike', [], two);
      body.metadata.annotations[ANNOTATION] = text;
      await create('deployments', body);
      expect((await pollUntil(() => podImages(`${apps(n)}/deployments/golike`), (v) => v.containers[1] !== 's')).containers).toEqual(['w', pinned]);
    });

    it('two entries on one container (following two tags): the last one wins, as upstream applies them in order, and nothing flaps', async () => {
      const both = [entry('loc:latest', 'spec.template.spec.containers[0].image'), entry('web:latest', 'spec.template.spec.containers[?(@.name=="web")].image')];
      const created = await create('deployments', workload('twice', both, two));
      const d = await pollUntil(() => podImages(`${apps(n)}/deployments/twice`), (v) => v.containers[0] !== 'w');
      expect(d.containers[0]).toBe(pinned);
      await sleep(1000);
      const now = await podImages(`${apps(n)}/deployments/twice`);
      expect([now.containers[0], now.object.metadata.generation]).toEqual([pinned, created.body.metadata.generation + 1]);
      expect(await listDeliveries(server.url, n, 'twice')).toHaveLength(1);
    });

    it('a Trigger targeting a stored Deployment by container name carries a JSON patch at the container index', async () => {
      await create('deployments', workload('target', [], two));
      await createTrigger(server.url, n, 'target', triggerSpec('web:latest', { kind: 'Deployment', name: 'target', containerNames: ['side'] }, hook('target')));
      const [r] = await rx.waitFor('/target', 1);
      expect(r!.json.data).toMatchObject({ patchType: 'application/json-patch+json', patch: [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: pinned }] });
    });
    it('a Trigger naming containers a stored Deployment partly lacks patches those it has only (as a DeploymentConfig trigger)', async () => {
      await create('deployments', workload('partial', [], two));
      await createTrigger(server.url, n, 'partial', triggerSpec('web:latest', { kind: 'Deployment', name: 'partial', containerNames: ['gone', 'init'] }, hook('partial')));
      const [r] = await rx.waitFor('/partial', 1);
      expect(r!.json.data).toMatchObject({ patchType: 'application/json-patch+json', patch: [{ op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: pinned }] });
      expect(r!.json.data.patch).toHaveLength(1);
    });
  });

  describe('preview and pull feed', () => {
    const n = ns('feed');
    beforeAll(async () => {
      await setUp(n);
      await stream(n, 'base');
      await push(n, 'base', 'latest', 'a');
      await createTrigger(server.url, n, 'pv', triggerSpec('base:latest', { kind: 'Build', name: 'app' }, hook('pv')));
      await rx.waitFor('/pv', 1);
    });

    it('a PushPreview has no side effect and shows the event the push then sends', async () => {
      const before = await getTrigger(server.url, n, 'pv');
      const preview = await call('POST', `${trg(n)}/pushpreviews`, { metadata: { name: 'base:latest' }, spec: { image: digest('b'), dockerImageReference: `quay.io/${n}/base@${digest('b')}` } });
      expect(preview.status).toBe(201);
      const p = preview.body.status.triggers.find((t: any) => t.name === 'pv');
      expect(p).toMatchObject({ wouldFire: true, reason: 'ImageChanged' });
      await sleep(500);
      expect(await listDeliveries(server.url, n, 'pv')).toHaveLength(1);
      expect((await getTrigger(server.url, n, 'pv')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      await push(n, 'base', 'latest', 'b');
      const [, real] = await rx.waitFor('/pv', 2);
      expect(comparableEvent(real!.json)).toEqual(comparableEvent(p.event));
    });

    it('the tag-change feed lists moves in order with a resumable cursor; a cursor never handed out is 400', async () => {
      const all = (await call('GET', `${trg(n)}/tagchangeevents`)).body;
      const mine = all.items.filter((i: any) => i.metadata.namespace === n);
      expect(mine.map((i: any) => i.type)).toEqual(['tag.created', 'tag.moved']);
      const page = (await call('GET', `${trg(n)}/tagchangeevents?limit=1`)).body;
      expect(page.items).toHaveLength(1);
      const rest = (await call('GET', `${trg(n)}/tagchangeevents?continue=${page.metadata.continue}`)).body;
      expect(rest.items.map((i: any) => i.metadata.name)).toEqual(mine.slice(1).map((i: any) => i.metadata.name));
      expect((await call('GET', `${trg(n)}/tagchangeevents?continue=999999999`)).status).toBe(400);
      expect(findCondition(await getTrigger(server.url, n, 'pv'), 'Triggered')).toMatchObject({ status: 'True' });
    });
  });

  // Keeps the receiver's raw requests typed for the helpers above.
  it('every delivery the receiver got was signed with the namespace key', () => {
    const signed = rx.received.filter((r: Received) => r.path !== '/rot');
    expect(signed.length).toBeGreaterThan(10);
    for (const r of signed) expect(() => new Webhook(key).verify(r.body, headerStrings(r.headers))).not.toThrow();
  });
});

/**
 * The same rules with a real docker-registry notifying the api: one skopeo push to a tag that
 * another tag of the stream follows moves both, and each dependent fires once.
 */
(registryUnavailableReason() ? describe.skip : describe)('image change triggers: conformance with registry pushes (s15)', () => {
  const rx = new Receiver();
  let stack: TriggerServerWithRegistry;
  let layout: OciLayout;
  const n = 'c15-reg';
  beforeAll(async () => {
    await rx.start();
    stack = await startTriggerServerWithRegistry();
    layout = await OciLayout.create();
  }, 120000);
  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
    rx.close();
  });

  it('a push moving a tag and its alias updates a workload following both once, and each Trigger once', async () => {
    const url = stack.server.url;
    expect((await createSigningSecret(url, n)).status).toBe(201);
    const spec = { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: '3.1' } }] };
    expect((await call('POST', `${url}${IMAGES}/namespaces/${n}/imagestreams`, { metadata: { name: 'ali' }, spec })).status).toBe(201);
    await createTrigger(url, n, 'on-latest', triggerSpec('ali:latest', { kind: 'Webhook', name: 'w' }, rx.url('/reg')));
    await createTrigger(url, n, 'on-31', triggerSpec('ali:3.1', { kind: 'Webhook', name: 'w' }, rx.url('/reg')));
    const entries = [
      { from: { kind: 'ImageStreamTag', name: 'ali:latest' }, fieldPath: 'spec.template.spec.containers[0].image' },
      { from: { kind: 'ImageStreamTag', name: 'ali:3.1' }, fieldPath: 'spec.template.spec.containers[1].image' },
    ];
    const created = await call('POST', `${url}/apis/apps/v1/namespaces/${n}/deployments`, {
      metadata: { name: 'both', annotations: { [ANNOTATION]: JSON.stringify(entries) } },
      spec: { selector: { matchLabels: { app: 'both' } }, template: { metadata: { labels: { app: 'both' } }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] } } },
    });
    expect(created.status).toBe(201);
    const image = await layout.addImage('one', { seed: 'c15-reg-one' });
    await skopeoCopy(layout.dir, 'one', `${stack.registry.host}/${n}/ali:3.1`);
    const got = await rx.waitFor('/reg', 2, 30000);
    const pinned = `${stack.registry.host}/${n}/ali@${image.manifestDigest}`;
    const d = await pollUntil(
      async () => (await call('GET', `${url}/apis/apps/v1/namespaces/${n}/deployments/both`)).body,
      (o) => o.spec.template.spec.containers.every((c: any) => c.image === pinned),
      30000,
    );
    await sleep(1000);
    expect(d.spec.template.spec.containers.map((c: any) => c.image)).toEqual([pinned, pinned]);
    expect((await call('GET', `${url}/apis/apps/v1/namespaces/${n}/deployments/both`)).body.metadata.generation).toBe(created.body.metadata.generation + 1);
    expect(rx.at('/reg').map((r) => r.json.subject).sort()).toEqual([`${n}/ali:3.1`, `${n}/ali:latest`]);
    expect(got.every((r) => r.json.data.new.digest === image.manifestDigest)).toBe(true);
    expect(await listDeliveries(url, n, 'both')).toHaveLength(1);
  });
});
