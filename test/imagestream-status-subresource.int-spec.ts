import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace, type KubectlWorkspace } from './support/kubectl';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const merge = 'application/merge-patch+json';

interface ManagedEntry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1: Record<string, any>;
}

/**
 * `imagestreams/{name}/status` writes as openshift-apiserver's status strategy makes them: the
 * request's labels, annotations and spec.lookupPolicy apply, spec.tags, spec.dockerImageRepository,
 * uid, creationTimestamp and generation stay as stored, ObjectMeta is validated, and the writer is
 * recorded in managedFields with `subresource: status`.
 */
describe('imagestreams/{name}/status writes', () => {
  let api: TestApi;
  let kc: KubectlWorkspace | undefined;
  const streams = `namespaces/sts/imagestreams`;
  const url = (path: string) => `${api.base}/${path}`;
  const stream = (name: string) => call('GET', url(`${streams}/${name}`)).then((r) => r.body);
  const create = async (name: string, labels?: Record<string, string>) => {
    const res = await call('POST', url(streams), {
      metadata: { name, ...(labels ? { labels } : {}) },
      spec: { dockerImageRepository: `quay.io/sts/${name}`, tags: [{ name: 'v1', from: { kind: 'DockerImage', name: `quay.io/sts/${name}@${digest('1')}` } }] },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const statusEntry = (s: { metadata: { managedFields?: ManagedEntry[] } }, manager: string) =>
    s.metadata.managedFields?.find((m) => m.manager === manager && m.subresource === 'status');

  beforeAll(async () => {
    api = await startTestApi();
    if (kubectlFound) kc = kubectlWorkspace(api.url, 'sts');
  });
  afterAll(async () => {
    kc?.remove();
    await api.close();
  });

  (kubectlFound ? it : it.skip)('kubectl replace --subresource=status sets a label and is recorded as a status write', async () => {
    const before = await create('labelled');
    // kubectl 1.32's `label` has no --subresource; `replace` PUTs the edited object to /status.
    const edited = { ...before, metadata: { ...before.metadata, labels: { team: 'payments' } } };
    await kc!.ok(['replace', '--subresource=status', '-f', kc!.write('labelled.json', JSON.stringify(edited))]);
    const after = await stream('labelled');
    expect(after.metadata.labels).toEqual({ team: 'payments' });
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.tags).toEqual(before.spec.tags);
    expect(statusEntry(after, 'kubectl-replace')).toMatchObject({ operation: 'Update', apiVersion: 'image.openshift.io/v1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } });
    // The main resource's label selector sees it.
    const listed = await call('GET', url(`${streams}?labelSelector=team%3Dpayments`));
    expect(listed.body.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['labelled']);
  });

  (kubectlFound ? it : it.skip)('kubectl patch --subresource=status applies annotations and spec.lookupPolicy but not spec.tags or spec.dockerImageRepository', async () => {
    const before = await create('patched');
    const patch = {
      metadata: { annotations: { 'example.com/owner': 'team-a' } },
      spec: { lookupPolicy: { local: true }, dockerImageRepository: 'quay.io/elsewhere/x', tags: [{ name: 'other', from: { kind: 'DockerImage', name: 'quay.io/x/y:1' } }] },
    };
    await kc!.ok(['patch', '--subresource=status', '--type=merge', 'imagestream.image.openshift.io/patched', '-p', JSON.stringify(patch)]);
    const after = await stream('patched');
    expect(after.metadata.annotations).toEqual({ 'example.com/owner': 'team-a' });
    expect(after.spec.lookupPolicy).toEqual({ local: true });
    expect(after.spec.dockerImageRepository).toBe('quay.io/sts/patched');
    expect(after.spec.tags).toEqual(before.spec.tags);
    // A status write never bumps the generation, even when it changes lookupPolicy (upstream StatusStrategy).
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    expect(statusEntry(after, 'kubectl-patch')?.fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { '.': {}, 'f:example.com/owner': {} } },
      'f:spec': { 'f:lookupPolicy': { 'f:local': {} } },
    });
  });

  it('uid, creationTimestamp and generation stay as stored; a PUT naming another uid is 409', async () => {
    const before = await create('kept');
    const put = await call('PUT', url(`${streams}/kept/status?fieldManager=pruner`), {
      ...before,
      metadata: { ...before.metadata, creationTimestamp: '2001-01-01T00:00:00Z', generation: 40, labels: { kept: 'yes' } },
    });
    expect(put.status).toBe(200);
    expect(put.body.metadata).toMatchObject({ uid: before.metadata.uid, creationTimestamp: before.metadata.creationTimestamp, generation: before.metadata.generation, labels: { kept: 'yes' } });
    const otherUid = await call('PUT', url(`${streams}/kept/status`), { ...put.body, metadata: { ...put.body.metadata, uid: '00000000-0000-0000-0000-000000000000' } });
    expect(otherUid.status).toBe(409);
    const stale = await call('PUT', url(`${streams}/kept/status`), { ...before, metadata: { ...before.metadata, labels: { stale: 'yes' } } });
    expect(stale.status).toBe(409);
    expect((await stream('kept')).metadata.labels).toEqual({ kept: 'yes' });
  });

  it('invalid labels and annotations are 422 with their field paths and change nothing', async () => {
    const before = await create('invalid');
    const res = await call('PUT', url(`${streams}/invalid/status`), {
      ...before,
      metadata: { ...before.metadata, labels: { 'bad key!': 'x' }, annotations: { 'also bad!': 'y' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['metadata.annotations', 'metadata.labels']);
    const after = await stream('invalid');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.labels).toBeUndefined();
  });

  it('a label-selecting watch sees a stream leave and enter its selection through status writes', async () => {
    const before = await create('watched', { tier: 'gold' });
    const w = watchEvents(url(`${streams}?watch=true&labelSelector=tier%3Dgold&resourceVersion=${before.metadata.resourceVersion}`));
    try {
      await w.opened;
      const dropped = await call('PATCH', url(`${streams}/watched/status`), { metadata: { labels: { tier: 'silver' } } }, merge);
      expect(dropped.status).toBe(200);
      await call('PATCH', url(`${streams}/watched/status`), { metadata: { labels: { tier: 'gold' } } }, merge);
      await w.waitFor((e) => e.length >= 2);
      expect(w.events.map((e) => [e.type, e.object.metadata.labels])).toEqual([
        ['DELETED', { tier: 'gold' }],
        ['ADDED', { tier: 'gold' }],
      ]);
    } finally {
      w.stop();
      await w.done;
    }
  });

  it('a dry run answers with the change and stores nothing', async () => {
    const before = await create('dry');
    const res = await call('PATCH', url(`${streams}/dry/status?dryRun=All`), { metadata: { labels: { dry: 'run' } }, spec: { lookupPolicy: { local: true } } }, merge);
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ dry: 'run' });
    expect(res.body.spec.lookupPolicy).toEqual({ local: true });
    const after = await stream('dry');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.labels).toBeUndefined();
    expect(after.spec.lookupPolicy).toEqual({ local: false });
  });

  it('a tag history write records its manager as owning the status tags it set', async () => {
    await create('history');
    const ref = `quay.io/sts/history@${digest('2')}`;
    const res = await call(
      'PATCH',
      url(`${streams}/history/status?fieldManager=pruner`),
      { status: { tags: [{ tag: 'v1', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: ref, image: digest('2'), generation: 1 }] }] } },
      merge,
    );
    expect(res.status).toBe(200);
    expect(res.body.status.tags).toEqual([{ tag: 'v1', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: ref, image: digest('2'), generation: 1 }] }]);
    const entry = statusEntry(res.body, 'pruner');
    expect(entry?.operation).toBe('Update');
    expect(Object.keys(entry?.fieldsV1['f:status']['f:tags'])).toContain('k:{"tag":"v1"}');
  });

  it('a status tag with neither items nor conditions is kept and named by ImageTag, not by ImageStreamTag; an import that changes the stream drops it', async () => {
    const created = await call('POST', url(streams), { metadata: { name: 'hollow' }, spec: {} });
    expect(created.status).toBe(201);
    const ref = `quay.io/sts/hollow@${digest('4')}`;
    const item = { created: '2025-01-01T00:00:00Z', dockerImageReference: ref, image: digest('4'), generation: 1 };
    const put = await call('PUT', url(`${streams}/hollow/status`), {
      ...created.body,
      // A repeated name is one tag, the last entry winning (the status list is a map upstream).
      status: { tags: [{ tag: 'e1', items: [item] }, { tag: 'e1', items: [] }, { tag: 'v1', items: [item] }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.status.tags).toEqual([{ tag: 'e1', items: null }, { tag: 'v1', items: [item] }]);
    expect((await stream('hollow')).status.tags).toEqual([{ tag: 'e1', items: null }, { tag: 'v1', items: [item] }]);
    // The same status again is no change.
    const again = await call('PUT', url(`${streams}/hollow/status`), put.body);
    expect(again.body.metadata.resourceVersion).toBe(put.body.metadata.resourceVersion);

    const itag = await call('GET', url('namespaces/sts/imagetags/hollow:e1'));
    expect(itag.status).toBe(200);
    expect(itag.body).toMatchObject({ spec: null, status: { tag: 'e1', items: null }, image: null });
    const itags = await call('GET', url('namespaces/sts/imagetags'));
    expect(itags.body.items.filter((t: { metadata: { name: string } }) => t.metadata.name.startsWith('hollow:')).map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual(['hollow:e1', 'hollow:v1']);
    expect((await call('GET', url('namespaces/sts/imagestreamtags/hollow:e1'))).status).toBe(404);

    // An import that changes the stream (here its failure condition on another tag) is written
    // through upstream's internal strategy, which collapses empty status tags.
    const isi = await call('POST', url('namespaces/sts/imagestreamimports'), {
      kind: 'ImageStreamImport',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name: 'hollow' },
      spec: { import: true, images: [{ from: { kind: 'DockerImage', name: '127.0.0.1:1/sts/hollow:v2' }, to: { name: 'v2' }, importPolicy: { insecure: true } }] },
    });
    expect(isi.status).toBe(201);
    const after = await stream('hollow');
    expect(after.status.tags.map((t: { tag: string }) => t.tag)).toEqual(['v1', 'v2']);
    expect((await call('GET', url('namespaces/sts/imagetags/hollow:e1'))).status).toBe(404);
  });

  it('a new status item reference must parse, an empty one too; references the stream already holds are not checked again', async () => {
    await create('refs');
    const before = await stream('refs');
    const res = await call('PATCH', url(`${streams}/refs/status`), { status: { tags: [{ tag: 'v9', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: '', image: digest('5'), generation: 1 }] }] } }, merge);
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: "": repository name must have at least one component', field: 'status.tags[v9].items[0].dockerImageReference' },
    ]);
    const upper = await call('PATCH', url(`${streams}/refs/status`), { status: { tags: [{ tag: 'v9', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: 'Quay.io/Upper/Case', image: digest('5'), generation: 1 }] }] } }, merge);
    expect(upper.status).toBe(422);
    expect(upper.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'status.tags[v9].items[0].dockerImageReference' });
    expect((await stream('refs')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('server-side apply through /status records an Apply by the manager with subresource status, and conflicts as apply does', async () => {
    await create('applied');
    const apply = 'application/apply-patch+yaml';
    const ref = `quay.io/sts/applied@${digest('3')}`;
    const config = {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStream',
      metadata: { name: 'applied', labels: { tier: 'base' } },
      status: { tags: [{ tag: 'v1', items: [{ created: '2025-01-01T00:00:00Z', dockerImageReference: ref, image: digest('3'), generation: 1 }] }] },
    };
    const res = await call('PATCH', url(`${streams}/applied/status?fieldManager=pruner`), config, apply);
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ tier: 'base' });
    expect(res.body.status.tags).toEqual(config.status.tags);
    const entry = statusEntry(res.body, 'pruner');
    expect(entry?.operation).toBe('Apply');
    expect(entry?.fieldsV1['f:metadata']).toEqual({ 'f:labels': { 'f:tier': {} } });
    expect(Object.keys(entry?.fieldsV1['f:status']['f:tags'])).toEqual(['k:{"tag":"v1"}']);
    // Applying the same configuration again changes nothing: same resourceVersion.
    const again = await call('PATCH', url(`${streams}/applied/status?fieldManager=pruner`), config, apply);
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(res.body.metadata.resourceVersion);
    // Another applier changing the owned label conflicts (409 with the owner named), unless forced.
    const rival = { ...config, metadata: { name: 'applied', labels: { tier: 'app' } }, status: undefined };
    const conflict = await call('PATCH', url(`${streams}/applied/status?fieldManager=other`), rival, apply);
    expect(conflict.status).toBe(409);
    expect(conflict.body.reason).toBe('Conflict');
    expect(conflict.body.message).toContain('"pruner" with subresource "status"');
    const forced = await call('PATCH', url(`${streams}/applied/status?fieldManager=other&force=true`), rival, apply);
    expect(forced.status).toBe(200);
    expect(forced.body.metadata.labels).toEqual({ tier: 'app' });
    // A wrong apiVersion is the apply 400; a missing stream is 404 (a subresource creates nothing).
    const wrong = await call('PATCH', url(`${streams}/applied/status?fieldManager=pruner`), { ...config, apiVersion: 'v1' }, apply);
    expect(wrong.status).toBe(400);
    const missing = await call('PATCH', url(`${streams}/nowhere/status?fieldManager=pruner`), { ...config, metadata: { name: 'nowhere' } }, apply);
    expect(missing.status).toBe(404);
  });
});
