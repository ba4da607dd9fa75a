import { call, watchEvents } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

/**
 * Kubernetes' garbage collector on the stored kinds: a delete's propagation policy decides what
 * happens to the objects whose metadata.ownerReferences name the deleted one.
 */
describe('garbage collection of dependents (ownerReferences)', () => {
  let api: TestApi;
  const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;
  const limitRanges = (ns: string) => `${api.url}/api/v1/namespaces/${ns}/limitranges`;
  const ownerRef = (owner: { metadata: { name: string; uid: string } }, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStream',
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    ...extra,
  });
  const stream = async (ns: string, name: string, ownerReferences?: object[], finalizers?: string[]) => {
    const res = await call('POST', streams(ns), { metadata: { name, ...(ownerReferences ? { ownerReferences } : {}), ...(finalizers ? { finalizers } : {}) } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const status = async (url: string) => (await call('GET', url)).status;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('Background (the default): a dependent of no other owner is deleted, one of another owner only loses the reference; its own dependents follow', async () => {
    const owner = await stream('gc-bg', 'owner');
    const other = await stream('gc-bg', 'other');
    const child = await stream('gc-bg', 'child', [ownerRef(owner)]);
    await stream('gc-bg', 'grandchild', [ownerRef(child)]);
    await stream('gc-bg', 'shared', [ownerRef(owner), ownerRef(other)]);
    // Another kind, owned across kinds.
    expect((await call('POST', limitRanges('gc-bg'), { metadata: { name: 'limits', ownerReferences: [ownerRef(owner)] }, spec: { limits: [] } })).status).toBe(201);
    const unrelated = await stream('gc-bg', 'unrelated');

    const deleted = await call('DELETE', `${streams('gc-bg')}/owner`);
    expect(deleted.status).toBe(200);
    // Done before the answer: nothing to wait for.
    expect(await status(`${streams('gc-bg')}/child`)).toBe(404);
    expect(await status(`${streams('gc-bg')}/grandchild`)).toBe(404);
    expect(await status(`${limitRanges('gc-bg')}/limits`)).toBe(404);
    const shared = (await call('GET', `${streams('gc-bg')}/shared`)).body;
    expect(shared.metadata.ownerReferences).toEqual([ownerRef(other)]);
    expect((await call('GET', `${streams('gc-bg')}/unrelated`)).body.metadata.uid).toBe(unrelated.metadata.uid);
  });

  it('Orphan: the owner goes, its dependents stay without the reference', async () => {
    const owner = await stream('gc-orphan', 'owner');
    await stream('gc-orphan', 'child', [ownerRef(owner, { controller: true, blockOwnerDeletion: true })]);
    const deleted = await call('DELETE', `${streams('gc-orphan')}/owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata.finalizers).toEqual(['orphan']);
    expect(await status(`${streams('gc-orphan')}/owner`)).toBe(404);
    const child = (await call('GET', `${streams('gc-orphan')}/child`)).body;
    expect(child.metadata.ownerReferences).toBeUndefined();
  });

  it('Foreground: the owner, marked with foregroundDeletion, goes after its dependents (watch order)', async () => {
    const owner = await stream('gc-fg', 'owner');
    await stream('gc-fg', 'child', [ownerRef(owner, { blockOwnerDeletion: true })]);
    const list = await call('GET', streams('gc-fg'));
    const watch = watchEvents(`${streams('gc-fg')}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    try {
      await watch.opened;
      const deleted = await call('DELETE', `${streams('gc-fg')}/owner?propagationPolicy=Foreground`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.metadata).toMatchObject({ finalizers: ['foregroundDeletion'], deletionTimestamp: expect.any(String) });
      expect(await status(`${streams('gc-fg')}/child`)).toBe(404);
      expect(await status(`${streams('gc-fg')}/owner`)).toBe(404);
      await watch.waitFor((events) => events.filter((e) => e.type === 'DELETED').length === 2);
      // The dependent is deleted in the foreground too (its own dependents first), as kube's collector deletes a blocking one.
      expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.finalizers ?? []}`)).toEqual([
        'MODIFIED owner foregroundDeletion',
        'MODIFIED child foregroundDeletion',
        'DELETED child foregroundDeletion',
        'DELETED owner foregroundDeletion',
      ]);
    } finally {
      watch.stop();
    }
  });

  it('a dependent held by its own finalizer is marked and stays until the finalizer is removed; a dry run collects nothing', async () => {
    const owner = await stream('gc-held', 'owner');
    await stream('gc-held', 'held', [ownerRef(owner)], ['example.com/keep']);
    expect((await call('DELETE', `${streams('gc-held')}/owner?dryRun=All`)).status).toBe(200);
    expect((await call('GET', `${streams('gc-held')}/held`)).body.metadata.deletionTimestamp).toBeUndefined();
    expect((await call('DELETE', `${streams('gc-held')}/owner`)).status).toBe(200);
    const held = (await call('GET', `${streams('gc-held')}/held`)).body;
    expect(held.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['example.com/keep'] });
    const released = await call('PATCH', `${streams('gc-held')}/held`, [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json');
    expect(released.status).toBe(200);
    expect(await status(`${streams('gc-held')}/held`)).toBe(404);
  });

  (kubectlFound ? it : it.skip)('kubectl delete --cascade=orphan keeps the dependents; the default cascade deletes them', async () => {
    const owner = await stream('gc-kubectl', 'owner');
    await stream('gc-kubectl', 'child', [ownerRef(owner)]);
    const ws = kubectlWorkspace(api.url, 'gc-kubectl');
    try {
      const orphaned = await ws.run(['delete', 'is', 'owner', '--cascade=orphan']);
      expect([orphaned.code, orphaned.stdout]).toEqual([0, 'imagestream.image.openshift.io "owner" deleted\n']);
      expect((await call('GET', `${streams('gc-kubectl')}/child`)).body.metadata.ownerReferences).toBeUndefined();
      const owner2 = await stream('gc-kubectl', 'owner2');
      await stream('gc-kubectl', 'child2', [ownerRef(owner2)]);
      const cascaded = await ws.run(['delete', 'is', 'owner2']);
      expect(cascaded.code).toBe(0);
      expect(await status(`${streams('gc-kubectl')}/child2`)).toBe(404);
    } finally {
      ws.remove();
    }
  });
});
