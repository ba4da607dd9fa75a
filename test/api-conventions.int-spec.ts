import { load as loadYaml } from 'js-yaml';
import { Client } from 'pg';
import { call, watchEvents } from '@app/testing';
import { pollUntil } from './support/poll';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * Creates `watched` and `other` in `collection` (with `fields`), watches `watchUrl` (a legacy
 * single-object watch of `watched`), labels both, and answers the watch's [type, name] pairs.
 */
async function singleObjectWatch(collection: string, watchUrl: string, fields: Record<string, unknown>): Promise<[string, string][]> {
  for (const name of ['watched', 'other']) expect((await call('POST', collection, { metadata: { name }, ...fields })).status).toBe(201);
  const w = watchEvents(watchUrl);
  await w.waitFor((e) => e.some((x) => x.type === 'ADDED'));
  for (const name of ['other', 'watched']) {
    expect((await call('PATCH', `${collection}/${name}`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status).toBe(200);
  }
  await w.waitFor((e) => e.some((x) => x.type === 'MODIFIED'));
  w.stop();
  return w.events.map((e) => [e.type, e.object.metadata.name]);
}

/** Request checks kube-apiserver makes before it reads or writes, with its status codes and wording. */
describe('Kubernetes API conventions: preconditions and request options', () => {
  let api: TestApi;
  const ns = () => `${api.base}/namespaces/conv`;
  beforeAll(async () => {
    api = await startTestApi();
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'app', labels: { a: 'b' } } })).status).toBe(201);
  });
  afterAll(async () => api.close());

  it('JSON answers are `Content-Type: application/json` with no charset parameter, as kube-apiserver sends them', async () => {
    const digest = `sha256:${'f'.repeat(64)}`;
    await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'app' }, tag: 'ct', image: { metadata: { name: digest }, dockerImageReference: `quay.io/conv/app@${digest}` } });
    const paths = [
      `${ns()}/imagestreams/app`,
      `${ns()}/imagestreams`,
      `${ns()}/imagestreams/missing`,
      `${ns()}/imagestreams?limit=x`,
      `${ns()}/imagestreamtags/app:ct`,
      `${ns()}/imagetags`,
      `${api.url}/apis`,
      `${api.url}/apis/image.openshift.io/v1`,
      `${api.url}/api/v1/namespaces`,
      `${api.url}/version`,
      `${api.url}/openapi/v3/apis/image.openshift.io/v1`,
    ];
    for (const path of paths) {
      const res = await fetch(path);
      expect([path, res.headers.get('content-type')]).toEqual([path, 'application/json']);
      await res.arrayBuffer(); // the OpenAPI document fills the socket buffer: read it, or its connection outlives the server
    }
    const created = await fetch(`${ns()}/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'ct' } }) });
    expect([created.status, created.headers.get('content-type')]).toEqual([201, 'application/json']);
  });

  it('every answer carries `Cache-Control: no-cache, private` unless it sets its own, as kube-apiserver\'s WithCacheControl', async () => {
    const digest = `sha256:${'e'.repeat(64)}`;
    await call('POST', `${ns()}/imagestreammappings`, { metadata: { name: 'app' }, tag: 'cache', image: { metadata: { name: digest }, dockerImageReference: `quay.io/conv/app@${digest}` } });
    const paths = [
      `${ns()}/imagestreams/app`,
      `${ns()}/imagestreams/missing`,
      `${ns()}/imagestreamtags/app:cache`,
      `${ns()}/imagestreamtags/app:cache?pretty=true`,
      `${ns()}/imagestreamtags/app:nope`,
      `${ns()}/imagestreams?limit=x`,
      `${api.url}/version`,
      `${ns()}/imagestreams?watch=1&timeoutSeconds=1`,
    ];
    for (const path of paths) {
      const res = await fetch(path);
      await res.arrayBuffer();
      expect([path, res.headers.get('cache-control')]).toEqual([path, 'no-cache, private']);
    }
    const created = await fetch(`${ns()}/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'cached' } }) });
    await created.arrayBuffer();
    expect([created.status, created.headers.get('cache-control')]).toEqual([201, 'no-cache, private']);
    // An answer that sets its own caching keeps it: discovery documents are `public`.
    const discovery = await fetch(`${api.url}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    await discovery.arrayBuffer();
    expect(discovery.headers.get('cache-control')).toBe('public');
  });

  it('list items are in Go field order (metadata, spec, status) without type meta, as a typed list encodes them', async () => {
    expect((await call('POST', `${api.url}/api/v1/namespaces`, { metadata: { name: 'conv-order' } })).status).toBe(201);
    const paged = [`${ns()}/imagestreams`, `${ns()}/imagestreams?limit=1`, `${api.url}/api/v1/namespaces`];
    for (const path of paged) {
      const items = ((await call('GET', path)).body.items as Record<string, unknown>[]).slice(0, 2);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) expect([path, Object.keys(item)[0], 'kind' in item, 'apiVersion' in item]).toEqual([path, 'metadata', false, false]);
    }
    const stream = ((await call('GET', `${ns()}/imagestreams`)).body.items as Record<string, unknown>[]).find((i) => (i['metadata'] as { name: string }).name === 'app')!;
    expect(Object.keys(stream)).toEqual(['metadata', 'spec', 'status']);
    // Watch event objects and Table rows with includeObject: type meta, then metadata first.
    const watch = watchEvents(`${ns()}/imagestreams?watch=1&resourceVersion=0&timeoutSeconds=5`);
    await watch.waitFor((events) => events.length > 0);
    watch.stop();
    expect(Object.keys(watch.events[0]!.object).slice(0, 3)).toEqual(['kind', 'apiVersion', 'metadata']);
    const table = await fetch(`${ns()}/imagestreams?includeObject=Object`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    const row = ((await table.json()) as { rows: { object: Record<string, unknown> }[] }).rows[0]!;
    expect(Object.keys(row.object).slice(0, 3)).toEqual(['kind', 'apiVersion', 'metadata']);
  });

  it('a `timeout` query parameter that is no Go duration is 400 on every request but watches (kube-apiserver request deadline filter)', async () => {
    const refused = await call('GET', `${ns()}/imagestreams?timeout=abc`);
    expect([refused.status, refused.body]).toEqual([
      400,
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'invalid timeout specified in the request URL - time: invalid duration "abc"', reason: 'BadRequest', code: 400 },
    ]);
    expect((await call('GET', `${ns()}/imagestreams/app?timeout=5`)).body.message).toBe('invalid timeout specified in the request URL - time: missing unit in duration "5"');
    expect((await call('DELETE', `${ns()}/imagestreams/app?timeout=1y`)).body.message).toBe('invalid timeout specified in the request URL - time: unknown unit "y" in duration "1y"');
    expect((await call('GET', `${ns()}/imagestreams/app`)).status).toBe(200);
    for (const timeout of ['32s', '1m0s', '1.5s', '0', '-1s', '1h30m', '.5s']) expect((await call('GET', `${ns()}/imagestreams/app?timeout=${timeout}`)).status).toBe(200);
    expect((await call('GET', `${ns()}/imagestreamtags?timeout=x`)).status).toBe(400);
    expect((await call('GET', `${api.url}/apis?timeout=x`)).status).toBe(400);
    // A watch is long-running: its timeout is timeoutSeconds.
    expect((await fetch(`${ns()}/imagestreams?watch=1&timeoutSeconds=1&timeout=abc`)).status).toBe(200);
  });

  it('a write still running at its `?timeout=` deadline is answered 504 Timeout once, in the negotiated format, and goes on to commit once it can (kube-apiserver leaves the handler running)', async () => {
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'slow' } })).status).toBe(201);
    // A session holding the stream's row lock makes every write to it wait (below DB_LOCK_TIMEOUT_MS).
    const holder = new Client({ connectionString: api.databaseUrl });
    await holder.connect();
    const patch = (label: string, accept: string) =>
      fetch(`${ns()}/imagestreams/slow?timeout=300ms`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json', accept },
        body: JSON.stringify({ metadata: { labels: { [label]: 'late' } } }),
      });
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM image_streams WHERE namespace = 'conv' AND name = 'slow' FOR UPDATE`);
      const started = Date.now();
      const [json, yaml] = await Promise.all([patch('json', 'application/json'), patch('yaml', 'application/yaml')]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // apimachinery's NewTimeoutError(…, 0), as the write handlers' finisher answers: details carry no retryAfterSeconds, so no Retry-After.
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within requested timeout - context deadline exceeded', reason: 'Timeout', details: {}, code: 504 };
      expect([json.status, json.headers.get('content-type'), json.headers.get('retry-after'), await json.json()]).toEqual([504, 'application/json', null, status]);
      expect([yaml.status, yaml.headers.get('content-type'), loadYaml(await yaml.text())]).toEqual([504, 'application/yaml', status]);
      // A read with a deadline it meets is served as always (reads take no row lock).
      expect((await call('GET', `${ns()}/imagestreams/slow?timeout=300ms`)).status).toBe(200);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // Both writes were left running: each commits once the lock is released.
    const labels = await pollUntil(
      async () => (await call('GET', `${ns()}/imagestreams/slow`)).body.metadata.labels as Record<string, string> | undefined,
      (l) => l?.['json'] === 'late' && l['yaml'] === 'late',
    );
    expect(labels).toEqual({ json: 'late', yaml: 'late' });
  });

  it('errors answered before any route runs negotiate their Status as every other error does (YAML when asked, else JSON)', async () => {
    const answer = async (url: string, accept: string) => {
      const res = await fetch(url, { headers: { accept } });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    const early = [
      `${ns()}/imagestreams?timeout=abc`, // the request deadline filter
      `${ns()}/imagestreams/%E0%A4%A`, // a path Fastify cannot decode
    ];
    for (const url of early) {
      const json = await answer(url, 'application/json');
      expect([url, json.status, json.type]).toEqual([url, 400, 'application/json']);
      // kube-apiserver's ErrorNegotiated: YAML for a YAML client, exactly as a routed error answers it.
      const yaml = await answer(url, 'application/yaml');
      const routed = await answer(`${ns()}/imagestreams/missing`, 'application/yaml');
      expect([url, yaml.status, yaml.type]).toEqual([url, 400, routed.type]);
      expect(yaml.text.startsWith('apiVersion: v1\ncode: 400\nkind: Status\n')).toBe(true);
      expect(loadYaml(yaml.text)).toEqual(JSON.parse(json.text));
      // What cannot be negotiated falls back to JSON for an error.
      expect(await answer(url, 'text/html')).toEqual(json);
    }
  });

  it('PUT of a missing object is 404 before the resourceVersion is checked; without one it is 422 with upstream wording', async () => {
    const missing = await call('PUT', `${ns()}/imagestreams/nope`, { metadata: { name: 'nope' } });
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toBe('NotFound');
    const noRv = await call('PUT', `${ns()}/imagestreams/app`, { metadata: { name: 'app' } });
    expect(noRv.status).toBe(422);
    // The registry store names the resource where a kind would be (its qualifiedKind is built from the resource).
    expect(noRv.body.message).toBe('imagestreams.image.openshift.io "app" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    expect(noRv.body.details).toMatchObject({ name: 'app', group: 'image.openshift.io', kind: 'imagestreams' });
    const noRvStatus = await call('PUT', `${ns()}/imagestreams/app/status`, { metadata: { name: 'app' } });
    expect([noRvStatus.status, noRvStatus.body.message]).toEqual([422, noRv.body.message]);
  });

  it('resourceVersion "0", or a patch that removes it, is no version: 422 for streams, an unconditional update for core kinds', async () => {
    const current = (await call('GET', `${ns()}/imagestreams/app`)).body;
    const required = 'imagestreams.image.openshift.io "app" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update';
    const zero = await call('PUT', `${ns()}/imagestreams/app`, { ...current, metadata: { ...current.metadata, resourceVersion: '0', labels: { zero: 'yes' } } });
    expect([zero.status, zero.body.message]).toEqual([422, required]);
    const zeroStatus = await call('PUT', `${ns()}/imagestreams/app/status`, { ...current, metadata: { ...current.metadata, resourceVersion: '0' } });
    expect([zeroStatus.status, zeroStatus.body.message]).toEqual([422, required]);
    const merged = await call('PATCH', `${ns()}/imagestreams/app`, { metadata: { resourceVersion: null, labels: { merged: 'yes' } } }, 'application/merge-patch+json');
    expect([merged.status, merged.body.message]).toEqual([422, required]);
    const removed = await call('PATCH', `${ns()}/imagestreams/app`, [{ op: 'remove', path: '/metadata/resourceVersion' }], 'application/json-patch+json');
    expect([removed.status, removed.body.message]).toEqual([422, required]);
    expect((await call('GET', `${ns()}/imagestreams/app`)).body.metadata).toEqual(current.metadata);

    // LimitRange's strategy allows unconditional updates (kube-apiserver): no version applies to what is stored.
    const limits = `${api.url}/api/v1/namespaces/conv/limitranges`;
    const lr = await call('POST', limits, { metadata: { name: 'lr' }, spec: { limits: [{ type: 'openshift.io/Image', max: { storage: '1Gi' } }] } });
    expect(lr.status).toBe(201);
    const put = await call('PUT', `${limits}/lr`, { metadata: { name: 'lr', labels: { blind: 'yes' } }, spec: lr.body.spec });
    expect(put.status).toBe(200);
    expect(put.body.metadata.labels).toEqual({ blind: 'yes' });
    expect(Number(put.body.metadata.resourceVersion)).toBeGreaterThan(Number(lr.body.metadata.resourceVersion));
    const dry = await call('PUT', `${limits}/lr?dryRun=All`, { metadata: { name: 'lr', resourceVersion: '0', labels: { dry: 'yes' } }, spec: lr.body.spec });
    expect([dry.status, dry.body.metadata.resourceVersion, dry.body.metadata.labels]).toEqual([200, put.body.metadata.resourceVersion, { dry: 'yes' }]);
  });

  it('a PUT naming another uid is a failed precondition (409); a patch changing the uid is invalid (422)', async () => {
    const current = (await call('GET', `${ns()}/imagestreams/app`)).body;
    const put = await call('PUT', `${ns()}/imagestreams/app`, { ...current, metadata: { ...current.metadata, uid: 'other' } });
    expect(put.status).toBe(409);
    // The etcd store's precondition error as kube-apiserver prints it, with the key openshift-apiserver stores the stream under.
    expect(put.body.message).toBe(
      `Operation cannot be fulfilled on imagestreams.image.openshift.io "app": StorageError: invalid object, Code: 4, Key: /openshift.io/imagestreams/conv/app, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: other, UID in object meta: ${current.metadata.uid}`,
    );
    const status = await call('PUT', `${ns()}/imagestreams/app/status`, { ...current, metadata: { ...current.metadata, uid: 'other' } });
    expect([status.status, status.body.message]).toEqual([409, put.body.message]);
    const patch = await call('PATCH', `${ns()}/imagestreams/app`, { metadata: { uid: 'other' } }, 'application/merge-patch+json');
    expect(patch.status).toBe(422);
    expect(patch.body.details.causes).toEqual([expect.objectContaining({ field: 'metadata.uid', message: 'Invalid value: "other": field is immutable' })]);
    const after = (await call('GET', `${ns()}/imagestreams/app`)).body;
    expect(after.metadata).toMatchObject({ uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion });
  });

  it('a dry run hands out no resourceVersion that never existed', async () => {
    const before = (await call('GET', `${ns()}/imagestreams/app`)).body;
    const patched = await call('PATCH', `${ns()}/imagestreams/app?dryRun=All`, { metadata: { labels: { dry: 'run' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.labels).toMatchObject({ dry: 'run' });
    expect(patched.body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const created = await call('POST', `${ns()}/imagestreams?dryRun=All`, { metadata: { name: 'dry' } });
    expect(created.status).toBe(201);
    expect(created.body.metadata.resourceVersion).toBeUndefined();
    expect((await call('GET', `${ns()}/imagestreams/dry`)).status).toBe(404);
  });

  it('removing the last label leaves no empty labels map (omitempty)', async () => {
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'lbl', labels: { only: 'one' }, annotations: {} } })).status).toBe(201);
    const res = await call('PATCH', `${ns()}/imagestreams/lbl`, { metadata: { labels: { only: null } } }, 'application/merge-patch+json');
    expect(res.status).toBe(200);
    expect(res.body.metadata).not.toHaveProperty('labels');
    expect(res.body.metadata).not.toHaveProperty('annotations');
  });

  it('validates owner references and finalizer names; clears deletion fields on create', async () => {
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u1', controller: true };
    const noUid = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'o1', ownerReferences: [{ ...owner, uid: '' }] } });
    expect(noUid.status).toBe(422);
    expect(noUid.body.details.causes).toEqual([expect.objectContaining({ field: 'metadata.ownerReferences.uid', message: 'Invalid value: "": uid must not be empty' })]);
    const twoControllers = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'o2', ownerReferences: [owner, { ...owner, name: 'e', uid: 'u2' }] } });
    expect(twoControllers.status).toBe(422);
    expect(twoControllers.body.message).toContain('Only one reference can have Controller set to true. Found "true" in references for Deployment/d and Deployment/e');
    const badFinalizer = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'o3', finalizers: ['Bad Finalizer'] } });
    expect(badFinalizer.status).toBe(422);
    expect(badFinalizer.body.details.causes[0]).toMatchObject({ field: 'metadata.finalizers' });
    const created = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'o4', ownerReferences: [owner], deletionGracePeriodSeconds: 5, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    expect(created.body.metadata).not.toHaveProperty('deletionGracePeriodSeconds');
    expect(created.body.metadata).not.toHaveProperty('deletionTimestamp');
    expect(created.body.metadata.ownerReferences).toEqual([owner]);
    // On update they are ValidateObjectMetaUpdate's: immutable, as only a delete sets them; nothing is written.
    const deleting = await call('PUT', `${ns()}/imagestreams/o4`, { ...created.body, metadata: { ...created.body.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 5 } });
    expect(deleting.status).toBe(422);
    expect(deleting.body.message).toBe(
      'ImageStream.image.openshift.io "o4" is invalid: [metadata.deletionTimestamp: Invalid value: 2026-01-01 00:00:00 +0000 UTC: field is immutable, metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable]',
    );
    expect((await call('GET', `${ns()}/imagestreams/o4`)).body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const eventOwner = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'o5', ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] } });
    expect(eventOwner.body.message).toContain('metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner');
  });

  it('a finalizer name without a domain must be a standard one (core ValidateObjectMeta), on create and update', async () => {
    const message = 'metadata.finalizers[0]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified';
    const created = await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'plainfin', finalizers: ['hold'] } });
    expect([created.status, created.body.message]).toEqual([422, `ImageStream.image.openshift.io "plainfin" is invalid: ${message}`]);
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'plainfin', finalizers: ['kubernetes', 'orphan'] } })).status).toBe(201);
    const patched = await call('PATCH', `${ns()}/imagestreams/plainfin`, { metadata: { finalizers: ['hold'] } }, 'application/merge-patch+json');
    expect([patched.status, patched.body.message]).toEqual([422, `ImageStream.image.openshift.io "plainfin" is invalid: ${message}`]);
    expect((await call('GET', `${ns()}/imagestreams/plainfin`)).body.metadata.finalizers).toEqual(['kubernetes', 'orphan']);
    expect((await call('PATCH', `${ns()}/imagestreams/plainfin`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('a delete waits for finalizers: the object is marked, kept, and removed when the last finalizer goes', async () => {
    const url = `${ns()}/imagestreams/held`;
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'held', finalizers: ['example.com/hold'] } })).status).toBe(201);
    const w = watchEvents(`${ns()}/imagestreams?watch=1&fieldSelector=metadata.name%3Dheld`);
    // The watch starts from the state it first sees: let it see the object before the delete.
    await w.waitFor((e) => e.length >= 1);
    const del = await call('DELETE', url);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: 'ImageStream', metadata: { name: 'held', deletionGracePeriodSeconds: 0, finalizers: ['example.com/hold'] } });
    expect(del.body.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await call('DELETE', url);
    expect(again.body.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion);
    const kept = await call('GET', url);
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);
    const added = await call('PATCH', url, { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 'application/merge-patch+json');
    expect(added.status).toBe(422);
    expect(added.body.message).toContain('no new finalizers can be added if the object is being deleted');
    const cleared = await call('PATCH', url, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect(cleared.status).toBe(200);
    // The update answers the object without its finalizers (kube-apiserver: "clients are expecting an updated object").
    expect(cleared.body.metadata.finalizers).toBeUndefined();
    expect((await call('GET', url)).status).toBe(404);
    await w.waitFor((e) => e.some((x) => x.type === 'DELETED'));
    w.stop();
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    // DELETED carries the stored state, as etcd's previous value does in kube: the finalizer still listed, at a newer version.
    const deleted = w.events[2]!.object;
    expect(deleted.metadata.finalizers).toEqual(['example.com/hold']);
    expect(Number(deleted.metadata.resourceVersion)).toBeGreaterThan(Number(w.events[1]!.object.metadata.resourceVersion));
  });

  it('a delete kept for finalizers is 202 Accepted when orphanDependents is false (kube-apiserver delete handler), else 200', async () => {
    const url = `${ns()}/imagestreams/accepted`;
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'accepted', finalizers: ['example.com/hold'] } })).status).toBe(201);
    const del = await call('DELETE', url, { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false });
    expect([del.status, del.body.kind]).toEqual([202, 'ImageStream']);
    expect((await call('DELETE', `${url}?orphanDependents=false`)).status).toBe(202);
    expect((await call('DELETE', url, { orphanDependents: true })).status).toBe(200);
    expect((await call('PATCH', url, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
    // Deleted at once: 200 with a Status, whatever orphanDependents says.
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'accepted' } })).status).toBe(201);
    const gone = await call('DELETE', url, { orphanDependents: false });
    expect([gone.status, gone.body.kind]).toEqual([200, 'Status']);
  });

  it('a patch whose result does not decode (a string for spec.tags, copied too) is 422 Invalid at `patch`, as kube-apiserver answers it; a body is 400', async () => {
    const before = (await call('GET', `${ns()}/imagestreams/app`)).body;
    for (const [type, patch] of [
      ['application/merge-patch+json', { spec: { tags: 'bad' } }],
      ['application/strategic-merge-patch+json', { spec: { tags: 'bad' } }],
      ['application/json-patch+json', [{ op: 'replace', path: '/spec/tags', value: 'bad' }]],
      // A copy brings a value of its source's type (a name, a string): the same mismatch, not a 500.
      ['application/json-patch+json', [{ op: 'copy', from: '/metadata/name', path: '/spec/tags' }]],
    ] as const) {
      const res = await call('PATCH', `${ns()}/imagestreams/app`, patch, type);
      expect([type, res.status, res.body.reason]).toEqual([type, 422, 'Invalid']);
      expect(res.body.details.causes).toEqual([
        { reason: 'FieldValueInvalid', field: 'patch', message: expect.stringMatching(/json: cannot unmarshal string into Go struct field ImageStreamSpec\.spec\.tags of type \[\]v1\.TagReference$/) },
      ]);
      expect(res.body.message).toMatch(/^ "" is invalid: patch: Invalid value: /);
    }
    const put = await call('PUT', `${ns()}/imagestreams/app`, { ...before, spec: { tags: 'bad' } });
    expect([put.status, put.body.reason]).toEqual([400, 'BadRequest']);
    expect((await call('GET', `${ns()}/imagestreams/app`)).body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('refuses invalid DeleteOptions and deletes nothing', async () => {
    const bogus = await call('DELETE', `${ns()}/imagestreams/app`, { propagationPolicy: 'Bogus' });
    expect(bogus.status).toBe(422);
    expect(bogus.body.message).toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil"');
    const both = await call('DELETE', `${ns()}/imagestreams/app`, { propagationPolicy: 'Orphan', orphanDependents: true });
    expect(both.status).toBe(422);
    expect(both.body.message).toContain('orphanDependents and deletionPropagation cannot be both set');
    // Both causes, in ValidateDeleteOptions' order.
    const bogusBoth = await call('DELETE', `${ns()}/imagestreams/app`, { propagationPolicy: 'Bogus', orphanDependents: false });
    expect(bogusBoth.body.details.causes.map((c: { message: string }) => c.message)).toEqual([
      'Invalid value: "Bogus": orphanDependents and deletionPropagation cannot be both set',
      'Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil"',
    ]);
    // ValidateDeleteOptions reports the dryRun cause in the same list, from the body or the query.
    const policyAndDryRun = ['Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil"', 'Unsupported value: ["x"]: supported values: "All"'];
    const inBody = await call('DELETE', `${ns()}/imagestreams/app`, { propagationPolicy: 'Bogus', dryRun: ['x'] });
    expect([inBody.status, inBody.body.details.causes.map((c: { message: string }) => c.message)]).toEqual([422, policyAndDryRun]);
    const inQuery = await call('DELETE', `${ns()}/imagestreams/app?propagationPolicy=Bogus&dryRun=x`);
    expect([inQuery.status, inQuery.body.details.causes.map((c: { message: string }) => c.message)]).toEqual([422, policyAndDryRun]);
    expect((await call('GET', `${ns()}/imagestreams/app`)).status).toBe(200);
    expect((await call('DELETE', `${ns()}/imagestreams/app`, { propagationPolicy: 'Background', dryRun: ['All'] })).status).toBe(200);
  });

  it('a DELETE reads its DeleteOptions from the body when it has one, else from the query (kube-apiserver delete handlers)', async () => {
    const streams = `${api.base}/namespaces/conv-opts/imagestreams`;
    for (const name of ['a', 'b', 'c', 'd']) expect((await call('POST', streams, { metadata: { name, labels: { set: name === 'd' ? 'two' : 'one' } } })).status).toBe(201);
    // No body: the query's options apply (a dry run keeps the object; a bad value is refused).
    expect((await call('DELETE', `${streams}/a?dryRun=All`)).status).toBe(200);
    expect((await call('GET', `${streams}/a`)).status).toBe(200);
    expect((await call('DELETE', `${streams}/a?gracePeriodSeconds=abc`)).status).toBe(400);
    expect((await call('DELETE', `${streams}/a?propagationPolicy=Orphan&orphanDependents=true`)).status).toBe(422);
    // A body (even `{}`): the query's DeleteOptions are not read at all, so this is no dry run.
    const real = await call('DELETE', `${streams}/a?dryRun=All&gracePeriodSeconds=abc&propagationPolicy=Bogus`, {});
    expect([real.status, real.body.kind, real.body.status]).toEqual([200, 'Status', 'Success']);
    expect((await call('GET', `${streams}/a`)).status).toBe(404);
    const mixed = await call('DELETE', `${streams}/b?propagationPolicy=Orphan`, { orphanDependents: true });
    expect([mixed.status, mixed.body.metadata?.finalizers]).toEqual([200, ['orphan']]);
    expect((await call('GET', `${streams}/b`)).status).toBe(404);
    // orphanDependents=false in the query of a body-carrying delete asks nothing: 200, not 202.
    expect((await call('POST', streams, { metadata: { name: 'held', finalizers: ['example.com/x'] } })).status).toBe(201);
    expect((await call('DELETE', `${streams}/held?orphanDependents=false`, { kind: 'DeleteOptions', apiVersion: 'v1' })).status).toBe(200);
    // deletecollection alike: the selector still comes from the query, the options from the body.
    const collection = await call('DELETE', `${streams}?labelSelector=set%3Done&dryRun=All`, {});
    expect(collection.status).toBe(200);
    expect((await call('GET', `${streams}/c`)).status).toBe(404);
    expect((await call('GET', `${streams}/d`)).status).toBe(200);
    expect((await call('PATCH', `${streams}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
  });

  it('checks list options as kube-apiserver does', async () => {
    const match = await call('GET', `${ns()}/imagestreams?resourceVersionMatch=Exact`);
    expect(match.status).toBe(422);
    expect(match.body.message).toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    const unsupported = await call('GET', `${ns()}/imagestreams?resourceVersion=1&resourceVersionMatch=Newest`);
    expect(unsupported.status).toBe(422);
    expect((await call('GET', `${ns()}/imagestreams?resourceVersion=1&resourceVersionMatch=NotOlderThan`)).status).toBe(200);
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'zzz' } })).status).toBe(201);
    const page = await call('GET', `${ns()}/imagestreams?limit=1`);
    const token = page.body.metadata.continue as string;
    expect(token).toBeTruthy();
    const withRv = await call('GET', `${ns()}/imagestreams?limit=1&continue=${encodeURIComponent(token)}&resourceVersion=5`);
    expect(withRv.status).toBe(400);
    expect(withRv.body.message).toBe('specifying resource version is not allowed when using continue');
    // A token naming a version the store has not reached (forged, or from a restored database) is
    // refused as a list at that version is, not answered with a page stamped with it.
    const future = { ...JSON.parse(Buffer.from(token, 'base64url').toString('utf8')), rv: '999999999', listRv: '999999999' };
    const ahead = await call('GET', `${ns()}/imagestreams?limit=1&continue=${Buffer.from(JSON.stringify(future)).toString('base64url')}`);
    expect([ahead.status, ahead.body.details?.causes?.[0]?.reason]).toEqual([504, 'ResourceVersionTooLarge']);
    expect(ahead.body.message).toMatch(/^Too large resource version: 999999999, current: \d+$/);
    const elsewhere = await call('GET', `${api.base}/namespaces/other/imagestreams?limit=1&continue=${encodeURIComponent(token)}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toMatch(/^continue key is not valid/);
    // kube's storage.ValidateListOptions: DecodeContinue's error (here Go's JSON scanner on the decoded bytes) wrapped twice.
    const garbage = await call('GET', `${ns()}/imagestreams?limit=2&continue=garbage`);
    expect([garbage.status, garbage.body.reason, garbage.body.message]).toEqual([400, 'BadRequest', "invalid continue token: continue key is not valid: invalid character '\\u0081' looking for beginning of value"]);
    // A cluster-scoped kind accepts metadata.namespace, as apimachinery's default conversion does:
    // an empty value matches every object, another none (Namespace, a core kind, refuses it).
    const image = `sha256:${'9'.repeat(64)}`;
    expect((await call('POST', `${api.base}/images`, { metadata: { name: image }, dockerImageReference: `quay.io/x/y@${image}` })).status).toBe(201);
    const names = (res: { body: { items: { metadata: { name: string } }[] } }) => res.body.items.map((i) => i.metadata.name);
    expect(names(await call('GET', `${api.base}/images?fieldSelector=metadata.namespace%3Dx`))).toEqual([]);
    expect(names(await call('GET', `${api.base}/images?fieldSelector=metadata.namespace%3D`))).toContain(image);
    expect(names(await call('GET', `${api.base}/images?fieldSelector=metadata.namespace!%3Dx`))).toContain(image);
    expect((await call('GET', `${api.base}/images?fieldSelector=metadata.name%3Dx`)).status).toBe(200);
    const unknown = await call('GET', `${ns()}/imagestreams?fieldSelector=spec.foo%3Dx`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    const namespaces = await call('GET', `${api.url}/api/v1/namespaces?fieldSelector=metadata.namespace%3Dx`);
    expect(namespaces.status).toBe(400);
    expect(namespaces.body.message).toBe('field label not supported: metadata.namespace');
    const listWithInitial = await call('GET', `${ns()}/imagestreams?sendInitialEvents=true`);
    expect(listWithInitial.status).toBe(422);
    expect(listWithInitial.body.details.causes[0]).toMatchObject({ field: 'sendInitialEvents' });
    const watchMatchOnly = await call('GET', `${ns()}/imagestreams?watch=1&resourceVersionMatch=NotOlderThan`);
    expect(watchMatchOnly.status).toBe(422);
    // Values that do not decode: 400 on lists and gets alike.
    for (const query of ['resourceVersion=abc', 'timeoutSeconds=abc', 'limit=99999999999999999999']) {
      expect([query, (await call('GET', `${ns()}/imagestreams?${query}`)).status]).toEqual([query, 400]);
    }
    expect((await call('GET', `${ns()}/imagestreams/app?resourceVersion=abc`)).status).toBe(400);
  });

  it('`limit` and `timeoutSeconds` decode as apimachinery converts query parameters (Go ParseInt, its error a 400 in its words; a negative value is an int64 too), `resourceVersion` as the storage versioner parses it', async () => {
    const refused = async (query: string) => {
      const res = await call('GET', `${ns()}/imagestreams?${query}`);
      return [query, res.status, res.body.reason, res.body.message];
    };
    expect(await refused('limit=abc')).toEqual(['limit=abc', 400, 'BadRequest', 'strconv.ParseInt: parsing "abc": invalid syntax']);
    expect(await refused('limit=')).toEqual(['limit=', 400, 'BadRequest', 'strconv.ParseInt: parsing "": invalid syntax']);
    expect(await refused('limit=99999999999999999999')).toEqual(['limit=99999999999999999999', 400, 'BadRequest', 'strconv.ParseInt: parsing "99999999999999999999": value out of range']);
    expect(await refused('timeoutSeconds=1.5')).toEqual(['timeoutSeconds=1.5', 400, 'BadRequest', 'strconv.ParseInt: parsing "1.5": invalid syntax']);
    expect(await refused('watch=1&timeoutSeconds=x')).toEqual(['watch=1&timeoutSeconds=x', 400, 'BadRequest', 'strconv.ParseInt: parsing "x": invalid syntax']);
    // Decoding comes before validation: an unreadable limit is the 400, not the options' 422.
    expect(await refused('limit=abc&resourceVersionMatch=Exact')).toEqual(['limit=abc&resourceVersionMatch=Exact', 400, 'BadRequest', 'strconv.ParseInt: parsing "abc": invalid syntax']);
    // A list does not use timeoutSeconds; a negative one decodes, so the list is served.
    const negative = await call('GET', `${ns()}/imagestreams?timeoutSeconds=-5&limit=-1`);
    expect([negative.status, negative.body.kind]).toEqual([200, 'ImageStreamList']);
    // resourceVersion: the storage versioner's ParseUint wording (kube-apiserver answers it as a 500,
    // kubernetes/kubernetes#101350; a 400 here, as the fix proposed upstream does), on lists, watches and gets.
    const rvWording = (v: string, why: string) => `resourceVersion: Invalid value: "${v}": strconv.ParseUint: parsing "${v}": ${why}`;
    expect(await refused('resourceVersion=abc')).toEqual(['resourceVersion=abc', 400, 'BadRequest', rvWording('abc', 'invalid syntax')]);
    expect(await refused('watch=1&resourceVersion=-1')).toEqual(['watch=1&resourceVersion=-1', 400, 'BadRequest', rvWording('-1', 'invalid syntax')]);
    expect(await refused('resourceVersion=99999999999999999999')).toEqual(['resourceVersion=99999999999999999999', 400, 'BadRequest', rvWording('99999999999999999999', 'value out of range')]);
    const get = await call('GET', `${ns()}/imagestreams/app?resourceVersion=1x`);
    expect([get.status, get.body.message]).toEqual([400, rvWording('1x', 'invalid syntax')]);
    // A watch given a negative timeout ends at once (Go's timer fires at once), with no error.
    const watch = await fetch(`${ns()}/imagestreams?watch=1&resourceVersion=0&timeoutSeconds=-1`);
    expect(watch.status).toBe(200);
    await watch.text();
  });

  it('boolean query parameters decode as apimachinery does: `watch=True` (Python clients) is a watch, `force=True` forces', async () => {
    const url = `${api.base}/namespaces/bools/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 'b1' } })).status).toBe(201);
    for (const value of ['True', 'TRUE', 't', '']) {
      const w = watchEvents(`${url}?watch=${value}`);
      await w.waitFor((e) => e.some((x) => x.type === 'ADDED' && x.object.metadata.name === 'b1'));
      w.stop();
    }
    for (const value of ['False', '0']) expect((await call('GET', `${url}?watch=${value}`)).body.kind).toBe('ImageStreamList');
    const apply = (manager: string, force: string, label: string) =>
      call('PATCH', `${url}/b1?fieldManager=${manager}${force}`, { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'b1', labels: { l: label } } }, 'application/apply-patch+yaml');
    expect((await apply('one', '', 'a')).status).toBe(200);
    expect((await apply('two', '&force=False', 'b')).status).toBe(409);
    const forced = await apply('two', '&force=True', 'b');
    expect([forced.status, forced.body.metadata.labels]).toEqual([200, { l: 'b' }]);
  });

  it('label selectors compare integers with > and < (apimachinery Gt/Lt), on lists and watches', async () => {
    const url = `${api.base}/namespaces/gtlt/imagestreams`;
    for (const [name, n] of [['n2', '2'], ['n10', '10'], ['word', 'x'], ['huge', '99999999999999999999']]) {
      expect((await call('POST', url, { metadata: { name, labels: { n } } })).status).toBe(201);
    }
    const names = async (selector: string) => {
      const res = await call('GET', `${url}?labelSelector=${encodeURIComponent(selector)}`);
      expect(res.status).toBe(200);
      return res.body.items.map((i: any) => i.metadata.name);
    };
    expect(await names('n>3')).toEqual(['n10']);
    expect(await names('n < 3')).toEqual(['n2']);
    expect(await names('n>1,n<11')).toEqual(['n10', 'n2']);
    const bad = await call('GET', `${url}?labelSelector=${encodeURIComponent('n>x')}`);
    expect([bad.status, bad.body.reason]).toEqual([400, 'BadRequest']);
    expect(bad.body.message).toBe(`unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`);
    const rv = (await call('GET', url)).body.metadata.resourceVersion;
    const w = watchEvents(`${url}?watch=1&resourceVersion=${rv}&labelSelector=${encodeURIComponent('n>5')}`);
    expect((await call('POST', url, { metadata: { name: 'n7', labels: { n: '7' } } })).status).toBe(201);
    expect((await call('POST', url, { metadata: { name: 'n4', labels: { n: '4' } } })).status).toBe(201);
    expect((await call('POST', url, { metadata: { name: 'n9', labels: { n: '9' } } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'n9'));
    w.stop();
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['n7', 'n9']);
  });

  it('a read asking for a resourceVersion the server has not reached waits, then is 504 ResourceVersionTooLarge', async () => {
    const current = BigInt((await call('GET', `${ns()}/imagestreams`)).body.metadata.resourceVersion);
    const future = String(current + 1_000_000n);
    const started = Date.now();
    const [list, get] = await Promise.all([
      call('GET', `${ns()}/imagestreams?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`),
      call('GET', `${ns()}/imagestreams/app?resourceVersion=${future}`),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    for (const res of [list, get]) {
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({
        kind: 'Status',
        reason: 'Timeout',
        code: 504,
        message: expect.stringMatching(new RegExp(`^Too large resource version: ${future}, current: \\d+$`)),
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      });
    }
    // A version already reached is served as usual.
    expect((await call('GET', `${ns()}/imagestreams/app?resourceVersion=${current}`)).status).toBe(200);
  });

  it('a watch with timeoutSeconds=0 uses the server default instead of ending at once', async () => {
    const rv = (await call('GET', `${ns()}/imagestreams`)).body.metadata.resourceVersion;
    const w = watchEvents(`${ns()}/imagestreams?watch=1&timeoutSeconds=0&resourceVersion=${rv}`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('POST', `${ns()}/imagestreams`, { metadata: { name: 'zero-timeout' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.type === 'ADDED' && x.object.metadata.name === 'zero-timeout'));
    w.stop();
  });

  it('watch-list: sendInitialEvents=true sends the current objects, then a bookmark marking their end, then changes', async () => {
    expect((await call('POST', `${api.base}/namespaces/wl/imagestreams`, { metadata: { name: 'one' } })).status).toBe(201);
    expect((await call('POST', `${api.base}/namespaces/wl/imagestreams`, { metadata: { name: 'two' } })).status).toBe(201);
    const w = watchEvents(`${api.base}/namespaces/wl/imagestreams?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    await w.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'));
    expect((await call('POST', `${api.base}/namespaces/wl/imagestreams`, { metadata: { name: 'three' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'three'));
    w.stop();
    const seen = w.events.filter((e) => e.type !== 'BOOKMARK' || e.object.metadata.annotations);
    expect(seen.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'one'],
      ['ADDED', 'two'],
      ['BOOKMARK', undefined],
      ['ADDED', 'three'],
    ]);
    const end = seen[2]!.object;
    expect(end.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true', 'kubernetes.io/initial-events-list-blueprint': expect.any(String) });
    // client-go 1.32's watch-list builds its list from this blueprint: an empty list of the kind.
    expect(Buffer.from(end.metadata.annotations['kubernetes.io/initial-events-list-blueprint'], 'base64').toString('utf8')).toBe(
      '{"kind":"ImageStreamList","apiVersion":"image.openshift.io/v1","metadata":{},"items":null}\n',
    );
    expect(BigInt(end.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(seen[1]!.object.metadata.resourceVersion));
  });

  it.each(['', '&resourceVersion=0'])(
    'a legacy watch (%s) with bookmarks is a watch-list, as kube-apiserver defaults it: the initial state ends with the annotated bookmark',
    async (version) => {
      expect((await call('POST', `${api.base}/namespaces/legacy-wl/imagestreams`, { metadata: { name: `one${version.length}` } })).status).toBe(201);
      const w = watchEvents(`${api.base}/namespaces/legacy-wl/imagestreams?watch=1&allowWatchBookmarks=true${version}`);
      await w.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'));
      w.stop();
      const last = w.events.at(-1)!;
      expect(w.events.slice(0, -1).every((e) => e.type === 'ADDED')).toBe(true);
      expect(last.type).toBe('BOOKMARK');
      expect(last.object.metadata.annotations['k8s.io/initial-events-end']).toBe('true');
      // Without bookmarks it is the plain legacy watch: ADDED events only.
      const plain = watchEvents(`${api.base}/namespaces/legacy-wl/imagestreams?watch=1${version}`);
      await plain.waitFor((e) => e.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      plain.stop();
      expect(plain.events.every((e) => e.type === 'ADDED')).toBe(true);
    },
  );

  it('an object that stops matching a watch label selector arrives as DELETED with the state that last matched, at the new version', async () => {
    const url = `${api.base}/namespaces/stop/imagestreams`;
    expect((await call('POST', url, { metadata: { name: 's', labels: { t: 'a' }, annotations: { n: '1' } } })).status).toBe(201);
    const rv = (await call('GET', url)).body.metadata.resourceVersion;
    const w = watchEvents(`${url}?watch=1&resourceVersion=${rv}&labelSelector=t%3Da`);
    await new Promise((r) => setTimeout(r, 200));
    const moved = await call('PATCH', `${url}/s`, { metadata: { labels: { t: 'b' }, annotations: { n: '2' } } }, 'application/merge-patch+json');
    expect(moved.status).toBe(200);
    expect((await call('PATCH', `${url}/s`, { metadata: { labels: { t: 'a' } } }, 'application/merge-patch+json')).status).toBe(200);
    await w.waitFor((e) => e.length === 2);
    w.stop();
    expect(w.events.map((e) => [e.type, e.object.metadata.labels, e.object.metadata.annotations])).toEqual([
      ['DELETED', { t: 'a' }, { n: '1' }],
      ['ADDED', { t: 'a' }, { n: '2' }],
    ]);
    expect(w.events[0]!.object).toMatchObject({ kind: 'ImageStream', apiVersion: 'image.openshift.io/v1', metadata: { resourceVersion: moved.body.metadata.resourceVersion } });
    expect(w.events[0]!.object.status.dockerImageRepository).toBe(moved.body.status.dockerImageRepository);
  });

  it('the legacy single-object watch path (/watch/…/{name}) watches that object only', async () => {
    expect(await singleObjectWatch(`${api.base}/namespaces/one/imagestreams`, `${api.base}/watch/namespaces/one/imagestreams/watched`, {})).toEqual([
      ['ADDED', 'watched'],
      ['MODIFIED', 'watched'],
    ]);
    const mismatch = await call('GET', `${api.base}/watch/namespaces/one/imagestreams/watched?fieldSelector=metadata.name%3Dother`);
    expect([mismatch.status, mismatch.body.message]).toEqual([400, "fieldSelector metadata.name doesn't match requested name"]);
    // kube-apiserver installs legacy watch routes only for kinds that can be watched: none for the tag views.
    expect((await call('GET', `${api.base}/watch/namespaces/one/imagestreamtags/watched:latest`)).status).toBe(404);
  });

  it('the legacy single-object watch path of a namespaced core kind (/api/v1/watch/namespaces/{ns}/secrets/{name})', async () => {
    const secrets = `${api.url}/api/v1/namespaces/one/secrets`;
    expect(await singleObjectWatch(secrets, `${api.url}/api/v1/watch/namespaces/one/secrets/watched`, { stringData: { k: 'v' } })).toEqual([
      ['ADDED', 'watched'],
      ['MODIFIED', 'watched'],
    ]);
  });

  it('watch-list with a resourceVersion the server has not reached: waits, then one ERROR event 504 ResourceVersionTooLarge', async () => {
    expect((await call('POST', `${api.base}/namespaces/wl3/imagestreams`, { metadata: { name: 'present' } })).status).toBe(201);
    const current = BigInt((await call('GET', `${api.base}/namespaces/wl3/imagestreams`)).body.metadata.resourceVersion);
    const future = (current + 1000n).toString();
    const started = Date.now();
    const w = watchEvents(`${api.base}/namespaces/wl3/imagestreams?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${future}`);
    await w.done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]!.type).toBe('ERROR');
    expect(w.events[0]!.object).toMatchObject({ kind: 'Status', code: 504, reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge' }], retryAfterSeconds: 1 } });
    expect(w.events[0]!.object.message).toMatch(new RegExp(`^Too large resource version: ${future}, current: \\d+$`));
    // A version already reached sends the state as usual.
    const reached = watchEvents(`${api.base}/namespaces/wl3/imagestreams?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${current}`);
    await reached.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'));
    reached.stop();
    expect(reached.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'present' } } });
  });

  it('watch-list: sendInitialEvents=false starts at the newest state without replaying objects', async () => {
    expect((await call('POST', `${api.base}/namespaces/wl2/imagestreams`, { metadata: { name: 'old' } })).status).toBe(201);
    const w = watchEvents(`${api.base}/namespaces/wl2/imagestreams?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`);
    // The watch is established once the headers arrive; a create after that must be the first event.
    await w.opened;
    expect((await call('POST', `${api.base}/namespaces/wl2/imagestreams`, { metadata: { name: 'new' } })).status).toBe(201);
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'new'));
    w.stop();
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['new']);
  });

  it('watch-list: sendInitialEvents=false sends its headers only once its starting version is fixed', async () => {
    // Holding the table the newest version is read from keeps the watch from fixing its start.
    // Before, the headers went out first: a client writing once it had them (as the test above
    // does) lost its change when the server was slow to read that version (a loaded machine).
    const pg = new Client({ connectionString: api.databaseUrl });
    await pg.connect();
    let w: ReturnType<typeof watchEvents> | undefined;
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE watch_compaction IN ACCESS EXCLUSIVE MODE');
      w = watchEvents(`${api.base}/namespaces/wl4/imagestreams?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`);
      const waiting = `SELECT count(*)::int AS n FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%current_resource_version()%'`;
      const readWaiting = async () => {
        await pg.query('SELECT pg_stat_clear_snapshot()'); // inside a transaction the view is a snapshot
        return (await pg.query<{ n: number }>(waiting)).rows[0]!.n;
      };
      const blocked = await pollUntil(readWaiting, (n) => n > 0);
      expect(blocked).toBeGreaterThan(0);
      const headersWhileBlocked = await Promise.race([w.opened.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
      expect(headersWhileBlocked).toBe(false);
      await pg.query('COMMIT');
      await w.opened;
      expect((await call('POST', `${api.base}/namespaces/wl4/imagestreams`, { metadata: { name: 'after-headers' } })).status).toBe(201);
      await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'after-headers'));
    } finally {
      w?.stop();
      await pg.end();
    }
  });
});
