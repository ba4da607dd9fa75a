import { randomBytes, randomUUID } from 'node:crypto';
import { call, createTestDatabase, testConfig } from '@app/testing';
import type { AppConfig } from '@app/config';
import { Client } from 'pg';
import { bootstrapApi, type ApiServer } from '../apps/api/src/bootstrap';
import { bootstrapWorker, type WorkerProcess } from '../apps/worker/src/bootstrap';
import { EVENTS_TYPE, envelope, fastIngest, postEnvelope, putImage, registryEvent, skopeoDelete, waitFor } from './ingest-harness';
import {
  type BuiltImage,
  describeWithRegistry,
  type NotificationRecorder,
  startNotificationRecorder,
  OciLayout,
  type RunningRegistry,
  skopeo,
  skopeoCopy,
  startRegistry,
} from './support/registry';
import { freeLoopbackPort } from './support/free-port';
import { testQueuePrefix } from './support/queue-prefix';

interface TagEvent {
  created: string;
  dockerImageReference: string;
  image: string;
  generation: number;
}
interface NamedTag {
  tag: string;
  items: TagEvent[];
}

/**
 * Independent black-box checks of registry push ingestion with a real docker-registry 2.8 and
 * skopeo, against README "Registry push ingestion" and what OpenShift's integrated registry does
 * (openshift/image-registry manifestservice.go: a push with a tag is an ImageStreamMapping, one by
 * digest only creates the Image; openshift-apiserver's mapping dedupes only on the newest entry).
 * The api runs on a fixed port so it can be stopped and started again under the registry.
 */
