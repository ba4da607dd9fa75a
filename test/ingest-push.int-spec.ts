import { randomUUID } from 'node:crypto';
import { call } from '@app/testing';
import { MediaTypes } from '@app/registry';
import {
  envelope,
  inboxCall,
  type IngestStack,
  nanosToRfc3339,
  postEnvelope,
  putImage,
  registryEvent,
  startIngestStack,
  waitFor,
} from './ingest-harness';
import { type BuiltImage, type BuiltIndex, deleteManifest, OciLayout, registryUnavailableReason, skopeoCopy } from './support/registry';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry ingestion tests skipped: ${skipReason}`);

const NS = 'pushes';
const REPO = `${NS}/app`;

interface TagList {
  tag: string;
  items: { image: string; dockerImageReference: string; generation: number; created: string }[];
}

describeRegistry('registry push ingestion against a real docker-registry', () => {
  let stack: IngestStack;
  let layout: OciLayout;
  let a: BuiltImage;
  let b: BuiltImage;
  let c: BuiltImage;
  let d: BuiltImage;
  /** Never pushed: the registry has no manifest of it anywhere. */
  let never: BuiltImage;
  let multi: BuiltIndex;

  const stream = async (name = 'app') => (await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreams/${name}`)).body;
  const tags = async (name = 'app'): Promise<Map<string, TagList>> => {
    const s = await stream(name);
    return new Map(((s?.status?.tags ?? []) as TagList[]).map((t) => [t.tag, t]));
  };
  const tagImages = async (tag: string, name = 'app') => (await tags(name)).get(tag)?.items.map((i) => i.image) ?? [];
  const image = async (digest: string) => (await call('GET', `${stack.api.base}/images/${digest}`)).body;
  const push = (ref: string, dest: string, opts: { all?: boolean } = {}) => skopeoCopy(layout.dir, ref, `${stack.registry!.host}/${dest}`, opts);
  const settled = (id: string) =>
    waitFor(`event ${id} settled`, async () => {
      const r = await inboxCall(stack.api, stack.secret, 'GET', `/${id}`);
      return r.status === 200 && r.body.state !== 'pending' ? r.body : null;
    });
  const pending = async () => Number((await stack.pg.query(`SELECT count(*) AS n FROM registry_events WHERE state = 'pending'`)).rows[0].n);
  const quiet = () => waitFor('inbox drained', async () => (await pending()) === 0, 15000);

  beforeAll(async () => {
    stack = await startIngestStack({ registry: true });
    layout = await OciLayout.create();
    a = await layout.addImage('a', {
      seed: 'ingest-a',
      layerCount: 2,
      env: ['PATH=/usr/bin', 'MODE=a'],
      entrypoint: ['/usr/bin/app'],
      cmd: ['--serve'],
      labels: { 'io.k8s.display-name': 'app a' },
      user: '1001',
      workingDir: '/srv',
      exposedPorts: ['8080/tcp'],
      created: '2024-05-01T10:00:00Z',
    });
    b = await layout.addImage('b', { seed: 'ingest-b', created: '2024-05-02T10:00:00Z' });
    c = await layout.addImage('c', { seed: 'ingest-c' });
    d = await layout.addImage('d', { seed: 'ingest-d' });
    never = await layout.addImage('never', { seed: 'ingest-never' });
    multi = await layout.addIndex('multi', [
      { seed: 'ingest-multi', architecture: 'amd64' },
      { seed: 'ingest-multi', architecture: 'arm64', variant: 'v8' },
    ]);
  });

  afterAll(async () => {
    await stack?.close();
    await layout?.remove();
  });

  describe('receiver contract', () => {
    const push1 = () => registryEvent({ repository: 'contract/app', tag: 'x', digest: a.manifestDigest });

    it('401 without or with a wrong secret, as a Status', async () => {
      const none = await postEnvelope(stack.notifyUrl, null, envelope(push1()));
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
      expect((await postEnvelope(stack.notifyUrl, 'wrong', envelope(push1()))).status).toBe(401);
      // The secret alone (no Bearer prefix) is accepted too.
      const bare = await postEnvelope(stack.notifyUrl, null, envelope(registryEvent({ repository: 'contract/app', action: 'pull', digest: a.manifestDigest })), {
        authorization: stack.secret,
      });
      expect(bare.status).toBe(202);
      // The auth scheme is case-insensitive (RFC 7235).
      const lower = await postEnvelope(stack.notifyUrl, null, envelope(registryEvent({ repository: 'contract/app', action: 'pull', digest: a.manifestDigest })), {
        authorization: `bearer ${stack.secret}`,
      });
      expect(lower.status).toBe(202);
    });

    it('405 Status with Allow: POST for other methods', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await fetch(stack.notifyUrl, { method, headers: { authorization: `Bearer ${stack.secret}` } });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST');
        expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405 });
      }
    });

    it('400 Status for malformed envelopes, naming the field; 415 for other body types', async () => {
      const bad = await postEnvelope(stack.notifyUrl, stack.secret, '{"events": [');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
      const noList = await postEnvelope(stack.notifyUrl, stack.secret, { events: {} });
      expect(noList.body.message).toMatch(/events: must be a list/);
      const noTime = await postEnvelope(stack.notifyUrl, stack.secret, envelope({ ...push1(), timestamp: 'yesterday' }));
      expect(noTime.status).toBe(400);
      expect(noTime.body.message).toMatch(/events\[0\]\.timestamp: must be an RFC 3339 time/);
      const noDigest = await postEnvelope(stack.notifyUrl, stack.secret, envelope(registryEvent({ repository: 'contract/app', tag: 'x' })));
      expect(noDigest.body.message).toMatch(/events\[0\]\.target\.digest: required/);
      const text = await postEnvelope(stack.notifyUrl, stack.secret, JSON.stringify(envelope(push1())), { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(await stack.pg.query(`SELECT 1 FROM registry_events WHERE repository = 'contract/app'`)).toMatchObject({ rowCount: 0 });
    });

    it('stores manifest events once (a repeat is a no-op), counts pull and blob events without storing them', async () => {
      const ev = push1();
      const pull = registryEvent({ action: 'pull', repository: 'contract/app', digest: a.manifestDigest, tag: 'x' });
      const blob = registryEvent({ repository: 'contract/app', digest: a.layers[0]!.digest, mediaType: 'application/octet-stream' });
      const first = await postEnvelope(stack.notifyUrl, stack.secret, envelope(ev, pull, blob));
      expect(first).toMatchObject({ status: 202, body: { stored: 1, duplicates: 0, counted: 2 } });
      const again = await postEnvelope(stack.notifyUrl, stack.secret, envelope(ev));
      expect(again).toMatchObject({ status: 202, body: { stored: 0, duplicates: 1, counted: 0 } });
      const rows = await stack.pg.query(`SELECT id FROM registry_events WHERE repository = 'contract/app'`);
      expect(rows.rows.map((r) => r.id)).toEqual([ev['id']]);
      const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
      expect(metrics).toMatch(/imagestreamd_registry_events_total\{action="pull",target="manifest",outcome="counted"\} [1-9]/);
      expect(metrics).toMatch(/imagestreamd_registry_events_total\{action="push",target="blob",outcome="counted"\} [1-9]/);
      expect(metrics).toMatch(/imagestreamd_registry_events_total\{action="push",target="manifest",outcome="duplicate"\} [1-9]/);
      await settled(String(ev['id']));
    });

    it('records other repository shapes as ignored, with the reason', async () => {
      const one = registryEvent({ repository: 'lonely', tag: 'v1', digest: a.manifestDigest });
      const three = registryEvent({ repository: 'a/b/c', tag: 'v1', digest: a.manifestDigest });
      const badNs = registryEvent({ repository: 'under_score/app', tag: 'v1', digest: a.manifestDigest });
      expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(one, three, badNs))).status).toBe(202);
      for (const ev of [one, three, badNs]) {
        const row = await settled(String(ev['id']));
        expect(row).toMatchObject({ state: 'ignored', outcome: 'ignored' });
      }
      // The reason is the message itself, without a generic "Error: " prefix.
      expect((await settled(String(one['id']))).reason).toBe('repository "lonely" is not of the form <namespace>/<name> (1 path component)');
      expect((await settled(String(badNs['id']))).reason).toMatch(/^repository "under_score\/app" does not map to an image stream: namespace/);
    });
  });

  describe('pushes with skopeo', () => {
    it('a single-arch image: the stream is created, the tag points at an Image with full metadata', async () => {
      await push('a', `${REPO}:v1`);
      await waitFor('tag v1', async () => (await tagImages('v1')).length === 1);
      const s = await stream();
      expect(s.metadata).toMatchObject({ name: 'app', namespace: NS });
      const v1 = (await tags()).get('v1')!;
      const ref = `${stack.registry!.host}/${REPO}@${a.manifestDigest}`;
      expect(v1.items).toEqual([expect.objectContaining({ image: a.manifestDigest, dockerImageReference: ref, generation: 1 })]);

      const img = await image(a.manifestDigest);
      expect(img.metadata.annotations).toEqual({
        'image.openshift.io/dockerLayersOrder': 'ascending',
        'image.openshift.io/manifestBlobStored': 'true',
        'openshift.io/image.managed': 'true',
      });
      expect(img.dockerImageReference).toBe(ref);
      expect(img.dockerImageManifestMediaType).toBe(MediaTypes.ociManifest);
      expect(img.dockerImageLayers).toEqual(a.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })));
      expect(img.dockerImageMetadata).toMatchObject({
        Id: a.configDigest,
        Created: '2024-05-01T10:00:00Z',
        Architecture: 'amd64',
        Size: a.configSize + a.layers.reduce((n, l) => n + l.size, 0),
        Config: {
          Env: ['PATH=/usr/bin', 'MODE=a'],
          Entrypoint: ['/usr/bin/app'],
          Cmd: ['--serve'],
          Labels: { 'io.k8s.display-name': 'app a' },
          User: '1001',
          WorkingDir: '/srv',
          ExposedPorts: { '8080/tcp': {} },
        },
      });
      // manifestBlobStored: the raw manifest and config stay in the registry.
      expect(img.dockerImageManifest).toBeFalsy();
      expect(img.dockerImageConfig).toBeFalsy();
      // The ImageStreamTag view serves it too.
      const istag = await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreamtags/app:v1`);
      if (istag.status !== 404) expect(istag.body.image.metadata.name).toBe(a.manifestDigest);
      // The inbox counts the attempt that settled the push (was 0 for an event processed at the first try).
      const list = await inboxCall(stack.api, stack.secret, 'GET', '?state=processed&limit=100');
      const pushed = list.body.items.find((e: { tag: string | null; digest: string }) => e.tag === 'v1' && e.digest === a.manifestDigest);
      expect(pushed).toMatchObject({ kind: 'manifest-push', repository: REPO, state: 'processed', outcome: 'tagged', attempts: 1, redrives: 0 });
    });

    it('a second tag on the same image reuses the Image', async () => {
      const before = (await stack.pg.query(`SELECT resource_version FROM images WHERE name = $1`, [a.manifestDigest])).rows[0];
      await push('a', `${REPO}:latest`);
      await waitFor('tag latest', async () => (await tagImages('latest')).length === 1);
      expect(await tagImages('latest')).toEqual([a.manifestDigest]);
      expect(await tagImages('v1')).toEqual([a.manifestDigest]);
      const after = (await stack.pg.query(`SELECT resource_version FROM images WHERE name = $1`, [a.manifestDigest])).rows[0];
      expect(after).toEqual(before);
    });

    it('a changed image on an existing tag moves it and keeps the history, newest first', async () => {
      await push('b', `${REPO}:v1`);
      await waitFor('v1 moved', async () => (await tagImages('v1'))[0] === b.manifestDigest);
      expect(await tagImages('v1')).toEqual([b.manifestDigest, a.manifestDigest]);
      expect(await tagImages('latest')).toEqual([a.manifestDigest]);
      expect((await image(b.manifestDigest)).dockerImageMetadata.Created).toBe('2024-05-02T10:00:00Z');
    });

    it('a two-platform index: children become Images, the tagged index lists them', async () => {
      await push('multi', `${REPO}:multi`, { all: true });
      await waitFor('tag multi', async () => (await tagImages('multi')).length === 1);
      expect(await tagImages('multi')).toEqual([multi.indexDigest]);
      const idx = await image(multi.indexDigest);
      expect(idx.dockerImageManifestMediaType).toBe(MediaTypes.ociIndex);
      expect(idx.dockerImageLayers ?? []).toEqual([]);
      expect(idx.dockerImageManifests).toEqual(
        multi.images.map((i) => ({
          digest: i.manifestDigest,
          mediaType: MediaTypes.ociManifest,
          manifestSize: i.manifestSize,
          architecture: i.platform.architecture,
          os: 'linux',
          ...(i.platform.variant ? { variant: i.platform.variant } : {}),
        })),
      );
      for (const child of multi.images) {
        const img = await image(child.manifestDigest);
        expect(img.dockerImageMetadata.Architecture).toBe(child.platform.architecture);
        expect(img.dockerImageLayers).toEqual(child.layers.map((l) => ({ name: l.digest, size: l.size, mediaType: l.mediaType })));
      }
      // The children were pushed by digest first: those events recorded Images and touched no tag.
      await quiet();
      const byDigest = await stack.pg.query(
        `SELECT digest, outcome FROM registry_events WHERE repository = $1 AND tag IS NULL AND kind = 'manifest-push'`,
        [REPO],
      );
      expect(byDigest.rows.map((r) => r.digest).sort()).toEqual(multi.images.map((i) => i.manifestDigest).sort());
      for (const r of byDigest.rows) expect(['image-recorded', 'image-exists']).toContain(r.outcome);
    });

    it('a push by digest only records the Image', async () => {
      await putImage(stack.registry!.url, 'bydigest/app', layout.dir, c, c.manifestDigest);
      await waitFor('image c', async () => (await call('GET', `${stack.api.base}/images/${c.manifestDigest}`)).status === 200);
      const img = await image(c.manifestDigest);
      expect(img.dockerImageReference).toBe(`${stack.registry!.host}/bydigest/app@${c.manifestDigest}`);
      expect(img.dockerImageLayers).toHaveLength(1);
      expect((await call('GET', `${stack.api.base}/namespaces/bydigest/imagestreams/app`)).status).toBe(404);
      const row = await stack.pg.query(`SELECT state, outcome FROM registry_events WHERE repository = 'bydigest/app' AND kind = 'manifest-push'`);
      expect(row.rows).toEqual([{ state: 'processed', outcome: 'image-recorded' }]);
    });
  });

  describe('late, repeated and out-of-order events', () => {
    it('a late push event for an older image never moves the tag back', async () => {
      // Replay the real v1 push of image a with a fresh id: its registry time is older than b's push.
      const original = await stack.pg.query(
        `SELECT event FROM registry_events WHERE repository = $1 AND tag = 'v1' AND digest = $2 AND kind = 'manifest-push'`,
        [REPO, a.manifestDigest],
      );
      const late = { ...original.rows[0].event, id: randomUUID() };
      expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(late))).status).toBe(202);
      const row = await settled(late.id);
      expect(row).toMatchObject({ state: 'processed', outcome: 'superseded' });
      expect(await tagImages('v1')).toEqual([b.manifestDigest, a.manifestDigest]);
    });

    it('an event stamped at the same instant as the last one is settled by asking the registry', async () => {
      const last = await stack.pg.query(`SELECT event FROM registry_events WHERE id = (SELECT event_id FROM registry_tag_positions WHERE repository = $1 AND tag = 'v1')`, [REPO]);
      const twin = { ...last.rows[0].event, id: randomUUID(), target: { ...last.rows[0].event.target, digest: a.manifestDigest } };
      await postEnvelope(stack.notifyUrl, stack.secret, envelope(twin));
      const row = await settled(twin.id);
      expect(row).toMatchObject({ state: 'processed', outcome: 'superseded' });
      expect(row.reason).toContain(`the registry now has ${b.manifestDigest} under this tag`);
      expect(await tagImages('v1')).toEqual([b.manifestDigest, a.manifestDigest]);
    });

    it('an event from another registry instance (another clock) is settled by asking the registry, however far ahead its stamp', async () => {
      const last = await stack.pg.query(`SELECT event FROM registry_events WHERE id = (SELECT event_id FROM registry_tag_positions WHERE repository = $1 AND tag = 'v1')`, [REPO]);
      const skewed = {
        ...last.rows[0].event,
        id: randomUUID(),
        timestamp: nanosToRfc3339((BigInt(Date.now()) + 40_000n) * 1_000_000n),
        source: { addr: 'replica:5000', instanceID: randomUUID() },
        target: { ...last.rows[0].event.target, digest: a.manifestDigest },
      };
      await postEnvelope(stack.notifyUrl, stack.secret, envelope(skewed));
      const row = await settled(skewed.id);
      expect(row).toMatchObject({ state: 'processed', outcome: 'superseded' });
      expect(row.reason).toContain(`the registry now has ${b.manifestDigest} under this tag`);
      expect(await tagImages('v1')).toEqual([b.manifestDigest, a.manifestDigest]);
    });

    it('an event id of any shape (all digits, with ":" and "/") is stored, processed and deduplicated', async () => {
      const base = registryEvent({ repository: `${NS}/ids`, digest: c.manifestDigest });
      const ids = ['12345', `urn:evt/${randomUUID()}`];
      for (const id of ids) {
        // Was: 400 (BullMQ refuses such job ids), so a registry sending them would retry forever.
        expect(await postEnvelope(stack.notifyUrl, stack.secret, envelope({ ...base, id }))).toMatchObject({ status: 202, body: { stored: 1 } });
        expect(await postEnvelope(stack.notifyUrl, stack.secret, envelope({ ...base, id }))).toMatchObject({ status: 202, body: { duplicates: 1 } });
      }
      // c was recorded by the push by digest above: each job ran once and found the Image.
      for (const id of ids) {
        const row = await waitFor(`event ${id} settled`, async () => {
          const r = await stack.pg.query(`SELECT state, outcome, attempts FROM registry_events WHERE id = $1`, [id]);
          return r.rows[0]?.state !== 'pending' ? r.rows[0] : null;
        });
        expect(row).toEqual({ state: 'processed', outcome: 'image-exists', attempts: 1 });
      }
    });

    it('events of one tag stored out of order are applied in registry order', async () => {
      const t0 = BigInt(Date.now()) * 1_000_000n;
      const e1 = registryEvent({ repository: `${NS}/order`, tag: 't', digest: a.manifestDigest, timestamp: nanosToRfc3339(t0) });
      const e2 = registryEvent({ repository: `${NS}/order`, tag: 't', digest: b.manifestDigest, timestamp: nanosToRfc3339(t0 + 1000n) });
      const e3 = registryEvent({ repository: `${NS}/order`, tag: 't', digest: a.manifestDigest, timestamp: nanosToRfc3339(t0 + 2000n) });
      // One envelope, newest first: all three are stored before any job runs.
      expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(e3, e2, e1))).status).toBe(202);
      for (const e of [e1, e2, e3]) await settled(String(e['id']));
      expect(await tagImages('t', 'order')).toEqual([a.manifestDigest, b.manifestDigest, a.manifestDigest]);
    });
  });

  describe('poison events', () => {
    it('are retried with backoff, then failed with the reason; the API lists and redrives them', async () => {
      // d is not in the registry yet: its manifest cannot be read. Pushed by digest, there is no tag
      // to ask the registry about, so a 404 may be a storage that lags: retried, then failed.
      const ghost = registryEvent({ repository: REPO, digest: d.manifestDigest });
      await postEnvelope(stack.notifyUrl, stack.secret, envelope(ghost));
      const failed = await settled(String(ghost['id']));
      expect(failed).toMatchObject({ state: 'failed', outcome: 'failed', attempts: 3 });
      expect(failed.reason).toMatch(/RegistryNotFoundError/);

      const list = await inboxCall(stack.api, stack.secret, 'GET', '?state=failed');
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { id: string }) => i.id)).toContain(ghost['id']);
      expect((await fetch(`${stack.api.url}/registry/events?state=failed`)).status).toBe(401);
      expect((await inboxCall(stack.api, stack.secret, 'GET', '?state=nope')).status).toBe(400);
      // Paging: a token leads on from the last id of a page; one this server did not issue is 400.
      const another = registryEvent({ repository: 'paging-only', tag: 'x', digest: d.manifestDigest });
      expect((await postEnvelope(stack.notifyUrl, stack.secret, envelope(another))).status).toBe(202);
      const first = await inboxCall(stack.api, stack.secret, 'GET', '?limit=1');
      expect(first.body.items).toHaveLength(1);
      const second = await inboxCall(stack.api, stack.secret, 'GET', `?limit=1&continue=${first.body.continue}`);
      expect(second.status).toBe(200);
      expect(second.body.items[0].id > first.body.items[0].id).toBe(true);
      expect((await inboxCall(stack.api, stack.secret, 'GET', '?continue=garbage')).body).toMatchObject({ code: 400, reason: 'BadRequest' });

      // Make the manifest exist in the repository, then redrive.
      await push('d', `${REPO}:d`);
      await waitFor('tag d', async () => (await tagImages('d')).length === 1);
      const redriven = await inboxCall(stack.api, stack.secret, 'POST', `/${String(ghost['id'])}/redrive`);
      expect(redriven).toMatchObject({ status: 200, body: { state: 'pending', redrives: 1, attempts: 0 } });
      expect(await settled(String(ghost['id']))).toMatchObject({ state: 'processed', outcome: 'image-exists', attempts: 1 });

      const again = await inboxCall(stack.api, stack.secret, 'POST', `/${String(ghost['id'])}/redrive`);
      expect(again).toMatchObject({ status: 409, body: { kind: 'Status', reason: 'Conflict' } });
      expect((await inboxCall(stack.api, stack.secret, 'POST', '/no-such-event/redrive')).status).toBe(404);
    });

    it('a push to a tag whose manifest the registry does not have is superseded at once, not retried', async () => {
      // As if pushed and deleted (tag and all) before the worker got to it.
      const gone = registryEvent({ repository: REPO, tag: 'gone', digest: never.manifestDigest });
      await postEnvelope(stack.notifyUrl, stack.secret, envelope(gone));
      const row = await settled(String(gone['id']));
      expect(row).toMatchObject({ state: 'processed', outcome: 'superseded', attempts: 1 });
      expect(row.reason).toBe('superseded: the image is gone from the registry, and so is the tag');
      expect((await tags()).has('gone')).toBe(false);
    });
  });

  describe('deletes by digest', () => {
    it("remove that manifest's history entries and the tags the registry dropped; an emptied tag leaves status", async () => {
      // v1: [b, a], latest: [a]. Deleting b drops the registry's tag v1 (G5): v1 leaves status with its
      // whole history, whichever of the two events runs first; latest keeps a.
      const rvBefore = Number((await stream()).metadata.resourceVersion);
      await deleteManifest(stack.registry!.url, REPO, b.manifestDigest);
      await waitFor('v1 gone', async () => !(await tags()).has('v1'));
      await quiet();
      expect(await tagImages('latest')).toEqual([a.manifestDigest]);
      expect((await call('GET', `${stack.api.base}/namespaces/${NS}/imagestreamtags/app:v1`)).status).toBe(404);
      const deletes = await stack.pg.query(
        `SELECT kind, tag, outcome FROM registry_events WHERE repository = $1 AND kind <> 'manifest-push' ORDER BY event_ns`,
        [REPO],
      );
      expect(deletes.rows.map((r: { kind: string; tag: string | null }) => [r.kind, r.tag])).toEqual([
        ['manifest-delete', null],
        ['tag-delete', 'v1'],
      ]);
      // Whichever runs first removes v1 (the manifest delete untags it, as b was its newest image,
      // as OpenShift's registry untags it); the other finds it gone.
      expect([
        ['history-removed', 'nothing-to-remove'],
        ['nothing-to-remove', 'tag-removed'],
      ]).toContainEqual(deletes.rows.map((r: { outcome: string }) => r.outcome));

      // Deleting a: the registry drops tag latest, which had only a: it leaves status.
      await deleteManifest(stack.registry!.url, REPO, a.manifestDigest);
      await waitFor('a gone', async () => !(await tags()).has('latest'));
      await quiet();
      expect([...(await tags()).keys()].sort()).toEqual(['d', 'multi']);
      // Images are cluster-scoped records and stay (pruning removes them).
      expect((await call('GET', `${stack.api.base}/images/${a.manifestDigest}`)).status).toBe(200);
      // Each removal gave the stream a new resourceVersion (and a change-log entry watchers see).
      expect(Number((await stream()).metadata.resourceVersion)).toBeGreaterThan(rvBefore);
      const changes = await stack.pg.query(
        `SELECT count(*)::int AS n FROM resource_changes WHERE resource = 'imagestreams' AND namespace = $1 AND name = 'app' AND rv > $2`,
        [NS, rvBefore],
      );
      expect(changes.rows[0].n).toBeGreaterThanOrEqual(2);
    });

    it('a late delete of a manifest that was pushed again changes nothing', async () => {
      await push('b', `${REPO}:again`);
      await waitFor('tag again', async () => (await tagImages('again')).length === 1);
      // The registry's delete of b happened before this push; replay it late with a new id.
      const old = await stack.pg.query(`SELECT event FROM registry_events WHERE repository = $1 AND kind = 'manifest-delete' AND digest = $2`, [
        REPO,
        b.manifestDigest,
      ]);
      const late = { ...old.rows[0].event, id: randomUUID() };
      await postEnvelope(stack.notifyUrl, stack.secret, envelope(late));
      expect(await settled(late.id)).toMatchObject({ state: 'processed', outcome: 'superseded' });
      expect(await tagImages('again')).toEqual([b.manifestDigest]);
    });

    it('every notification was answered 2xx the first time: the registry never had to retry', () => {
      expect(stack.registry!.logs()).not.toMatch(/retrying|backing off/i);
    });
  });
});
