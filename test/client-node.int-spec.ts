import { call } from '@app/testing';
import { WatchService } from '@app/http';
import { startTestApi, type TestApi } from './support/api-server';
import { ClientNode, waitFor } from './support/client-node';

describe('@kubernetes/client-node', () => {
  let api: TestApi;
  let client: ClientNode;
  const stream = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'image.openshift.io/v1',
    kind: 'ImageStream',
    metadata: { name, namespace: 'cn', labels: { app: 'demo' } },
    spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: `quay.io/cn/${name}:1` } }] },
    ...extra,
  });

  beforeAll(async () => {
    api = await startTestApi();
    client = new ClientNode(api.url, 'cn');
    await client.ready;
  });
  afterAll(async () => {
    await client?.terminate();
    await api.close();
  });

  it('KubernetesObjectApi create / read / list / replace / patch / delete', async () => {
    const created = await client.call('create', stream('one'));
    expect(created).toMatchObject({ kind: 'ImageStream', metadata: { name: 'one', namespace: 'cn', generation: 1 } });
    const read = await client.call('read', { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'one', namespace: 'cn' } });
    expect(read.spec.tags[0]).toMatchObject({ name: 'latest', referencePolicy: { type: 'Source' } });
    await client.call('create', stream('two'));
    const list = await client.call('list', 'image.openshift.io/v1', 'ImageStream', 'cn', undefined, undefined, undefined, undefined, 'app=demo');
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two']);
    const replaced = await client.call('replace', { ...read, metadata: { ...read.metadata, labels: { app: 'demo', v: '2' } } });
    expect(replaced.metadata.labels).toEqual({ app: 'demo', v: '2' });
    const merged = await client.call(
      'patch',
      { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'one', namespace: 'cn' }, spec: { lookupPolicy: { local: true } } },
      'application/merge-patch+json',
    );
    expect(merged.spec.lookupPolicy).toEqual({ local: true });
    const strategic = await client.call(
      'patch',
      { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'one', namespace: 'cn' }, spec: { tags: [{ name: 'extra', from: { kind: 'DockerImage', name: 'quay.io/cn/x:2' } }] } },
      'application/strategic-merge-patch+json',
    );
    expect(strategic.spec.tags.map((t: any) => t.name)).toEqual(['extra', 'latest']);
    const status = await client.call('delete', { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'two', namespace: 'cn' } });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success' });
    await expect(client.call('read', { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'two', namespace: 'cn' } })).rejects.toMatchObject({ code: 404 });
  });

  it('server-side apply through KubernetesObjectApi.patch: creates, re-applies, reports a conflict, forces', async () => {
    const spec = stream('applied');
    const created = await client.call('apply', spec, 'deployer', false);
    expect(created.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'deployer', operation: 'Apply' })]);
    const again = await client.call('apply', spec, 'deployer', false);
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const other = { ...spec, spec: { tags: [{ name: 'latest', from: { kind: 'DockerImage', name: 'quay.io/cn/applied:2' } }] } };
    await expect(client.call('apply', other, 'rival', false)).rejects.toMatchObject({ code: 409 });
    const forced = await client.call('apply', other, 'rival', true);
    expect(forced.spec.tags[0].from.name).toBe('quay.io/cn/applied:2');
    expect(forced.metadata.managedFields.map((m: any) => m.manager).sort()).toEqual(['deployer', 'rival']);
  });

  it('works with the virtual kinds too (ImageStreamTag create and read)', async () => {
    const tag = await client.call('create', {
      apiVersion: 'image.openshift.io/v1',
      kind: 'ImageStreamTag',
      metadata: { name: 'three:v1', namespace: 'cn' },
      tag: { from: { kind: 'DockerImage', name: 'quay.io/cn/three:1' }, reference: true },
    });
    expect(tag).toMatchObject({ kind: 'ImageStreamTag', metadata: { name: 'three:v1' }, tag: { name: 'v1', reference: true } });
    const itag = await client.call('read', { apiVersion: 'image.openshift.io/v1', kind: 'ImageTag', metadata: { name: 'three:v1', namespace: 'cn' } });
    expect(itag.status.items[0].dockerImageReference).toBe('quay.io/cn/three:1');
  });

  it('a Watch sees ADDED, MODIFIED (a pushed tag) and DELETED', async () => {
    const w = await client.watch('/apis/image.openshift.io/v1/namespaces/cn/imagestreams', { labelSelector: 'app=watched' });
    try {
      await client.call('create', { ...stream('watched'), metadata: { name: 'watched', namespace: 'cn', labels: { app: 'watched' } } });
      await waitFor(() => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'watched'), 'ADDED');
      const d = `sha256:${'f'.repeat(64)}`;
      const mapped = await call('POST', `${api.base}/namespaces/cn/imagestreammappings`, {
        metadata: { name: 'watched' },
        tag: 'pushed',
        image: { metadata: { name: d }, dockerImageReference: `quay.io/cn/watched@${d}` },
      });
      expect(mapped.status).toBe(201);
      await waitFor(() => w.events.some((e) => e.type === 'MODIFIED' && e.object.status?.tags?.some((t: any) => t.tag === 'pushed')), 'MODIFIED with the pushed tag');
      await client.call('delete', { apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'watched', namespace: 'cn' } });
      await waitFor(() => w.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'watched'), 'DELETED');
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      await w.stop();
    }
  });
});