describeWithRegistry('registry ingestion conformance (s15): real registry, skopeo, receiver contract', () => {
  let db: { url: string; drop(): Promise<void> };
  let port: number;
  let secret: string;
  let base: Partial<AppConfig>;
  let api: ApiServer | null = null;
  let registry: RunningRegistry;
  let worker: WorkerProcess;
  let pg: Client;
  let layout: OciLayout;
  const images: Record<string, BuiltImage> = {};

  const apiUrl = () => `http://127.0.0.1:${port}`;
  const notifyUrl = () => `${apiUrl()}/registry/notifications`;
  const ns = (n: string) => `${apiUrl()}/apis/image.openshift.io/v1/namespaces/${n}`;
  const stream = async (n: string, name: string) => call('GET', `${ns(n)}/imagestreams/${name}`);
  const tagItems = async (n: string, name: string, tag: string): Promise<TagEvent[]> =>
    (((await stream(n, name)).body?.status?.tags ?? []) as NamedTag[]).find((t) => t.tag === tag)?.items ?? [];
  const tagNames = async (n: string, name: string): Promise<string[]> =>
    (((await stream(n, name)).body?.status?.tags ?? []) as NamedTag[]).map((t) => t.tag);
  const push = (ref: string, destination: string, all = false) => skopeoCopy(layout.dir, ref, `${registry.host}/${destination}`, { all });
  const rows = async (where: string, params: unknown[] = []) =>
    (await pg.query<{ id: string; kind: string; repository: string; tag: string | null; digest: string | null; state: string; outcome: string | null; reason: string | null }>(
      `SELECT id, kind, repository, tag, digest, state, outcome, reason FROM registry_events WHERE ${where} ORDER BY event_ns`,
      params,
    )).rows;
  /** Waits until `count` stored events of the repository (and tag / digest when given) are settled. */
  const settled = (repository: string, opts: { tag?: string | null; digest?: string; kind?: string; count?: number } = {}) =>
    waitFor(`${opts.count ?? 1} event(s) of ${repository}:${opts.tag} settled`, async () => {
      const conds = ['repository = $1'];
      const params: unknown[] = [repository];
      if (opts.tag !== undefined) {
        params.push(opts.tag);
        conds.push(`tag IS NOT DISTINCT FROM $${params.length}`);
      }
      if (opts.digest) {
        params.push(opts.digest);
        conds.push(`digest = $${params.length}`);
      }
      if (opts.kind) {
        params.push(opts.kind);
        conds.push(`kind = $${params.length}`);
      }
      const r = await rows(conds.join(' AND '), params);
      return r.length >= (opts.count ?? 1) && r.every((x) => x.state !== 'pending') ? r : null;
    }, 30_000);
  const inbox = async (method: string, path: string, auth: string | null = `Bearer ${secret}`) => {
    const headers: Record<string, string> = auth ? { authorization: auth } : {};
    const res = await fetch(`${apiUrl()}/registry/events${path}`, { method, headers });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** Stops the registry and starts a new one on the same port (empty storage, new instanceID). */
  const restartRegistry = async (target: string) => {
    const registryPort = registry.port;
    await registry.stop();
    registry = await startRegistry({ port: registryPort, notifyUrl: target, notifyHeaders: { Authorization: `Bearer ${secret}` }, logLevel: 'warn' });
  };
  const startApi = async () => {
    api = await bootstrapApi(testConfig(db.url, base));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    port = await freeLoopbackPort();
    secret = `s15-${randomBytes(8).toString('hex')}`;
    const registryPort = await freeLoopbackPort();
    // api and worker both know the registry, as in a deployment (status.dockerImageRepository)
    // a retry comes a second after a failed attempt (the race test acts in between)
    base = { ...fastIngest, ingestBackoffMs: 1000, registryNotifySecret: secret, queuePrefix: testQueuePrefix(), port, registryUrl: `http://127.0.0.1:${registryPort}`, internalRegistryHostname: `127.0.0.1:${registryPort}` };
    await startApi();
    registry = await startRegistry({ port: registryPort, notifyUrl: notifyUrl(), notifyHeaders: { Authorization: `Bearer ${secret}` }, logLevel: 'warn' });
    worker = await bootstrapWorker(testConfig(db.url, { ...base, port: 0 }));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    layout = await OciLayout.create();
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) images[name] = await layout.addImage(name, { seed: `s15-${name}` });
  });

  afterAll(async () => {
    await worker?.close();
    await registry?.stop();
    await pg?.end();
    await api?.close();
    await db?.drop();
    await layout?.remove();
  });

  describe('receiver contract', () => {
    it('answers 202 with counts; the same event id again is a duplicate that stores nothing', async () => {
      const e = registryEvent({ repository: 'rcv/app', tag: 'v1', digest: images['a']!.manifestDigest });
      const first = await postEnvelope(notifyUrl(), secret, envelope(e));
      expect(first).toEqual({ status: 202, body: { stored: 1, duplicates: 0, counted: 0 } });
      const again = await postEnvelope(notifyUrl(), secret, envelope(e));
      expect(again).toEqual({ status: 202, body: { stored: 0, duplicates: 1, counted: 0 } });
      expect((await rows('id = $1', [e['id']])).length).toBe(1);
    });

    it('application/json is accepted as well as the registry types (2.x sends events.v1, 3.x events.v2); text/plain is 415', async () => {
      const e = registryEvent({ action: 'pull', repository: 'rcv/app', tag: 'v1', digest: images['a']!.manifestDigest });
      expect((await postEnvelope(notifyUrl(), secret, envelope(e), { 'content-type': 'application/json' })).status).toBe(202);
      expect((await postEnvelope(notifyUrl(), secret, envelope(e), { 'content-type': `${EVENTS_TYPE}; charset=utf-8` })).status).toBe(202);
      // distribution 3.x posts the same envelope as events.v2: refused, it would be resent forever ahead of every later event.
      const v3push = registryEvent({ repository: 'rcv/app', tag: 'v3', digest: images['a']!.manifestDigest });
      const v2Type = await postEnvelope(notifyUrl(), secret, envelope(v3push), { 'content-type': 'application/vnd.docker.distribution.events.v2+json' });
      expect(v2Type).toEqual({ status: 202, body: { stored: 1, duplicates: 0, counted: 0 } });
      expect((await rows('id = $1', [v3push['id']])).length).toBe(1);
      const plain = await postEnvelope(notifyUrl(), secret, envelope(e), { 'content-type': 'text/plain' });
      expect(plain.status).toBe(415);
      expect(plain.body).toMatchObject({ kind: 'Status', code: 415 });
    });

    it('the secret alone, or Bearer in any case, is accepted; a wrong or missing one is a 401 Status', async () => {
      const body = envelope(registryEvent({ action: 'pull', repository: 'rcv/app', digest: images['a']!.manifestDigest }));
      const none: Record<string, string> = {};
      for (const value of [secret, `Bearer ${secret}`, `bearer ${secret}`, `BEARER ${secret}`]) {
        expect((await postEnvelope(notifyUrl(), null, body, { Authorization: value })).status).toBe(202);
      }
      for (const headers of [none, { authorization: 'Bearer nope' }, { authorization: `Basic ${secret}` }]) {
        const r = await postEnvelope(notifyUrl(), null, body, headers);
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ kind: 'Status', code: 401 });
      }
    });

    it('GET, PUT and DELETE are 405 with Allow: POST', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await fetch(notifyUrl(), { method, headers: { authorization: `Bearer ${secret}` } });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
      }
    });

    it('malformed envelopes are 400 and store nothing', async () => {
      const before = (await pg.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n;
      for (const body of ['', '{', '[]', '{"events":{}}', JSON.stringify({ events: [{ id: 'x', action: 'push', target: { repository: 'rcv/app', mediaType: 'application/vnd.oci.image.manifest.v1+json' } }] })]) {
        const r = await postEnvelope(notifyUrl(), secret, body);
        expect(r.status).toBe(400);
      }
      expect((await pg.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n).toBe(before);
    });

    it('an envelope with a manifest push, a pull, a blob push and a mount stores only the manifest push', async () => {
      const push = registryEvent({ repository: 'rcv/mixed', tag: 'v1', digest: images['a']!.manifestDigest });
      const pull = registryEvent({ action: 'pull', repository: 'rcv/mixed', tag: 'v1', digest: images['a']!.manifestDigest });
      const blob = registryEvent({ repository: 'rcv/mixed', digest: images['a']!.configDigest, mediaType: 'application/octet-stream' });
      const mount = registryEvent({ action: 'mount', repository: 'rcv/mixed', digest: images['a']!.configDigest, mediaType: 'application/octet-stream' });
      const r = await postEnvelope(notifyUrl(), secret, envelope(push, pull, blob, mount));
      expect(r).toEqual({ status: 202, body: { stored: 1, duplicates: 0, counted: 3 } });
      expect((await rows(`repository = 'rcv/mixed'`)).map((x) => x.id)).toEqual([push['id']]);
    });
  });

  describe('pushes with skopeo', () => {
    it('the first push creates the stream (in a namespace nobody created) and tags the image as a mapping would', async () => {
      const a = images['a']!;
      await push('a', 'fresh-ns/app:v1');
      await settled('fresh-ns/app', { tag: 'v1' });
      const s = (await stream('fresh-ns', 'app')).body;
      expect(s.metadata.generation).toBe(1);
      expect(s.status.dockerImageRepository).toBe(`${registry.host}/fresh-ns/app`);
      const items = await tagItems('fresh-ns', 'app', 'v1');
      expect(items).toEqual([{ created: expect.any(String), dockerImageReference: `${registry.host}/fresh-ns/app@${a.manifestDigest}`, image: a.manifestDigest, generation: 1 }]);
      const img = (await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${a.manifestDigest}`)).body;
      expect(img.metadata.annotations).toMatchObject({ 'openshift.io/image.managed': 'true' });
      expect((await call('GET', `${apiUrl()}/api/v1/namespaces/fresh-ns`)).body.status.phase).toBe('Active');
    });

    it('the same image under a second tag: one Image, a second tag with one entry; the first tag untouched', async () => {
      const a = images['a']!;
      const before = await tagItems('fresh-ns', 'app', 'v1');
      await push('a', 'fresh-ns/app:v2');
      await settled('fresh-ns/app', { tag: 'v2' });
      expect((await tagItems('fresh-ns', 'app', 'v2')).map((i) => i.image)).toEqual([a.manifestDigest]);
      expect(await tagItems('fresh-ns', 'app', 'v1')).toEqual(before);
    });

    it('a re-push of the same digest to the same tag keeps one entry (the top entry is the same image)', async () => {
      const s0 = (await stream('fresh-ns', 'app')).body;
      await push('a', 'fresh-ns/app:v1');
      await settled('fresh-ns/app', { tag: 'v1', count: 2 });
      const items = await tagItems('fresh-ns', 'app', 'v1');
      expect(items.map((i) => i.image)).toEqual([images['a']!.manifestDigest]);
      expect(items[0]!.created).toBe(s0.status.tags.find((t: NamedTag) => t.tag === 'v1').items[0].created);
    });

    it('A→B→A on one tag: three entries newest first (only the newest entry is deduplicated, as upstream)', async () => {
      await push('b', 'fresh-ns/app:v1');
      await settled('fresh-ns/app', { tag: 'v1', digest: images['b']!.manifestDigest });
      await push('a', 'fresh-ns/app:v1');
      await settled('fresh-ns/app', { tag: 'v1', count: 4 });
      expect((await tagItems('fresh-ns', 'app', 'v1')).map((i) => i.image)).toEqual([images['a']!.manifestDigest, images['b']!.manifestDigest, images['a']!.manifestDigest]);
    });

    it('a push by digest only records the Image; an existing stream is not written', async () => {
      const c = images['c']!;
      const rv = (await stream('fresh-ns', 'app')).body.metadata.resourceVersion;
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout.dir}:c`, `docker://${registry.host}/fresh-ns/app@${c.manifestDigest}`]);
      const [row] = await settled('fresh-ns/app', { tag: null, digest: c.manifestDigest });
      expect(row).toMatchObject({ kind: 'manifest-push', state: 'processed', outcome: 'image-recorded' });
      expect((await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${c.manifestDigest}`)).status).toBe(200);
      expect((await stream('fresh-ns', 'app')).body.metadata.resourceVersion).toBe(rv);
      // by digest into a repository with no stream: no stream is created
      const d = images['d']!;
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout.dir}:d`, `docker://${registry.host}/fresh-ns/bydigest@${d.manifestDigest}`]);
      await settled('fresh-ns/bydigest', { tag: null, digest: d.manifestDigest });
      expect((await stream('fresh-ns', 'bydigest')).status).toBe(404);
    });

    it('pulls (inspect, copy out) store nothing and write nothing', async () => {
      const rv = (await stream('fresh-ns', 'app')).body.metadata.resourceVersion;
      const n = (await pg.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n;
      await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/fresh-ns/app:v1`]);
      await skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/fresh-ns/app:v1`, `dir:${layout.dir}-pulled`]);
      await new Promise((r) => setTimeout(r, 500));
      expect((await pg.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n).toBe(n);
      expect((await stream('fresh-ns', 'app')).body.metadata.resourceVersion).toBe(rv);
    });

    it('a spec tag tracking the pushed tag moves with it', async () => {
      const created = await call('POST', `${ns('alias')}/imagestreams`, {
        metadata: { name: 'app' },
        spec: { tags: [{ name: 'latest', from: { kind: 'ImageStreamTag', name: 'v1' } }] },
      });
      expect(created.status).toBe(201);
      await push('e', 'alias/app:v1');
      await settled('alias/app', { tag: 'v1' });
      expect((await tagItems('alias', 'app', 'latest')).map((i) => i.image)).toEqual([images['e']!.manifestDigest]);
    });

    it('repositories that are not <namespace>/<name>, or whose namespace is invalid, are ignored with a reason and create nothing', async () => {
      await push('a', 'single:v1');
      await push('a', 'deep/team/app:v1');
      await push('a', 'bad_ns/app:v1');
      for (const repo of ['single', 'deep/team/app', 'bad_ns/app']) {
        const [row] = await settled(repo, { tag: 'v1' });
        expect(row).toMatchObject({ state: 'ignored' });
        expect(row!.reason).toContain(repo);
      }
      expect((await stream('deep', 'team')).status).toBe(404);
    });

    it('a long stream name the registry accepts is a stream', async () => {
      const name = `l${'o'.repeat(180)}ng`;
      await push('a', `long/${name}:v1`);
      const [row] = await settled(`long/${name}`, { tag: 'v1' });
      expect(row).toMatchObject({ state: 'processed', outcome: 'tagged' });
      expect((await tagItems('long', name, 'v1')).map((i) => i.image)).toEqual([images['a']!.manifestDigest]);
    });

    it('a 128-character tag and tags with dots, dashes and underscores are tags', async () => {
      const tags = [`T${'x'.repeat(127)}`, '_t', 'v1.2-rc_3'];
      for (const tag of tags) await push('a', `tags/app:${tag}`);
      for (const tag of tags) await settled('tags/app', { tag });
      expect((await tagNames('tags', 'app')).sort()).toEqual([...tags].sort());
    });

    it('a two-platform index (copy --all): children recorded by digest without tags, the index tagged', async () => {
      const idx = await layout.addIndex('multi', [
        { seed: 's15-multi', architecture: 'amd64' },
        { seed: 's15-multi', architecture: 'arm64', variant: 'v8' },
      ]);
      await push('multi', 'multi/app:v1', true);
      await settled('multi/app', { tag: 'v1' });
      expect(await tagNames('multi', 'app')).toEqual(['v1']);
      expect((await tagItems('multi', 'app', 'v1')).map((i) => i.image)).toEqual([idx.indexDigest]);
      const list = (await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${idx.indexDigest}`)).body;
      expect((list.dockerImageManifests as { digest: string }[]).map((m) => m.digest).sort()).toEqual(idx.images.map((i) => i.manifestDigest).sort());
    });
  });

  describe('deletes through the registry API', () => {
    it('skopeo delete of a manifest on two tags: both tags leave status, the Image stays, the other stream keeps it', async () => {
      const f = images['f']!;
      await push('f', 'del/app:one');
      await push('f', 'del/app:two');
      await push('g', 'del/app:keep');
      await push('f', 'del/other:v1');
      await settled('del/app', { kind: 'manifest-push', count: 3 });
      await settled('del/other', { tag: 'v1' });
      await skopeoDelete(registry.host, 'del/app', f.manifestDigest);
      await settled('del/app', { kind: 'tag-delete', count: 2 });
      await settled('del/app', { kind: 'manifest-delete' });
      expect(await tagNames('del', 'app')).toEqual(['keep']);
      expect((await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${f.manifestDigest}`)).status).toBe(200);
      expect((await tagItems('del', 'other', 'v1')).map((i) => i.image)).toEqual([f.manifestDigest]);
    });

    it('a delete of a manifest that is not the newest entry removes it from the history only', async () => {
      const h = images['h']!;
      const i = images['i']!;
      await push('h', 'del/hist:v1');
      await settled('del/hist', { tag: 'v1' });
      await push('i', 'del/hist:v1');
      await settled('del/hist', { tag: 'v1', count: 2 });
      // h is no longer tagged in the registry: deleting it removes only its history entry
      await skopeoDelete(registry.host, 'del/hist', h.manifestDigest);
      await settled('del/hist', { kind: 'manifest-delete' });
      expect((await tagItems('del', 'hist', 'v1')).map((x) => x.image)).toEqual([i.manifestDigest]);
    });
  });

  describe('delivery semantics', () => {
    it('a burst of 40 images pushed to one tag: all recorded, history in push order, the tag on the last', async () => {
      const burst: BuiltImage[] = [];
      for (let n = 0; n < 40; n++) burst.push(await layout.addImage(`burst-${n}`, { seed: `s15-burst-${n}` }));
      for (const img of burst) await putImage(registry.url, 'burst/app', layout.dir, img, 'v1');
      await settled('burst/app', { tag: 'v1', count: 40 });
      const items = await tagItems('burst', 'app', 'v1');
      expect(items.map((i) => i.image)).toEqual([...burst].reverse().map((i) => i.manifestDigest));
      const outcomes = await rows(`repository = 'burst/app'`);
      expect(outcomes.every((r) => r.state === 'processed' && r.outcome === 'tagged')).toBe(true);
    });

    it('20 clients pushing different images to one tag at once: the tag ends on what the registry holds, every image recorded', async () => {
      const racers: BuiltImage[] = [];
      for (let n = 0; n < 20; n++) racers.push(await layout.addImage(`racer-${n}`, { seed: `s15-racer-${n}` }));
      await Promise.all(racers.map((img) => putImage(registry.url, 'contend/app', layout.dir, img, 'v1')));
      await settled('contend/app', { tag: 'v1', count: 20 });
      const head = await fetch(`${registry.url}/v2/contend/app/manifests/v1`, { method: 'HEAD', headers: { accept: racers[0]!.manifestMediaType } });
      const held = head.headers.get('docker-content-digest');
      expect(held).toMatch(/^sha256:/);
      expect((await tagItems('contend', 'app', 'v1'))[0]!.image).toBe(held);
      for (const img of racers) expect((await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${img.manifestDigest}`)).status).toBe(200);
    });

    it('pushes to 30 tags at once: every tag recorded', async () => {
      const many = Array.from({ length: 30 }, (_, n) => `t${n}`);
      await Promise.all(many.map((tag, n) => putImage(registry.url, 'wide/app', layout.dir, images['abcdefghi'[n % 9]!]!, tag)));
      await settled('wide/app', { kind: 'manifest-push', count: 30 });
      expect((await tagNames('wide', 'app')).sort()).toEqual([...many].sort());
    });

    it('a real event delivered again (a registry retry after a timeout) changes nothing', async () => {
      const [row] = await rows(`repository = 'fresh-ns/app' AND tag = 'v2'`);
      const raw = (await pg.query('SELECT event FROM registry_events WHERE id = $1', [row!.id])).rows[0].event;
      const rv = (await stream('fresh-ns', 'app')).body.metadata.resourceVersion;
      expect(await postEnvelope(notifyUrl(), secret, envelope(raw))).toEqual({ status: 202, body: { stored: 0, duplicates: 1, counted: 0 } });
      await new Promise((r) => setTimeout(r, 300));
      expect((await stream('fresh-ns', 'app')).body.metadata.resourceVersion).toBe(rv);
    });

    it('the api down during a push: the registry retries, and the push is recorded once the api is back', async () => {
      await api!.close();
      api = null;
      await push('c', 'outage/app:v1');
      await new Promise((r) => setTimeout(r, 1500));
      await startApi();
      const [row] = await settled('outage/app', { tag: 'v1' });
      expect(row).toMatchObject({ state: 'processed', outcome: 'tagged' });
      expect((await tagItems('outage', 'app', 'v1')).map((i) => i.image)).toEqual([images['c']!.manifestDigest]);
    });

    it('a registry restarted while the api is down loses its queued event (as README says); pushing again records the image', async () => {
      await api!.close();
      api = null;
      await push('c', 'lost/app:v1');
      await restartRegistry(notifyUrl());
      await startApi();
      await new Promise((r) => setTimeout(r, 2500));
      expect(await rows(`repository = 'lost/app'`)).toEqual([]);
      expect((await stream('lost', 'app')).status).toBe(404);
      await push('c', 'lost/app:v1');
      await settled('lost/app', { tag: 'v1' });
      expect((await tagItems('lost', 'app', 'v1')).map((i) => i.image)).toEqual([images['c']!.manifestDigest]);
    });

    it('after a registry restart (new process, new instanceID, another clock) a push to a tag pushed before still moves it', async () => {
      await push('d', 'restart/app:v1');
      await settled('restart/app', { tag: 'v1' });
      await restartRegistry(notifyUrl());
      await push('e', 'restart/app:v1');
      const [, second] = await settled('restart/app', { tag: 'v1', count: 2 });
      expect(second).toMatchObject({ state: 'processed', outcome: 'tagged', reason: null });
      expect((await tagItems('restart', 'app', 'v1')).map((i) => i.image)).toEqual([images['e']!.manifestDigest, images['d']!.manifestDigest]);
    });
  });

  /** The registry notifies a recorder; the test relays its real events to the api, reordered or changed. */
  describe('real events relayed by hand', () => {
    let recorder: NotificationRecorder;
    const pushEvent = (repository: string, digest: string) =>
      recorder.waitForEvent((e) => e.action === 'push' && e.target.repository === repository && e.target.digest === digest && !!e.target.tag, 10_000);
    beforeAll(async () => {
      recorder = await startNotificationRecorder();
      await restartRegistry(recorder.url);
    });
    afterAll(async () => {
      await recorder?.close();
    });

    it('two pushes to one tag delivered newest first: the tag stays on the newest, the older image is still recorded', async () => {
      await push('f', 'ooo/app:v1');
      await push('g', 'ooo/app:v1');
      const older = await pushEvent('ooo/app', images['f']!.manifestDigest);
      const newer = await pushEvent('ooo/app', images['g']!.manifestDigest);
      expect((await postEnvelope(notifyUrl(), secret, envelope(newer as never))).status).toBe(202);
      await settled('ooo/app', { tag: 'v1' });
      expect((await postEnvelope(notifyUrl(), secret, envelope(older as never))).status).toBe(202);
      const both = await settled('ooo/app', { tag: 'v1', count: 2 });
      expect(both.find((r) => r.id === older.id)).toMatchObject({ state: 'processed', outcome: 'superseded' });
      expect((await tagItems('ooo', 'app', 'v1')).map((i) => i.image)).toEqual([images['g']!.manifestDigest]);
      expect((await call('GET', `${apiUrl()}/apis/image.openshift.io/v1/images/${images['f']!.manifestDigest}`)).status).toBe(200);
    });

    it('a registry whose clock stepped back: a later push stamped before the last applied one still moves the tag to what the registry holds', async () => {
      await push('h', 'clock/app:v1');
      const first = await pushEvent('clock/app', images['h']!.manifestDigest);
      await postEnvelope(notifyUrl(), secret, envelope(first as never));
      await settled('clock/app', { tag: 'v1' });
      await push('i', 'clock/app:v1');
      const second = await pushEvent('clock/app', images['i']!.manifestDigest);
      const stepped = { ...second, timestamp: new Date(Date.parse(first.timestamp) - 1000).toISOString().replace('Z', '000000Z') };
      expect((await postEnvelope(notifyUrl(), secret, envelope(stepped as never))).status).toBe(202);
      await settled('clock/app', { tag: 'v1', count: 2 });
      expect((await tagItems('clock', 'app', 'v1')).map((i) => i.image)).toEqual([images['i']!.manifestDigest, images['h']!.manifestDigest]);
    });
    it('a push event processed before the registry has written its tag (distribution notifies first): the tag still moves', async () => {
      const h = images['h']!;
      const i = images['i']!;
      await push('h', 'race/app:v1');
      await postEnvelope(notifyUrl(), secret, envelope((await pushEvent('race/app', h.manifestDigest)) as never));
      await settled('race/app', { tag: 'v1' });
      // i's manifest is in the registry (pushed by digest), its tag not yet: the state between
      // distribution's manifest Put, which queues the event, and its tags.Tag. The event comes from
      // another registry replica (another instanceID), so the worker asks the registry about the tag.
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout.dir}:i`, `docker://${registry.host}/race/app@${i.manifestDigest}`]);
      const byDigest = await recorder.waitForEvent((e) => e.action === 'push' && e.target.repository === 'race/app' && e.target.digest === i.manifestDigest);
      const ahead = { ...byDigest, id: randomUUID(), target: { ...byDigest.target, tag: 'v1' }, source: { addr: 'replica-2:5000', instanceID: randomUUID() } };
      expect((await postEnvelope(notifyUrl(), secret, envelope(ahead as never))).status).toBe(202);
      // the worker has looked once (and found h), or settled the event
      await waitFor('first look at the tag', async () => {
        const r = (await pg.query('SELECT state, attempts FROM registry_events WHERE id = $1', [ahead.id])).rows[0];
        return r && (r.state !== 'pending' || r.attempts > 0);
      });
      // now the registry writes the tag
      const put = await fetch(`${registry.url}/v2/race/app/manifests/v1`, { method: 'PUT', headers: { 'content-type': i.manifestMediaType }, body: i.manifest });
      expect(put.status).toBe(201);
      const [row] = await settled('race/app', { tag: 'v1', digest: i.manifestDigest });
      expect(row).toMatchObject({ state: 'processed', outcome: 'tagged' });
      expect((await tagItems('race', 'app', 'v1')).map((x) => x.image)).toEqual([i.manifestDigest, h.manifestDigest]);
    });
    it('a tag flipped back (A→B→A) whose last push is reported late: the middle push still enters the history', async () => {
      const h = images['h']!;
      const i = images['i']!;
      await push('h', 'flip/app:v1');
      const first = await pushEvent('flip/app', h.manifestDigest);
      await postEnvelope(notifyUrl(), secret, envelope(first as never));
      // Pushed within a second or two of the first: the middle push is checked against the registry.
      await push('i', 'flip/app:v1');
      const middle = await pushEvent('flip/app', i.manifestDigest);
      await push('h', 'flip/app:v1');
      const last = await recorder.waitForEvent(
        (e) => e.action === 'push' && e.target.repository === 'flip/app' && e.target.digest === h.manifestDigest && !!e.target.tag && e.id !== first.id,
        10_000,
      );
      await settled('flip/app', { tag: 'v1' });
      // The registry holds h again, as after the first push; the last push's notification is late.
      expect((await postEnvelope(notifyUrl(), secret, envelope(middle as never))).status).toBe(202);
      await waitFor('two looks at the tag', async () => {
        const r = (await pg.query('SELECT state, attempts FROM registry_events WHERE id = $1', [middle.id])).rows[0];
        return r && (r.state !== 'pending' || r.attempts >= 2);
      });
      expect((await rows('id = $1', [middle.id]))[0]).toMatchObject({ state: 'pending' });
      expect((await postEnvelope(notifyUrl(), secret, envelope(last as never))).status).toBe(202);
      const done = await settled('flip/app', { tag: 'v1', count: 3 });
      expect(done.map((r) => r.outcome)).toEqual(['tagged', 'tagged', 'tagged']);
      expect((await tagItems('flip', 'app', 'v1')).map((x) => x.image)).toEqual([h.manifestDigest, i.manifestDigest, h.manifestDigest]);
    });
  });

  describe('inbox API', () => {
    it('pages with limit and continue; a limit out of 1..1000 or a forged continue is 400', async () => {
      const first = await inbox('GET', '?limit=5');
      expect(first.body.items).toHaveLength(5);
      const second = await inbox('GET', `?limit=5&continue=${encodeURIComponent(first.body.continue)}`);
      expect(second.status).toBe(200);
      const ids = [...first.body.items, ...second.body.items].map((i: { id: string }) => i.id);
      expect(new Set(ids).size).toBe(10);
      expect([...ids].sort()).toEqual(ids);
      for (const q of ['?limit=0', '?limit=1001', '?limit=x', '?continue=bm9wZQ']) expect((await inbox('GET', q)).status).toBe(400);
    });

    it('lists by state with counts, reads one, 404 for an unknown id, 401 without the secret', async () => {
      const list = await inbox('GET', '?state=ignored&limit=2');
      expect(list.status).toBe(200);
      expect(list.body.kind).toBe('RegistryEventList');
      expect(list.body.items.length).toBeLessThanOrEqual(2);
      expect(list.body.items.every((i: { state: string }) => i.state === 'ignored')).toBe(true);
      expect(list.body.counts.ignored).toBeGreaterThanOrEqual(3);
      expect((await inbox('GET', `/${randomUUID()}`)).status).toBe(404);
      expect((await inbox('GET', '', null)).status).toBe(401);
      expect((await inbox('GET', '?state=bogus')).status).toBe(400);
    });

    it('redrives an ignored event (settled again the same way, redrives counted); a processed one is 409', async () => {
      const [ignored] = await rows(`repository = 'deep/team/app'`);
      const r = await inbox('POST', `/${ignored!.id}/redrive`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ state: 'pending', redrives: 1, attempts: 0 });
      const done = await waitFor('redriven event settled', async () => {
        const g = await inbox('GET', `/${ignored!.id}`);
        return g.body.state !== 'pending' ? g.body : null;
      });
      expect(done).toMatchObject({ state: 'ignored', redrives: 1, attempts: 1 });
      const [processed] = await rows(`repository = 'fresh-ns/app' AND tag = 'v2'`);
      expect((await inbox('POST', `/${processed!.id}/redrive`)).status).toBe(409);
    });
  });
});
