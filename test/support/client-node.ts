import { Worker } from 'node:worker_threads';

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
  // KubernetesObjectApi reads a list's metadata as ObjectMeta (no continue); CustomObjectsApi answers the JSON as served.
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const watches = new Map();
  const plain = (v) => JSON.parse(JSON.stringify(v ?? null));
  parentPort.on('message', async ({ id, op, args }) => {
    try {
      let result;
      switch (op) {
        case 'create': result = await api.create(args[0]); break;
        case 'read': result = await api.read(args[0]); break;
        case 'list': result = await api.list(...args); break;
        case 'listCustom': result = await custom.listNamespacedCustomObject(args[0]); break;
        // Any CustomObjectsApi method by name, with its parameter object and an optional Content-Type (a patch type).
        case 'custom': result = await custom[args[0]](args[1], args[2] ? k8s.setHeaderOptions('Content-Type', args[2]) : undefined); break;
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

export interface WatchEvent {
  type: string;
  object: any;
}

/** @kubernetes/client-node in a worker thread (see above): calls, watches and informers against `server`. */
export class ClientNode {
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

/** Checks `pred` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
