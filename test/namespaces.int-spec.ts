import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';

/** core/v1 namespaces: implicit for use, and creatable, listable and deletable (with their contents) as on a cluster. */
describe('namespaces', () => {
  let api: TestApi;
  const ns = (name = '') => `${api.url}/api/v1/namespaces${name ? `/${name}` : ''}`;

  beforeAll(async () => {
    api = await startTestApi({ namespaceTerminationDelayMs: 200 });
  });
  afterAll(async () => {
    await api.close();
  });

  it('a name holding objects reads as Active; a created one is stored, listed and unique', async () => {
    await call('POST', `${api.base}/namespaces/anything/imagestreams`, { metadata: { name: 'web' }, spec: {} });
    const implicit = await call('GET', ns('anything'));
    expect(implicit.status).toBe(200);
    expect(implicit.body).toMatchObject({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'anything' }, status: { phase: 'Active' } });
    expect(implicit.body.metadata.uid).toBeUndefined();

    const created = await call('POST', ns(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { team: 'a' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      metadata: { name: 'team-a', labels: { team: 'a', 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const custom = await call('POST', ns(), { metadata: { name: 'custom' }, spec: { finalizers: ['example.com/x'] } });
    expect(custom.body.spec.finalizers).toEqual(['example.com/x', 'kubernetes']);
    expect(created.body.metadata.uid).toEqual(expect.any(String));
    expect((await call('POST', ns(), { metadata: { name: 'team-a' } })).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const invalid = await call('POST', ns(), { metadata: { name: 'Team_A' } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toContain('metadata.name: Invalid value: "Team_A"');

    expect((await call('GET', `${ns()}?fieldSelector=status.phase%3DActive`)).body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toContain('team-a');
    expect((await call('GET', `${ns()}?fieldSelector=status.phase%3DTerminating`)).body.items).toEqual([]);
    const list = await call('GET', `${ns()}?labelSelector=team%3Da`);
    expect(list.body).toMatchObject({ kind: 'NamespaceList', apiVersion: 'v1' });
    expect(list.body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['team-a']);
    const discovery = await call('GET', `${api.url}/api/v1`);
    // kubectl's default prune list (`apply --prune`) maps these kinds: served always empty.
    const alwaysEmpty = (name: string, kind: string, shortName: string, namespaced = true) =>
      expect.objectContaining({ name, kind, singularName: kind.toLowerCase(), namespaced, verbs: ['get', 'list', 'watch'], shortNames: [shortName] });
    expect(discovery.body.resources).toEqual([
      alwaysEmpty('configmaps', 'ConfigMap', 'cm'),
      alwaysEmpty('endpoints', 'Endpoints', 'ep'),
      expect.objectContaining({ name: 'events', kind: 'Event', namespaced: true, verbs: ['get', 'list', 'watch'], shortNames: ['ev'] }),
      expect.objectContaining({ name: 'limitranges', kind: 'LimitRange', namespaced: true, shortNames: ['limits'] }),
      expect.objectContaining({ name: 'namespaces', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] }),
      expect.objectContaining({ name: 'namespaces/finalize', kind: 'Namespace', namespaced: false, verbs: ['update'] }),
      expect.objectContaining({ name: 'namespaces/status', kind: 'Namespace', namespaced: false, verbs: ['get', 'patch', 'update'] }),
      alwaysEmpty('persistentvolumeclaims', 'PersistentVolumeClaim', 'pvc'),
      alwaysEmpty('persistentvolumes', 'PersistentVolume', 'pv', false),
      expect.objectContaining({ name: 'pods', kind: 'Pod', namespaced: true, verbs: ['get', 'list', 'watch'], shortNames: ['po'] }),
      alwaysEmpty('replicationcontrollers', 'ReplicationController', 'rc'),
      expect.objectContaining({ name: 'resourcequotas', kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'] }),
      expect.objectContaining({ name: 'resourcequotas/status', kind: 'ResourceQuota', namespaced: true, verbs: ['get', 'patch', 'update'] }),
      expect.objectContaining({ name: 'secrets', kind: 'Secret', namespaced: true, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
      expect.objectContaining({ name: 'services', kind: 'Service', namespaced: true, verbs: ['get', 'list', 'watch'], shortNames: ['svc'] }),
    ]);
    expect((await call('GET', `${api.url}/apis`)).body.groups.map((g: { name: string }) => g.name)).not.toContain('');
  });

  it('a patch of an implicit namespace creates it; status stays the server\'s', async () => {
    await call('POST', `${api.base}/namespaces/labelled/imagestreams`, { metadata: { name: 'web' }, spec: {} });
    const patched = await call('PATCH', ns('labelled'), { metadata: { labels: { env: 'ci' } }, status: { phase: 'Terminating' } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ metadata: { name: 'labelled', labels: { env: 'ci' } }, status: { phase: 'Active' } });
    expect((await call('GET', ns('labelled'))).body.metadata.uid).toBe(patched.body.metadata.uid);
  });

  it('a delete checks its uid and resourceVersion preconditions first, worded as the namespace store words them', async () => {
    const created = (await call('POST', ns(), { metadata: { name: 'guarded' } })).body;
    const del = (preconditions: object) => call('DELETE', ns('guarded'), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions });
    const wrongUid = await del({ uid: 'nope' });
    expect(wrongUid.body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on namespaces "guarded": Precondition failed: UID in precondition: nope, UID in object meta: ${created.metadata.uid}`,
    });
    const wrongRv = await del({ resourceVersion: '1' });
    expect(wrongRv.body.message).toBe(`Operation cannot be fulfilled on namespaces "guarded": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${created.metadata.resourceVersion}`);
    expect((await call('GET', ns('guarded'))).body.status.phase).toBe('Active');
    const marked = await del({ uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion });
    expect(marked.body).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
  });

  it('a delete asking for Foreground or Orphan (or orphanDependents) marks the namespace with that metadata finalizer, which goes while it terminates', async () => {
    const held = async (name: string) => (await call('POST', ns(), { metadata: { name }, spec: { finalizers: ['example.com/x'] } })).body;
    // kube's namespace REST Delete: the policy (or the legacy orphanDependents, false meaning
    // foreground here) sets `orphan` or `foregroundDeletion`.
    const cases: [string, string, object | undefined, string[] | undefined, number][] = [
      ['ns-fg', '?propagationPolicy=Foreground', undefined, ['foregroundDeletion'], 200],
      ['ns-orphan', '', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' }, ['orphan'], 200],
      ['ns-legacy-orphan', '?orphanDependents=true', undefined, ['orphan'], 200],
      ['ns-legacy-cascade', '', { orphanDependents: false }, ['foregroundDeletion'], 202],
      ['ns-bg', '?propagationPolicy=Background', undefined, undefined, 200],
    ];
    for (const [name, query, body, finalizers, code] of cases) {
      await held(name);
      const deleted = await call('DELETE', `${ns(name)}${query}`, body);
      expect({ name, code: deleted.status, finalizers: deleted.body.metadata.finalizers, phase: deleted.body.status.phase }).toEqual({ name, code, finalizers, phase: 'Terminating' });
    }
    // A dry run answers the mark and stores nothing.
    await held('ns-dry');
    const dry = await call('DELETE', `${ns('ns-dry')}?dryRun=All&propagationPolicy=Orphan`);
    expect(dry.body).toMatchObject({ metadata: { finalizers: ['orphan'], deletionTimestamp: expect.any(String) }, status: { phase: 'Terminating' } });
    const stored = (await call('GET', ns('ns-dry'))).body;
    expect(stored.metadata.finalizers).toBeUndefined();
    expect(stored.status.phase).toBe('Active');

    // The garbage collector's part: the finalizer goes (no dependents here) while the client's spec
    // finalizer still holds the emptied namespace; finalizing it then removes it.
    for (const [name] of cases) {
      const emptied = await pollUntil(() => call('GET', ns(name)), (r) => r.body.spec?.finalizers?.length === 1 && r.body.metadata.finalizers === undefined, 15000);
      expect(emptied.body).toMatchObject({ metadata: { deletionTimestamp: expect.any(String) }, spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } });
      expect(emptied.body.metadata.finalizers).toBeUndefined();
      expect((await call('PUT', `${ns(name)}/finalize`, { metadata: { name }, spec: { finalizers: [] } })).status).toBe(200);
      expect((await call('GET', ns(name))).body.metadata.uid).toBeUndefined();
    }
  });

  it('of concurrent deletes of one namespace, one marks it and the others answer it as marked', async () => {
    await call('POST', ns(), { metadata: { name: 'raced' } });
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('DELETE', ns('raced'))));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const marked = (await call('GET', ns('raced'))).body;
    for (const a of answers) {
      expect(a.body).toMatchObject({ kind: 'Namespace', metadata: { deletionTimestamp: marked.metadata.deletionTimestamp, resourceVersion: marked.metadata.resourceVersion }, status: { phase: 'Terminating' } });
    }
  });

  it('delete marks the namespace Terminating, then empties it (watch events included) and removes it; an unknown empty one is 404', async () => {
    await call('POST', ns(), { metadata: { name: 'doomed' } });
    const streams = `${api.base}/namespaces/doomed/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'web' }, spec: {} })).status).toBe(201);
    const secret = await call('POST', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/doomed/triggersecrets`, {
      metadata: { name: 'sig' },
      data: { key: Buffer.alloc(32, 7).toString('base64') },
    });
    expect(secret.status).toBe(201);
    // Held by a finalizer: the namespace waits for it.
    expect((await call('POST', streams, { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: {} })).status).toBe(201);
    // Objects in an implicit namespace next door are untouched.
    expect((await call('POST', `${api.base}/namespaces/neighbour/imagestreams`, { metadata: { name: 'web' }, spec: {} })).status).toBe(201);

    const deleted = await call('DELETE', ns('doomed'));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ kind: 'Namespace', metadata: { name: 'doomed', deletionTimestamp: expect.any(String) }, status: { phase: 'Terminating' } });
    // The namespace store marks it itself, not through graceful deletion: no deletionGracePeriodSeconds.
    expect(deleted.body.metadata.deletionGracePeriodSeconds).toBeUndefined();
    expect((await call('GET', ns('doomed'))).body.status.phase).toBe('Terminating');
    // Deleting it again answers it unchanged (kube-apiserver's namespace store: 200, the object; 202 with orphanDependents=false).
    const again = await call('DELETE', ns('doomed'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ kind: 'Namespace', metadata: { uid: deleted.body.metadata.uid, deletionTimestamp: deleted.body.metadata.deletionTimestamp }, status: { phase: 'Terminating' } });
    expect((await call('DELETE', `${ns('doomed')}?orphanDependents=false`)).status).toBe(202);
    // Until the terminator runs, clients may still delete the contents themselves (kubectl delete -f of a List).
    expect((await call('DELETE', `${api.url}/apis/triggers.imagestreamd.io/v1/namespaces/doomed/triggersecrets/sig`)).status).toBe(200);

    await pollUntil(() => call('GET', `${streams}/web`), (r) => r.status === 404);
    const held = (await call('GET', `${streams}/held`)).body;
    expect(held.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect((await call('GET', ns('doomed'))).body.status.phase).toBe('Terminating');
    // NamespaceLifecycle admission: nothing new in a terminating namespace (updates stay allowed).
    const refused = await call('POST', streams, { metadata: { name: 'late' }, spec: {} });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: 'imagestreams.image.openshift.io "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      details: { name: 'late', group: 'image.openshift.io', kind: 'imagestreams', causes: [{ reason: 'NamespaceTerminating', message: 'namespace doomed is being terminated', field: 'metadata.namespace' }] },
    });
    const mapping = await call('POST', `${api.base}/namespaces/doomed/imagestreammappings`, {
      metadata: { name: 'held' },
      image: { metadata: { name: `sha256:${'d'.repeat(64)}` }, dockerImageReference: `example.com/doomed/held@sha256:${'d'.repeat(64)}` },
      tag: 'latest',
    });
    expect(mapping.body).toMatchObject({ code: 403, reason: 'Forbidden' });
    // An access review stores nothing and is answered whatever the namespace's state (the plugin's isAccessReview).
    const review = await call('POST', `${api.url}/apis/authorization.k8s.io/v1/namespaces/doomed/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      spec: { user: 'someone', resourceAttributes: { namespace: 'doomed', verb: 'get', group: 'image.openshift.io', resource: 'imagestreams' } },
    });
    expect([review.status, review.body.status?.allowed]).toEqual([201, true]);
    // A server-side apply that would create is a create too; one that updates is not (a PUT of a missing stream is 404 as ever).
    const applyYaml = (name: string) => `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: ${name}\n  labels: {x: y}\n`;
    const applied = await call('PATCH', `${streams}/late?fieldManager=t`, applyYaml('late'), 'application/apply-patch+yaml');
    expect(applied.body).toMatchObject({ code: 403, reason: 'Forbidden', details: { causes: [{ reason: 'NamespaceTerminating' }] } });
    expect((await call('PUT', `${streams}/late`, { metadata: { name: 'late' }, spec: {} })).status).toBe(404);
    expect((await call('PATCH', `${streams}/held?fieldManager=t`, applyYaml('held'), 'application/apply-patch+yaml')).status).toBe(200);
    expect((await call('GET', `${streams}/late`)).status).toBe(404);
    expect((await call('PATCH', `${streams}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
    const gone = await pollUntil(() => call('GET', ns()), (r) => !r.body.items.some((n: { metadata: { name: string } }) => n.metadata.name === 'doomed'), 15000);
    expect(gone.status).toBe(200);
    expect((await call('GET', `${api.base}/namespaces/neighbour/imagestreams/web`)).status).toBe(200);
    // Once removed, the name is usable again.
    expect((await call('POST', streams, { metadata: { name: 'reborn' }, spec: {} })).status).toBe(201);

    expect((await call('DELETE', ns('never-used'))).body).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "never-used" not found' });
    // Deleting an implicit namespace that holds objects empties it too.
    expect((await call('DELETE', ns('neighbour'))).status).toBe(200);
    await pollUntil(() => call('GET', `${api.base}/namespaces/neighbour/imagestreams/web`), (r) => r.status === 404);
  });

  it('a terminating namespace stays until emptied when it is labelled or patched meanwhile (its spec.finalizers still hold it)', async () => {
    await call('POST', ns(), { metadata: { name: 'relabelled' } });
    const streams = `${api.base}/namespaces/relabelled/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: {} })).status).toBe(201);
    expect((await call('DELETE', ns('relabelled'))).status).toBe(200);
    // kubectl label ns: an update of an object being deleted with no metadata.finalizers.
    const labelled = await call('PATCH', ns('relabelled'), { metadata: { labels: { why: 'audit' } } }, 'application/merge-patch+json');
    expect(labelled.status).toBe(200);
    expect(labelled.body).toMatchObject({ metadata: { labels: { why: 'audit' }, deletionTimestamp: expect.any(String) }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } });
    const stillThere = await call('GET', ns('relabelled'));
    expect(stillThere.body).toMatchObject({ metadata: { uid: expect.any(String), labels: { why: 'audit' } }, status: { phase: 'Terminating' } });
    expect((await call('POST', streams, { metadata: { name: 'late' }, spec: {} })).status).toBe(403);
    await pollUntil(() => call('GET', `${streams}/held`), (r) => r.body.metadata?.deletionTimestamp !== undefined);
    // The namespace controller's conditions say what holds it.
    const waiting = await pollUntil(() => call('GET', ns('relabelled')), (r) => (r.body.status?.conditions ?? []).length === 5);
    const at = expect.any(String);
    expect(waiting.body.status).toEqual({
      phase: 'Terminating',
      conditions: [
        { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered', lastTransitionTime: at },
        { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed', lastTransitionTime: at },
        { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization', lastTransitionTime: at },
        { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: imagestreams.image.openshift.io has 1 resource instances', lastTransitionTime: at },
        { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances', lastTransitionTime: at },
      ],
    });
    expect((await call('PATCH', `${streams}/held`, { metadata: { finalizers: null } }, 'application/merge-patch+json')).status).toBe(200);
    await pollUntil(() => call('GET', ns()), (r) => !r.body.items.some((n: { metadata: { name: string } }) => n.metadata.name === 'relabelled'), 15000);
    expect((await call('GET', `${streams}/held`)).status).toBe(404);
  });

  it('a client\'s spec finalizer keeps an emptied namespace Terminating until namespaces/{name}/finalize removes it; /status and /finalize as kube-apiserver', async () => {
    const bad = await call('POST', ns(), { metadata: { name: 'bad-fin' }, spec: { finalizers: ['foo'] } });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toBe('Namespace "bad-fin" is invalid: spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified');

    await call('POST', ns(), { metadata: { name: 'client-held' }, spec: { finalizers: ['example.com/x'] } });
    const streams = `${api.base}/namespaces/client-held/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'web' }, spec: {} })).status).toBe(201);
    expect((await call('DELETE', ns('client-held'))).status).toBe(200);
    // The controller's own finalizer goes once the contents are gone; the client's stays, and so does the namespace.
    const emptied = await pollUntil(() => call('GET', ns('client-held')), (r) => r.body.spec?.finalizers?.length === 1, 15000);
    expect(emptied.body).toMatchObject({ metadata: { uid: expect.any(String), deletionTimestamp: expect.any(String) }, spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } });
    expect((await call('GET', `${streams}/web`)).status).toBe(404);
    const again = await call('DELETE', ns('client-held'));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ kind: 'Namespace', spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } });

    const status = await call('GET', `${ns('client-held')}/status`);
    expect(status.body).toMatchObject({ kind: 'Namespace', metadata: { name: 'client-held' }, status: { phase: 'Terminating' } });
    const active = await call('PUT', `${ns('client-held')}/status`, { metadata: { name: 'client-held' }, status: { phase: 'Active' } });
    expect(active.status).toBe(422);
    expect(active.body.message).toBe('Namespace "client-held" is invalid: status.Phase: Invalid value: "Active": may only be \'Terminating\' if `deletionTimestamp` is not empty');
    const condition = { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'waiting for example.com/x' };
    const patched = await call('PATCH', `${ns('client-held')}/status`, { status: { conditions: [condition] }, spec: { finalizers: [] } }, 'application/merge-patch+json');
    expect(patched.body).toMatchObject({ spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating', conditions: [condition] } });

    const invalid = await call('PUT', `${ns('client-held')}/finalize`, { metadata: { name: 'client-held' }, spec: { finalizers: ['bad'] } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toContain('spec.finalizers[0]: Invalid value: "bad": name is neither a standard finalizer name nor is it fully qualified');
    expect((await call('PUT', `${ns('never-made')}/finalize`, { metadata: { name: 'never-made' }, spec: { finalizers: [] } })).status).toBe(404);
    // Emptying spec.finalizers of a terminating namespace removes it (ShouldDeleteNamespaceDuringUpdate).
    const finalized = await call('PUT', `${ns('client-held')}/finalize`, { metadata: { name: 'client-held' }, spec: { finalizers: [] } });
    expect(finalized.status).toBe(200);
    expect((await call('GET', ns())).body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).not.toContain('client-held');
    expect((await call('GET', ns('client-held'))).status).toBe(404);
  });

  it('default, kube-system, kube-public and kube-node-lease exist from the start; the first three may not be deleted', async () => {
    const names = (await call('GET', ns())).body.items.map((n: { metadata: { name: string } }) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-node-lease', 'kube-public', 'kube-system']));
    const stored = await call('GET', ns('default'));
    expect(stored.body).toMatchObject({ metadata: { name: 'default', uid: expect.any(String), labels: { 'kubernetes.io/metadata.name': 'default' } }, status: { phase: 'Active' } });
    await call('POST', `${api.base}/namespaces/default/imagestreams`, { metadata: { name: 'kept' }, spec: {} });
    for (const name of ['default', 'kube-system', 'kube-public']) {
      for (const query of ['', '?dryRun=All']) {
        const refused = await call('DELETE', `${ns(name)}${query}`);
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({
          kind: 'Status',
          reason: 'Forbidden',
          message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          details: { name, kind: 'namespaces' },
        });
      }
      expect((await call('GET', ns(name))).body.status.phase).toBe('Active');
    }
    expect((await call('GET', `${api.base}/namespaces/default/imagestreams/kept`)).status).toBe(200);
    // kube-node-lease is not immortal upstream (its controller creates it again); here the next start does.
    expect((await call('DELETE', ns('kube-node-lease'))).body).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
  });

  (kubectlFound ? it : it.skip)('kubectl create namespace (protobuf), get ns, apply -f, label, delete ns', async () => {
    const ws = kubectlWorkspace(api.url);
    const { dir } = ws;
    try {
      const kubectl = (...args: string[]) => ws.run(args);
      expect(await kubectl('create', 'namespace', 'kc-demo')).toMatchObject({ code: 0, stdout: 'namespace/kc-demo created\n' });
      expect((await kubectl('create', 'namespace', 'kc-demo')).stderr).toContain('namespaces "kc-demo" already exists');
      const table = (await kubectl('get', 'ns', 'kc-demo')).stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
      expect(table[0]).toEqual(['NAME', 'STATUS', 'AGE']);
      expect(table[1]!.slice(0, 2)).toEqual(['kc-demo', 'Active']);
      const file = join(dir, 'ns.yaml');
      writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kc-applied\n  labels: {team: web}\n');
      expect(await kubectl('apply', '-f', file)).toMatchObject({ code: 0 });
      expect(await kubectl('label', 'ns', 'kc-demo', 'tier=gold')).toMatchObject({ code: 0 });
      expect((await call('GET', ns('kc-demo'))).body.metadata.labels).toEqual({ tier: 'gold', 'kubernetes.io/metadata.name': 'kc-demo' });
      expect((await call('GET', ns('kc-applied'))).body.metadata.labels).toEqual({ team: 'web', 'kubernetes.io/metadata.name': 'kc-applied' });
      await call('POST', `${api.base}/namespaces/kc-demo/imagestreams`, { metadata: { name: 'web' }, spec: {} });
      // kubectl waits until the namespace is gone, so its contents are gone when it returns.
      expect(await kubectl('delete', 'namespace', 'kc-demo')).toMatchObject({ code: 0, stdout: 'namespace "kc-demo" deleted\n' });
      expect((await kubectl('get', 'is', '-n', 'kc-demo')).stderr).toContain('No resources found in kc-demo namespace.');
      // A List holding a namespace and its contents deletes cleanly (the contents first go by the client).
      const list = join(dir, 'list.yaml');
      writeFileSync(
        list,
        'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: kc-list}}\n- {apiVersion: image.openshift.io/v1, kind: ImageStream, metadata: {name: a, namespace: kc-list}, spec: {}}\n- {apiVersion: image.openshift.io/v1, kind: ImageStream, metadata: {name: b, namespace: kc-list}, spec: {}}\n',
      );
      expect((await kubectl('apply', '-f', list)).code).toBe(0);
      const removed = await kubectl('delete', '-f', list);
      expect(removed).toMatchObject({ code: 0 });
      expect(removed.stdout).toContain('imagestream.image.openshift.io "b" deleted');
    } finally {
      ws.remove();
    }
  });
});
