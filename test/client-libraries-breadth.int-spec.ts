import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { ClientNode } from './support/client-node';

/**
 * Calls real Kubernetes client libraries make that the other client tests do not: the
 * CustomObjectsApi on the image group (status subresource patches of each type), compared with
 * what openshift-apiserver answers.
 */
describe('client libraries: @kubernetes/client-node CustomObjectsApi on image.openshift.io', () => {
  let api: TestApi;
  let client: ClientNode;
  const ns = 'breadth';
  const group = { group: 'image.openshift.io', version: 'v1', namespace: ns, plural: 'imagestreams' };
  const digest = (c: string) => `sha256:${c.repeat(64)}`;

  beforeAll(async () => {
    api = await startTestApi();
    client = new ClientNode(api.url, ns);
    await client.ready;
  });
  afterAll(async () => {
    await client?.terminate();
    await api.close();
  });

  /** A stream with one pushed tag `a`, its status conditions set to `conditions` (by a merge patch). */
  async function streamWithConditions(name: string, conditions: unknown[]): Promise<void> {
    expect((await call('POST', `${api.base}/namespaces/${ns}/imagestreams`, { metadata: { name } })).status).toBe(201);
    const d = digest('d');
    const mapped = await call('POST', `${api.base}/namespaces/${ns}/imagestreammappings`, {
      metadata: { name },
      tag: 'a',
      image: { metadata: { name: d }, dockerImageReference: `quay.io/${ns}/${name}@${d}` },
    });
    expect(mapped.status).toBe(201);
    const stream = await client.call('custom', 'getNamespacedCustomObject', { ...group, name });
    const tags = stream.status.tags.map((t: any) => ({ ...t, conditions }));
    await client.call('custom', 'patchNamespacedCustomObjectStatus', { ...group, name, body: { status: { tags } } }, 'application/merge-patch+json');
  }

  const condition = (type: string, status: string) => ({ type, status, generation: 1, lastTransitionTime: '2026-01-01T00:00:00Z' });

  it("a strategic merge patch of imagestreams/status replaces a tag's conditions whole (NamedTagEventList.conditions has no patchMergeKey)", async () => {
    await streamWithConditions('smp', [condition('ImportSuccess', 'False'), condition('Other', 'True')]);
    const patched = await client.call(
      'custom',
      'patchNamespacedCustomObjectStatus',
      { ...group, name: 'smp', body: { status: { tags: [{ tag: 'a', conditions: [condition('Other', 'False')] }] } } },
      'application/strategic-merge-patch+json',
    );
    // status.tags merges by tag (the items stay); the conditions list is the patch's.
    expect(patched.status.tags).toHaveLength(1);
    expect(patched.status.tags[0].items).toHaveLength(1);
    expect(patched.status.tags[0].conditions).toEqual([condition('Other', 'False')]);

    const cleared = await client.call(
      'custom',
      'patchNamespacedCustomObjectStatus',
      { ...group, name: 'smp', body: { status: { tags: [{ tag: 'a', conditions: [] }] } } },
      'application/strategic-merge-patch+json',
    );
    expect(cleared.status.tags[0].conditions ?? []).toEqual([]);
    expect(cleared.status.tags[0].items).toHaveLength(1);
  });

  it("server-side apply owns a tag's status conditions as one value: another manager's conditions conflict", async () => {
    await streamWithConditions('ssa', []);
    const apply = (manager: string, type: string) =>
      client.call(
        'custom',
        'patchNamespacedCustomObjectStatus',
        {
          ...group,
          name: 'ssa',
          fieldManager: manager,
          body: { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'ssa' }, status: { tags: [{ tag: 'a', conditions: [condition(type, 'False')] }] } },
        },
        'application/apply-patch+yaml',
      );
    const first = await apply('importer', 'ImportSuccess');
    expect(first.status.tags[0].conditions).toEqual([condition('ImportSuccess', 'False')]);
    const rival = await apply('auditor', 'Other').catch((e) => e);
    expect(rival).toMatchObject({ code: 409 });
    expect(JSON.parse(rival.body).details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "importer" with subresource "status"', field: '.status.tags[tag="a"].conditions' },
    ]);
  });
});
