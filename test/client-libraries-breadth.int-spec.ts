import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { ClientNode } from './support/client-node';
import { pollUntil } from './support/poll';
import { pythonClientFixture, pythonClientUnavailableReason } from './support/python-client';

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

describe('client libraries: @kubernetes/client-node list pagination (limit / continue)', () => {
  let api: TestApi;
  let client: ClientNode;
  const ns = 'pages';
  const list = (params: Record<string, unknown>) =>
    client.call('custom', 'listNamespacedCustomObject', { group: 'image.openshift.io', version: 'v1', namespace: ns, plural: 'imagestreams', ...params });
  const names = (l: any) => l.items.map((i: any) => i.metadata.name);

  beforeAll(async () => {
    // A one-second change log: a continue token's snapshot is soon compacted away.
    api = await startTestApi({ watchRetentionSeconds: 1 });
    client = new ClientNode(api.url, ns);
    await client.ready;
    for (const name of ['p0', 'p1', 'p2']) expect((await call('POST', `${api.base}/namespaces/${ns}/imagestreams`, { metadata: { name } })).status).toBe(201);
  });
  afterAll(async () => {
    await client?.terminate();
    await api.close();
  });

  it('pages through with continue at one resourceVersion; a token older than the change log is 410 Expired carrying a token that resumes at the current version', async () => {
    const first = await list({ limit: 2 });
    expect(names(first)).toEqual(['p0', 'p1']);
    expect(first.metadata).toEqual({ resourceVersion: expect.any(String), continue: expect.any(String), remainingItemCount: 1 });
    const second = await list({ limit: 2, _continue: first.metadata.continue });
    expect(names(second)).toEqual(['p2']);
    expect(second.metadata).toEqual({ resourceVersion: first.metadata.resourceVersion });

    const head = await list({ limit: 1 });
    // Writes move the change log on; once the token's version is compacted, the continuation is too old.
    const probe = () => call('GET', `${api.base}/namespaces/${ns}/imagestreams?limit=1&continue=${head.metadata.continue}`);
    const expired = await pollUntil(
      async () => {
        await call('POST', `${api.base}/namespaces/elsewhere/imagestreams`, { metadata: { generateName: 'x-' } });
        return probe();
      },
      (r) => r.status === 410,
    );
    expect(expired.status).toBe(410);
    // What etcd3's handleCompactedErrorForPaging answers (NewResourceExpired with the inconsistentContinue message and a new token).
    const err = await list({ limit: 1, _continue: head.metadata.continue }).catch((e) => e);
    expect(err.code).toBe(410);
    const status = JSON.parse(err.body);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: { continue: expect.any(String) },
      status: 'Failure',
      message:
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      reason: 'Expired',
      code: 410,
    });
    const resumed = await list({ limit: 1, _continue: status.metadata.continue });
    expect(names(resumed)).toEqual(['p1']);
    expect(BigInt(resumed.metadata.resourceVersion)).toBeGreaterThan(BigInt(head.metadata.resourceVersion));
  }, 30000);
});

/**
 * The Python client (Debian python3-kubernetes) through DynamicClient: the ImageStream
 * subresources it discovers and drives, and how its Watch ends on a version the change log no
 * longer holds (the ERROR 410 event becomes an ApiException, as against kube-apiserver).
 */
const pythonSkipReason = pythonClientUnavailableReason();
if (pythonSkipReason) console.warn(`test/client-libraries-breadth.int-spec.ts: the Python suite is skipped: ${pythonSkipReason}`);

const pythonScript = `
import json, sys, time
from kubernetes import client, config, dynamic
from kubernetes.client import api_client
from kubernetes.client.rest import ApiException
cfg = client.Configuration()
config.load_kube_config(config_file=sys.argv[1], client_configuration=cfg)
dc = dynamic.DynamicClient(api_client.ApiClient(configuration=cfg), cache_file=sys.argv[2])
IS = dc.resources.get(api_version='image.openshift.io/v1', kind='ImageStream')
ns = 'pyb'
out = {'subresources': {k: sorted(v.verbs) for k, v in IS.subresources.items()}}
created = IS.create(namespace=ns, body={'apiVersion': 'image.openshift.io/v1', 'kind': 'ImageStream', 'metadata': {'name': 'sub'},
    'spec': {'tags': [{'name': 'a', 'from': {'kind': 'DockerImage', 'name': 'quay.io/pyb/sub:1'}}]}})
# A status write keeps spec.tags (StatusStrategy.PrepareForUpdate) and applies metadata.
patched = IS.status.patch(name='sub', namespace=ns, content_type='application/strategic-merge-patch+json',
    body={'metadata': {'labels': {'via': 'status'}}, 'spec': {'tags': [{'name': 'b', 'from': {'kind': 'DockerImage', 'name': 'quay.io/pyb/sub:2'}}]}})
out['statusPatch'] = [patched.to_dict()['metadata']['labels'], [t['name'] for t in patched.to_dict()['spec']['tags']]]
out['layers'] = IS.layers.get(name='sub', namespace=ns).to_dict()['kind']
out['dryRunDelete'] = IS.delete(name='sub', namespace=ns, dry_run='All').status
out['stillThere'] = IS.get(name='sub', namespace=ns).metadata.name
old = created.metadata.resourceVersion
deadline = time.time() + 15
while True:
    try:
        list(IS.watch(namespace=ns, resource_version=old, timeout=1))
    except ApiException as e:
        out['expired'] = [e.status, e.reason.split(':')[0]]
        break
    if time.time() > deadline:
        sys.exit('the change log was not compacted')
    IS.create(namespace='pyb-elsewhere', body={'apiVersion': 'image.openshift.io/v1', 'kind': 'ImageStream', 'metadata': {'generateName': 'x-'}})
    time.sleep(0.3)
print(json.dumps(out))
`;

(pythonSkipReason ? describe.skip : describe)('client libraries: Python DynamicClient subresources and watch expiry', () => {
  const python = pythonClientFixture(pythonScript, { watchRetentionSeconds: 1 });

  it('discovers status/layers/secrets, patches status without touching spec.tags, dry-runs a delete, and raises 410 Expired for a compacted watch version', async () => {
    const out = await python.run();
    expect(out.subresources).toEqual({ layers: ['get'], secrets: ['get'], status: ['get', 'patch', 'update'] });
    expect(out.statusPatch).toEqual([{ via: 'status' }, ['a']]);
    expect(out.layers).toBe('ImageStreamLayers');
    expect(out.dryRunDelete).toBe('Success');
    expect(out.stillThere).toBe('sub');
    expect(out.expired).toEqual([410, 'Expired']);
  }, 40000);
});