describe('@kubernetes/client-node makeInformer', () => {
  let api: TestApi;
  let client: ClientNode;
  const url = (ns: string) => `/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`;
  beforeAll(async () => {
    // A one-second change log, so that a watch resumed after a pause can be too old.
    api = await startTestApi({ watchRetentionSeconds: 1 });
    client = new ClientNode(api.url, 'inf');
    await client.ready;
  });
  afterAll(async () => {
    await client?.terminate();
    await api.close();
  });

  it('lists, then watches from the list; resumes when the server closes the watch; relists after 410 Expired', async () => {
    expect((await call('POST', `${api.url}${url('inf')}`, { metadata: { name: 'before' } })).status).toBe(201);
    const inf = await client.informer(url('inf'), 'image.openshift.io/v1', 'ImageStream', 'inf');
    const seen = (type: string, name: string) => inf.events.some((e) => e.type === type && e.object?.metadata?.name === name);
    const lists = () => inf.events.filter((e) => e.type === 'list').length;
    try {
      await waitFor(() => seen('add', 'before'), 'the listed object');
      expect((await call('POST', `${api.url}${url('inf')}`, { metadata: { name: 'watched' } })).status).toBe(201);
      await waitFor(() => seen('add', 'watched'), 'a watched ADDED');
      expect(lists()).toBe(1);

      // The server ends every watch cleanly (what its timeoutSeconds does): the informer watches
      // again from its resourceVersion, without listing.
      const connects = inf.events.filter((e) => e.type === 'connect').length;
      api.server.app.get(WatchService).closeAll();
      await waitFor(() => inf.events.filter((e) => e.type === 'connect').length > connects, 'a reconnect');
      expect((await call('PATCH', `${api.url}${url('inf')}/watched`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status).toBe(200);
      await waitFor(() => seen('update', 'watched'), 'an update after the reconnect');
      expect(lists()).toBe(1);

      // Changes elsewhere move the change log on; once the informer's version is compacted away, a
      // resumed watch gets an ERROR 410 event and the informer lists again.
      const informerRv = BigInt(inf.events.filter((e) => e.type === 'update').pop()!.object.metadata.resourceVersion);
      for (const name of ['x1', 'x2']) expect((await call('POST', `${api.url}${url('elsewhere')}`, { metadata: { name } })).status).toBe(201);
      await new Promise((r) => setTimeout(r, 1200));
      expect((await call('POST', `${api.url}${url('elsewhere')}`, { metadata: { name: 'x3' } })).status).toBe(201);
      const deadline = Date.now() + 10000;
      for (;;) {
        const probe = await fetch(`${api.url}${url('inf')}?watch=1&resourceVersion=${informerRv}&timeoutSeconds=1`);
        if ((await probe.text()).includes('"code":410')) break;
        if (Date.now() > deadline) throw new Error('the change log was not compacted');
        await new Promise((r) => setTimeout(r, 300));
      }
      api.server.app.get(WatchService).closeAll();
      await waitFor(() => lists() === 2, 'a relist after 410');
      expect(inf.events.filter((e) => e.type === 'list').pop()!.object.names).toEqual(['before', 'watched']);
      expect((await call('DELETE', `${api.url}${url('inf')}/before`)).status).toBe(200);
      await waitFor(() => seen('delete', 'before'), 'a DELETED after the relist');
      expect(inf.events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      await inf.stop();
    }
  }, 30000);
});
