import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace, runKubectl } from './support/kubectl';

const APPLY = 'application/apply-patch+yaml';

/** Server-side apply and field ownership (metadata.managedFields) over HTTP and with kubectl. */
describe('server-side apply', () => {
  let api: TestApi;
  const streamUrl = (ns: string, name: string, query = '') => `${api.base}/namespaces/${ns}/imagestreams/${name}${query}`;
  const config = (name: string, tags: Record<string, string>, labels: Record<string, string> = {}) =>
    [
      'apiVersion: image.openshift.io/v1',
      'kind: ImageStream',
      'metadata:',
      `  name: ${name}`,
      ...(Object.keys(labels).length ? ['  labels:', ...Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`)] : []),
      'spec:',
      '  tags:',
      ...Object.entries(tags).flatMap(([tag, from]) => [`  - name: ${tag}`, '    from:', '      kind: DockerImage', `      name: ${from}`]),
      '',
    ].join('\n');
  const apply = (ns: string, name: string, body: string, query = '?fieldManager=ci') => call('PATCH', streamUrl(ns, name, query), body, APPLY);

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates a missing object (201), then an identical apply writes nothing', async () => {
    const body = config('web', { latest: 'quay.io/x/web:1' }, { app: 'web' });
    const created = await apply('ssa', 'web', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'ImageStream',
      metadata: {
        name: 'web',
        labels: { app: 'web' },
        managedFields: [
          {
            manager: 'ci',
            operation: 'Apply',
            apiVersion: 'image.openshift.io/v1',
            fieldsType: 'FieldsV1',
            fieldsV1: {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:tags': { 'k:{"name":"latest"}': { '.': {}, 'f:from': { 'f:kind': {}, 'f:name': {} }, 'f:name': {} } } },
            },
          },
        ],
      },
      spec: { tags: [{ name: 'latest', referencePolicy: { type: 'Source' } }] },
    });
    const again = await apply('ssa', 'web', body);
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('an exported manifest re-applied after a delete: a resourceVersion is no precondition on create, a uid is a 409', async () => {
    const exported = config('exported', { latest: 'quay.io/x/exported:1' });
    const withVersion = exported.replace('  name: exported\n', '  name: exported\n  resourceVersion: "12345"\n  selfLink: /somewhere\n');
    const created = await apply('ssa', 'exported', withVersion);
    expect(created.status).toBe(201);
    expect(created.body.metadata.resourceVersion).not.toBe('12345');
    expect(created.body.metadata).not.toHaveProperty('selfLink');

    const withUid = config('exported-uid', { latest: 'quay.io/x/exported:1' }).replace('  name: exported-uid\n', '  name: exported-uid\n  uid: 0b8a3c0e-dead-beef-0000-000000000001\n');
    const refused = await apply('ssa', 'exported-uid', withUid);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on imagestreams.image.openshift.io "exported-uid": uid mismatch: the provided object specified uid 0b8a3c0e-dead-beef-0000-000000000001, and no existing object was found',
      details: { name: 'exported-uid', group: 'image.openshift.io', kind: 'imagestreams' },
    });
    expect((await call('GET', streamUrl('ssa', 'exported-uid'))).status).toBe(404);
  });

  it('selfLink is never stored: not from a create, an update or a patch', async () => {
    const created = await call('POST', `${api.base}/namespaces/ssa/imagestreams`, { metadata: { name: 'linked', selfLink: '/x' } });
    expect(created.status).toBe(201);
    expect(created.body.metadata).not.toHaveProperty('selfLink');
    const patched = await call('PATCH', streamUrl('ssa', 'linked'), { metadata: { selfLink: '/y' } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.metadata).not.toHaveProperty('selfLink');
    const read = await call('GET', streamUrl('ssa', 'linked'));
    expect(read.body.metadata).not.toHaveProperty('selfLink');
  });

  it('records ordinary writes as Update managers, and an apply changing their field is a 409 naming it; force takes it', async () => {
    const created = await call('POST', `${api.base}/namespaces/ssa/imagestreams?fieldManager=builder`, {
      metadata: { name: 'owned' },
      spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: 'quay.io/x/owned:1' } }] },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'builder', operation: 'Update', apiVersion: 'image.openshift.io/v1' })]);

    const conflict = await apply('ssa', 'owned', config('owned', { latest: 'quay.io/x/owned:2' }));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "builder" using image.openshift.io/v1: .spec.tags[name="latest"].from.name',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.tags[name="latest"].from.name' }] },
    });
    const unchanged = await call('GET', streamUrl('ssa', 'owned'));
    expect(unchanged.body.spec.tags[0].from.name).toBe('quay.io/x/owned:1');
    expect(unchanged.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);

    // Applying the value it already has shares the field instead.
    expect((await apply('ssa', 'owned', config('owned', { latest: 'quay.io/x/owned:1' }))).status).toBe(200);

    const forced = await apply('ssa', 'owned', config('owned', { latest: 'quay.io/x/owned:2' }), '?fieldManager=ci&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.spec.tags[0].from.name).toBe('quay.io/x/owned:2');
    const builder = forced.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'builder');
    expect(builder.fieldsV1['f:spec']['f:tags']['k:{"name":"latest"}']['f:from']).toEqual({ 'f:kind': {} });
  });

  it('removes fields the applier stopped applying, but keeps those another manager also owns', async () => {
    await apply('ssa', 'shrink', config('shrink', { latest: 'quay.io/x/s:1', stable: 'quay.io/x/s:0' }, { app: 's', tier: 'front' }));
    await call('PATCH', streamUrl('ssa', 'shrink', '?fieldManager=labeller'), { metadata: { labels: { owner: 'ops', tier: 'front' } } }, 'application/merge-patch+json');
    const shrunk = await apply('ssa', 'shrink', config('shrink', { latest: 'quay.io/x/s:1' }, { app: 's' }));
    expect(shrunk.status).toBe(200);
    expect(shrunk.body.spec.tags.map((t: { name: string }) => t.name)).toEqual(['latest']);
    expect(shrunk.body.metadata.labels).toEqual({ app: 's', owner: 'ops' });
  });

  it('rejects what kube-apiserver rejects, changing nothing', async () => {
    const body = config('bad', { latest: 'quay.io/x/b:1' });
    const noManager = await call('PATCH', streamUrl('ssa', 'bad'), body, APPLY);
    expect(noManager.status).toBe(422);
    expect(noManager.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forceOnMerge = await call('PATCH', streamUrl('ssa', 'bad', '?force=true'), { spec: {} }, 'application/merge-patch+json');
    expect(forceOnMerge.status).toBe(422);
    expect(forceOnMerge.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const longManager = await call('POST', `${api.base}/namespaces/ssa/imagestreams?fieldManager=${'m'.repeat(129)}`, { metadata: { name: 'bad' } });
    expect(longManager.status).toBe(422);
    expect(longManager.body.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
    const wrongVersion = await apply('ssa', 'bad', body.replace('image.openshift.io/v1', 'image.openshift.io/v2'));
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.body.message).toBe('Incorrect version specified in apply patch. Specified patch version: image.openshift.io/v2, expected: image.openshift.io/v1');
    const withManaged = await apply('ssa', 'bad', body.replace('metadata:\n', 'metadata:\n  managedFields: [{manager: x}]\n'));
    expect(withManaged.status).toBe(400);
    expect(withManaged.body.message).toBe('metadata.managedFields must be nil');
    const duplicate = await apply('ssa', 'bad', `${config('bad', { a: 'quay.io/x/b:1' })}  - name: a\n`);
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.message).toBe('failed to create typed patch object (ssa/bad; image.openshift.io/v1, Kind=ImageStream): .spec.tags: duplicate entries for key [name="a"]');
    const keyless = await apply('ssa', 'bad', `${config('bad', { a: 'quay.io/x/b:1' })}  - from: {kind: DockerImage, name: x}\n`);
    expect(keyless.body.message).toBe(
      'failed to create typed patch object (ssa/bad; image.openshift.io/v1, Kind=ImageStream): .spec.tags: element 1: associative list with keys has an element that omits key field "name"',
    );
    const invalid = await apply('ssa', 'bad', config('bad', { latest: 'quay.io/x/b:1' }, { app: '"not a label value!"' }));
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toContain('metadata.labels: Invalid value: "not a label value!"');
    expect((await call('GET', streamUrl('ssa', 'bad'))).status).toBe(404);
  });

  it('an unchanged PUT whose managedFields times come back with milliseconds (client-node Dates) writes nothing; an unreadable time is 400', async () => {
    await apply('ssa', 'dates', config('dates', { latest: 'quay.io/x/d:1' }));
    const live = (await call('GET', streamUrl('ssa', 'dates'))).body;
    const asDates = structuredClone(live);
    for (const m of asDates.metadata.managedFields) m.time = new Date(m.time).toISOString();
    asDates.metadata.creationTimestamp = new Date(asDates.metadata.creationTimestamp).toISOString();
    expect(asDates.metadata.managedFields[0].time).toMatch(/\.000Z$/);
    const put = await call('PUT', streamUrl('ssa', 'dates'), asDates);
    expect(put.status).toBe(200);
    expect(put.body.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
    expect(put.body.metadata.managedFields).toEqual(live.metadata.managedFields);
    const bad = structuredClone(live);
    bad.metadata.managedFields[0].time = 'not-a-time';
    const refused = await call('PUT', streamUrl('ssa', 'dates'), bad);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('parsing time "not-a-time"');
  });

  it('ownership can be edited or cleared directly, as upstream allows', async () => {
    await apply('ssa', 'reset', config('reset', { latest: 'quay.io/x/r:1' }));
    const cleared = await call('PATCH', streamUrl('ssa', 'reset'), { metadata: { managedFields: [{}] } }, 'application/merge-patch+json');
    expect(cleared.status).toBe(200);
    expect(cleared.body.metadata.managedFields).toBeUndefined();
    const badEntry = await call('PATCH', streamUrl('ssa', 'reset'), { metadata: { managedFields: [{ manager: 'x', operation: 'Delete', fieldsV1: {} }] } }, 'application/merge-patch+json');
    expect(badEntry.status).toBe(422);
    expect(badEntry.body.message).toContain('metadata.managedFields[0].operation: Invalid value: "Delete": must be `Apply` or `Update`');
  });

  it('an object nobody manages stays so through ordinary writes; a first apply then conflicts with before-first-apply (kube skipNonAppliedManager)', async () => {
    await apply('ssa', 'unmanaged', config('unmanaged', { t: 'quay.io/x/u:1' }));
    expect((await call('PATCH', streamUrl('ssa', 'unmanaged'), { metadata: { managedFields: [{}] } }, 'application/merge-patch+json')).status).toBe(200);
    // A label (kubectl label) and a tag change by someone else: still nobody's.
    const labelled = await call('PATCH', streamUrl('ssa', 'unmanaged', '?fieldManager=kubectl-label'), { metadata: { labels: { env: 'prod' } } }, 'application/merge-patch+json');
    expect([labelled.status, labelled.body.metadata.managedFields]).toEqual([200, undefined]);
    // So an apply changing the tag is a conflict with what was there before it, not a silent overwrite.
    const conflict = await apply('ssa', 'unmanaged', config('unmanaged', { t: 'quay.io/x/u:2' }));
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using image.openshift.io/v1: .spec.tags[name="t"].from.name');
    expect((await call('GET', streamUrl('ssa', 'unmanaged'))).body.spec.tags[0].from.name).toBe('quay.io/x/u:1');
  });

  it('writes through the status subresource are recorded with subresource "status"', async () => {
    const triggers = `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/ssa-status/triggers`;
    const created = await call('POST', `${triggers}?fieldManager=creator`, {
      metadata: { name: 'follow' },
      spec: { from: { kind: 'ImageStreamTag', name: 'base:latest' }, target: { kind: 'Webhook', name: 'hook' }, delivery: { url: 'https://hooks.example.com/x', secretRef: { name: 'hook-key' } } },
    });
    expect(created.status).toBe(201);
    const patched = await call('PATCH', `${triggers}/follow/status?fieldManager=status-writer`, { status: { lastTriggeredImageID: `sha256:${'a'.repeat(64)}` } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    const managers = patched.body.metadata.managedFields as { manager: string; subresource?: string; fieldsV1: Record<string, unknown> }[];
    expect(managers.find((m) => m.manager === 'creator')).toMatchObject({ operation: 'Update', fieldsV1: { 'f:spec': expect.any(Object) } });
    expect(managers.find((m) => m.manager === 'creator')!.subresource).toBeUndefined();
    expect(managers.find((m) => m.manager === 'status-writer')).toMatchObject({
      operation: 'Update',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:lastTriggeredImageID': {} } },
    });
    const bogus = await call('PATCH', `${triggers}/follow/status`, { status: { lastTriggeredImageID: 'sha256:bogus' } }, 'application/merge-patch+json');
    expect(bogus.status).toBe(422);
    expect(bogus.body.details.causes[0]).toMatchObject({ field: 'status.lastTriggeredImageID' });
  });

  (kubectlFound ? it : it.skip)('client-side apply, then server-side, then client-side again: the last-applied annotation follows, so the last step removes what it dropped', async () => {
    const ws = kubectlWorkspace(api.url, 'kla');
    const { dir } = ws;
    try {
      const path = join(dir, 'la.yaml');
      writeFileSync(path, config('la', { latest: 'quay.io/x/la:1' }, { a: 'x' }));
      expect((await runKubectl(dir, ['apply', '-f', path])).code).toBe(0);
      writeFileSync(path, config('la', { latest: 'quay.io/x/la:1' }, { a: 'x', c: 'cc' }));
      expect((await runKubectl(dir, ['apply', '--server-side', '-f', path])).code).toBe(0);
      const lastApplied = JSON.parse((await call('GET', streamUrl('kla', 'la'))).body.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
      expect(lastApplied.metadata.labels).toEqual({ a: 'x', c: 'cc' });
      writeFileSync(path, config('la', { latest: 'quay.io/x/la:1' }, { a: 'x' }));
      const back = await runKubectl(dir, ['apply', '-f', path]);
      expect(back.stdout).toBe('imagestream.image.openshift.io/la configured\n');
      expect((await call('GET', streamUrl('kla', 'la'))).body.metadata.labels).toEqual({ a: 'x' });
    } finally {
      ws.remove();
    }
  });

  (kubectlFound ? it : it.skip)('kubectl apply --server-side: create, unchanged re-apply, conflict with kubectl edit-style patch, --force-conflicts', async () => {
    const ws = kubectlWorkspace(api.url, 'kssa');
    const { dir } = ws;
    try {
      const path = join(dir, 'app.yaml');
      writeFileSync(path, config('app', { latest: 'quay.io/x/app:1' }, { app: 'app' }));
      const first = await runKubectl(dir, ['apply', '--server-side', '-f', path]);
      expect(first).toMatchObject({ code: 0, stdout: 'imagestream.image.openshift.io/app serverside-applied\n' });
      const rv = (await call('GET', streamUrl('kssa', 'app'))).body.metadata.resourceVersion;
      expect((await runKubectl(dir, ['apply', '--server-side', '-f', path])).code).toBe(0);
      expect((await call('GET', streamUrl('kssa', 'app'))).body.metadata.resourceVersion).toBe(rv);

      expect((await runKubectl(dir, ['patch', 'is', 'app', '--type=merge', '-p', '{"spec":{"tags":[{"name":"latest","from":{"kind":"DockerImage","name":"quay.io/x/app:9"}}]}}'])).code).toBe(0);
      writeFileSync(path, config('app', { latest: 'quay.io/x/app:2' }, { app: 'app' }));
      const conflict = await runKubectl(dir, ['apply', '--server-side', '-f', path]);
      expect(conflict.code).not.toBe(0);
      expect(conflict.stderr).toContain('Apply failed with');
      expect(conflict.stderr).toContain('conflict with "kubectl-patch"');
      const forced = await runKubectl(dir, ['apply', '--server-side', '--force-conflicts', '-f', path]);
      expect(forced.code).toBe(0);
      const yaml = loadYaml((await runKubectl(dir, ['get', 'is', 'app', '-o', 'yaml', '--show-managed-fields'])).stdout) as {
        spec: { tags: { from: { name: string } }[] };
        metadata: { managedFields: { manager: string; operation: string }[] };
      };
      expect(yaml.spec.tags[0]!.from.name).toBe('quay.io/x/app:2');
      expect(yaml.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toContain('kubectl/Apply');
    } finally {
      ws.remove();
    }
  });
});
