import { Worker } from 'node:worker_threads';
import { call } from '@app/testing';
import { WatchService } from '@app/http';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * The client runs in a worker thread: @kubernetes/client-node 1.x is an ES module, which Jest's
 * CommonJS runtime cannot load, while Node's own loader (inside the worker) can. The worker
 * executes client calls sent as messages and posts results and watch events back, so the
 * assertions stay here.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: workerData.server, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'dummy-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test', namespace: workerData.namespace }],
    currentContext: 'test',
  });
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const watches = new Map();
  const plain = (v) => JSON.parse(JSON.stringify(v ?? null));
  parentPort.on('message', async ({ id, op, args }) => {
    try {
      let result;
      switch (op) {
        case 'create': result = await api.create(args[0]); break;
        case 'read': result = await api.read(args[0]); break;
        case 'list': result = await api.list(...args); break;
        case 'replace': result = await api.replace(args[0]); break;
        case 'patch': result = await api.patch(args[0], undefined, undefined, undefined, undefined, args[1]); break;
        case 'apply': result = await api.patch(args[0], undefined, undefined, args[1], args[2], k8s.PatchStrategy.ServerSideApply); break;
        case 'delete': result = await api.delete(args[0]); break;
        case 'watch': {
          const controller = await new k8s.Watch(kc).watch(
            args[0],
            args[1] ?? {},
            (type, object) => parentPort.postMessage({ watch: id, type, object: plain(object) }),
            (err) => parentPort.postMessage({ watch: id, done: err ? String(err.message ?? err) : '' }),
          );
          watches.set(id, controller);
          result = 'started';
          break;
        }
        case 'unwatch': watches.get(args[0])?.abort(); result = 'stopped'; break;
        case 'informer': {
          // makeInformer over KubernetesObjectApi.list; every callback (and every list) is an event.
          const [path, apiVersion, kind, namespace] = args;
          const post = (type, object) => parentPort.postMessage({ watch: id, type, object: plain(object) });
          const informer = k8s.makeInformer(kc, path, async () => {
            const list = await api.list(apiVersion, kind, namespace);
            post('list', { resourceVersion: list.metadata.resourceVersion, names: list.items.map((i) => i.metadata.name) });
            return list;
          });
          for (const type of ['add', 'update', 'delete', 'connect']) informer.on(type, (o) => post(type, o));
          informer.on('error', (e) => post('error', { message: String(e?.message ?? e), code: e?.statusCode ?? e?.code }));
          await informer.start();
          watches.set(id, { abort: () => informer.stop() });
          result = 'started';
          break;
        }
        default: throw new Error('unknown op ' + op);
      }
      parentPort.postMessage({ id, result: plain(result) });
    } catch (e) {
      parentPort.postMessage({ id, error: { message: String(e?.message ?? e), code: e?.code, body: typeof e?.body === 'string' ? e.body : plain(e?.body) } });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((e) => parentPort.postMessage({ fatal: String(e?.stack ?? e) }));
`;

interface WatchEvent {
  type: string;
  object: any;
}

class ClientNode {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: any) => void }>();
  readonly events = new Map<number, WatchEvent[]>();
  private readonly worker: Worker;
  readonly ready: Promise<void>;

  constructor(server: string, namespace: string) {
    this.worker = new Worker(workerSource, { eval: true, workerData: { server, namespace } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('error', reject);
      this.worker.on('message', (m: any) => {
        if (m.ready) return resolve();
        if (m.fatal) return reject(new Error(m.fatal));
        if (m.watch !== undefined) {
          if (m.type) this.events.get(m.watch)?.push({ type: m.type, object: m.object });
          return;
        }
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(m.error);
        else p?.resolve(m.result);
      });
    });
  }

  call<T = any>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  async watch(path: string, query: Record<string, unknown> = {}): Promise<{ events: WatchEvent[]; stop(): Promise<unknown> }> {
    const id = this.seq + 1;
    this.events.set(id, []);
    await this.call('watch', path, query);
    return { events: this.events.get(id)!, stop: () => this.call('unwatch', id) };
  }

  /** A started makeInformer; `events` holds its callbacks (`list`, `connect`, `add`, `update`, `delete`, `error`) in order. */
  async informer(path: string, apiVersion: string, kind: string, namespace: string): Promise<{ events: WatchEvent[]; stop(): Promise<unknown> }> {
    const id = this.seq + 1;
    this.events.set(id, []);
    await this.call('informer', path, apiVersion, kind, namespace);
    return { events: this.events.get(id)!, stop: () => this.call('unwatch', id) };
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

async function waitFor(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
