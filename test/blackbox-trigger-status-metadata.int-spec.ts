import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { TRIGGERS_API, triggerSpec } from './support/trigger-resources';

/**
 * Found by black-box acceptance checks of issue 5 (the Trigger kind as a Kubernetes API reviewer
 * sees it): `triggers/{name}/status` takes only `status` from a write. kube-apiserver's status
 * strategy for a CRD keeps the whole stored object but status (and the managedFields it tracked),
 * as built-in kinds do with ResetObjectMetaForStatus; labels and annotations were already kept,
 * but finalizers, ownerReferences and generateName written through /status were stored, so a
 * status writer could add or drop a finalizer (and so complete a held delete).
 */
describe('Trigger /status keeps the stored metadata, black-box', () => {
  let api: TestApi;
  const trg = () => `${api.url}${TRIGGERS_API}/namespaces/demo/triggers`;
  const merge = (url: string, body: unknown) => call('PATCH', url, body, 'application/merge-patch+json');
  const create = async (name: string, metadata: Record<string, unknown> = {}) => {
    const res = await call('POST', trg(), {
      metadata: { name, ...metadata },
      spec: triggerSpec('base:latest', { kind: 'Build', name }, 'https://ci.example.com/hook'),
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const condition = { type: 'Reviewed', status: 'True', reason: 'LooksGood', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };

  beforeAll(async () => {
    api = await startTestApi();
  }, 60000);
  afterAll(async () => {
    await api?.close();
  });

  it('a merge patch of /status applies status only: labels, annotations, finalizers, ownerReferences and generateName stay as stored', async () => {
    const created = await create('meta');
    const res = await merge(`${trg()}/meta/status`, {
      metadata: {
        labels: { via: 'status' },
        annotations: { via: 'status' },
        finalizers: ['example.com/hold'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '6f2c1e0a-8d7b-4c55-9a3e-1b2c3d4e5f60' }],
        generateName: 'zz-',
      },
      status: { conditions: [condition] },
    });
    expect(res.status).toBe(200);
    expect(res.body.status.conditions).toEqual([condition]);
    const read = (await call('GET', `${trg()}/meta`)).body;
    expect(read.status.conditions).toEqual([condition]);
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'generateName']) {
      expect(read.metadata[field]).toBeUndefined();
    }
    expect(read.metadata.generation).toBe(created.metadata.generation);
  });

  it('a PUT of /status that drops the finalizers of a Trigger being deleted neither drops them nor completes the delete', async () => {
    await create('held', { finalizers: ['example.com/hold'] });
    expect((await call('DELETE', `${trg()}/held`)).status).toBe(200);
    const marked = (await call('GET', `${trg()}/held`)).body;
    expect(marked.metadata.deletionTimestamp).toBeDefined();

    const res = await call('PUT', `${trg()}/held/status`, {
      ...marked,
      metadata: { ...marked.metadata, finalizers: [] },
      status: { conditions: [condition] },
    });
    expect(res.status).toBe(200);
    const read = await call('GET', `${trg()}/held`);
    expect(read.status).toBe(200);
    expect(read.body.metadata.finalizers).toEqual(['example.com/hold']);
    expect(read.body.status.conditions).toEqual([condition]);

    // The main resource still removes it, and that completes the delete.
    expect((await call('PATCH', `${trg()}/held`, [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json')).status).toBe(200);
    expect((await call('GET', `${trg()}/held`)).status).toBe(404);
  });

  it('a server-side apply of /status naming labels and finalizers applies its status only', async () => {
    await create('applied');
    const config = {
      apiVersion: 'triggers.imagestreamd.io/v1',
      kind: 'Trigger',
      metadata: { name: 'applied', labels: { via: 'apply' }, finalizers: ['example.com/hold'] },
      status: { conditions: [condition] },
    };
    const res = await call('PATCH', `${trg()}/applied/status?fieldManager=reviewer`, JSON.stringify(config), 'application/apply-patch+yaml');
    expect(res.status).toBe(200);
    const read = (await call('GET', `${trg()}/applied`)).body;
    expect(read.metadata.labels).toBeUndefined();
    expect(read.metadata.finalizers).toBeUndefined();
    expect(read.status.conditions).toEqual([condition]);
    const reviewer = read.metadata.managedFields.find((m: any) => m.manager === 'reviewer');
    expect(reviewer).toMatchObject({ operation: 'Apply', subresource: 'status' });
  });
});
