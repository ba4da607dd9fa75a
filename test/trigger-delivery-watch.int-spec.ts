import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { call, watchEvents } from '@app/testing';
import { ClientNode, waitFor } from './support/client-node';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { pollUntil } from './support/poll';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { createSigningSecret, digest, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';
import { Receiver } from './support/webhook-receiver';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const STATE = 'triggers.imagestreamd.io/state';

describe('Deliveries are watchable (change log, resourceVersion, kubectl get -w, client-node Watch)', () => {
  let server: TriggerServer;
  const rx = new Receiver();
  const trg = () => `${server.url}${TRIGGERS_API}/namespaces/demo`;
  const map = (stream: string, image: string) => mapImage(server.url, 'demo', { stream, tag: 'v1', image, repository: `quay.io/acme/${stream}` });
  const createTrigger = async (name: string, stream: string) =>
    expect((await call('POST', `${trg()}/triggers`, { metadata: { name }, spec: triggerSpec(`${stream}:v1`, { kind: 'Build', name }, rx.url(`/${name}`)) })).status).toBe(201);
  const mine = (events: { type: string; object: any }[], trigger: string) => events.filter((e) => e.object?.metadata?.labels?.['triggers.imagestreamd.io/trigger'] === trigger);

  beforeAll(async () => {
    await rx.start();
    server = await startTriggerServer({ TRIGGER_BACKOFF_BASE_MS: '100', TRIGGER_BACKOFF_MAX_MS: '300', TRIGGER_ATTEMPT_BUDGET: '2', TRIGGER_DELIVERY_TIMEOUT_MS: '15000' });
    expect((await createSigningSecret(server.url, 'demo', { key: SECRET })).status).toBe(201);
    for (const stream of ['base', 'flaky', 'kc', 'cn']) {
      expect((await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: stream } })).status).toBe(201);
    }
  }, 90000);
  afterAll(async () => {
    await server?.close();
    rx.close();
  });

  it('a watch from a list\'s resourceVersion sees a fire ADDED, then MODIFIED when delivered, versions increasing; get serves the same version', async () => {
    await map('base', digest('a'));
    const listed = await call('GET', `${trg()}/deliveries`);
    expect(listed.status).toBe(200);
    expect(BigInt(listed.body.metadata.resourceVersion)).toBeGreaterThan(0n);
    const w = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${listed.body.metadata.resourceVersion}`);
    try {
      await createTrigger('watched', 'base');
      await w.waitFor((e) => mine(e, 'watched').some((x) => x.object.status.state === 'delivered'));
    } finally {
      w.stop();
    }
    const events = mine(w.events, 'watched');
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Delivery', apiVersion: 'triggers.imagestreamd.io/v1' } });
    expect(events.at(-1)).toMatchObject({ type: 'MODIFIED', object: { status: { state: 'delivered', attempts: 1 } } });
    expect(events.at(-1)!.object.status.attemptHistory).toHaveLength(1);
    expect(new Set(events.map((e) => e.object.metadata.name)).size).toBe(1);
    const rvs = events.map((e) => BigInt(e.object.metadata.resourceVersion));
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]! > rvs[i - 1]!).toBe(true);
    const got = await call('GET', `${trg()}/deliveries/${events[0]!.object.metadata.name}`);
    expect(got.body.metadata.resourceVersion).toBe(events.at(-1)!.object.metadata.resourceVersion);
  });

  it('a state-selected watch sees a dead letter arrive and leave when it is redriven', async () => {
    const w = watchEvents(`${trg()}/deliveries?watch=1&labelSelector=${encodeURIComponent(`${STATE}=dead`)}`);
    try {
      await w.opened;
      rx.answer('/flaky', 500, 500);
      await map('flaky', digest('b'));
      await createTrigger('flaky', 'flaky');
      await w.waitFor((e) => mine(e, 'flaky').some((x) => x.type === 'ADDED'));
      const [dead] = mine(w.events, 'flaky');
      expect(dead!.object.status).toMatchObject({ state: 'dead', attempts: 2 });
      const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'flaky' } });
      expect(redrive.body.status.redriven).toEqual([dead!.object.metadata.name]);
      await w.waitFor((e) => mine(e, 'flaky').some((x) => x.type === 'DELETED'));
    } finally {
      w.stop();
    }
    expect(mine(w.events, 'flaky').map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    await pollUntil(() => listDeliveries(server.url, 'demo', 'flaky'), (ds) => ds[0]?.status.state === 'delivered');
  });

  it('the field selector status.state selects as the state label does: lists, a watch (dead letter in, out on redrive), kubectl', async () => {
    const deadField = `fieldSelector=${encodeURIComponent('status.state=dead')}`;
    const w = watchEvents(`${trg()}/deliveries?watch=1&${deadField}`);
    try {
      await w.opened;
      rx.answer('/fieldsel', 500, 500);
      await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'fieldsel' } });
      await map('fieldsel', digest('d'));
      await createTrigger('fieldsel', 'fieldsel');
      await w.waitFor((e) => mine(e, 'fieldsel').some((x) => x.type === 'ADDED'));
      const [dead] = mine(w.events, 'fieldsel');
      expect(dead!.object.status).toMatchObject({ state: 'dead', attempts: 2 });
      // Lists: the same deliveries as the label selector, in either form of the operator.
      const byField = await call('GET', `${trg()}/deliveries?${deadField}`);
      const byLabel = await call('GET', `${trg()}/deliveries?labelSelector=${encodeURIComponent(`${STATE}=dead`)}`);
      expect(byField.status).toBe(200);
      const names = (list: { body: { items: { metadata: { name: string } }[] } }) => list.body.items.map((d) => d.metadata.name).sort();
      expect(names(byField)).toEqual(names(byLabel));
      expect(names(byField)).toContain(dead!.object.metadata.name);
      const notDead = await call('GET', `${trg()}/deliveries?fieldSelector=${encodeURIComponent('status.state!=dead')}`);
      expect(notDead.body.items.length).toBeGreaterThan(0);
      expect(notDead.body.items.every((d: { status: { state: string } }) => d.status.state !== 'dead')).toBe(true);
      if (kubectlFound) {
        const ws = kubectlWorkspace(server.url, 'demo');
        try {
          const out = await ws.ok(['get', 'deliveries', '--field-selector', 'status.state=dead', '-o', 'name']);
          expect(out.split('\n').filter(Boolean).sort()).toEqual(names(byField).map((n) => `delivery.triggers.imagestreamd.io/${n}`));
        } finally {
          ws.remove();
        }
      }
      await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'fieldsel' } });
      await w.waitFor((e) => mine(e, 'fieldsel').some((x) => x.type === 'DELETED'));
    } finally {
      w.stop();
    }
    expect(mine(w.events, 'fieldsel').map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    // A field no Delivery has is refused, as kube-apiserver words it for a kind that registers its
    // own field label conversion (a Pod's status.phase): not the metadata-only fallback's wording,
    // which would say only metadata.name and metadata.namespace are selectable.
    const unknown = await call('GET', `${trg()}/deliveries?fieldSelector=${encodeURIComponent('status.phase=dead')}`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('field label not supported: status.phase');
  });

  it('a watch resumed from an older resourceVersion, after the deliveries have moved on, still sees each appear and leave a selection', async () => {
    const from = (await call('GET', `${trg()}/deliveries`)).body.metadata.resourceVersion;
    await call('POST', `${server.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, { metadata: { name: 'late' } });
    rx.answer('/late', 500, 500);
    await map('late', digest('f'));
    await createTrigger('late', 'late');
    const [dead] = await pollUntil(() => listDeliveries(server.url, 'demo', 'late'), (ds) => ds[0]?.status.state === 'dead');
    await call('POST', `${trg()}/deliveryredrives`, { spec: { trigger: 'late' } });
    const [done] = await pollUntil(() => listDeliveries(server.url, 'demo', 'late'), (ds) => ds[0]?.status.state === 'delivered');
    // Every change of the delivery is in the log now; each one is read after the delivery moved on.
    const all = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${from}`);
    const deadOnly = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${from}&labelSelector=${encodeURIComponent(`${STATE}=dead`)}`);
    try {
      await all.waitFor((e) => mine(e, 'late').some((x) => x.object.metadata.resourceVersion === done.metadata.resourceVersion));
      await deadOnly.waitFor((e) => mine(e, 'late').some((x) => x.type === 'DELETED'));
    } finally {
      all.stop();
      deadOnly.stop();
    }
    expect(mine(all.events, 'late')[0]!.type).toBe('ADDED');
    expect(mine(all.events, 'late').slice(1).every((x) => x.type === 'MODIFIED')).toBe(true);
    expect(mine(deadOnly.events, 'late').map((x) => x.type)).toEqual(['ADDED', 'DELETED']);
    expect(mine(deadOnly.events, 'late')[0]!.object.metadata.name).toBe(dead.metadata.name);
    const rvs = mine(all.events, 'late').map((x) => BigInt(x.object.metadata.resourceVersion));
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]! > rvs[i - 1]!).toBe(true);
  });

  (kubectlFound ? it : it.skip)('kubectl get deliveries -w prints the listed row, then the fire of a push as it is delivered', async () => {
    await map('kc', digest('c'));
    await createTrigger('kc', 'kc');
    await pollUntil(() => listDeliveries(server.url, 'demo', 'kc'), (ds) => ds[0]?.status.state === 'delivered');
    const ws = kubectlWorkspace(server.url, 'demo');
    let child: ChildProcess | undefined;
    try {
      child = spawn('kubectl', [`--cache-dir=${ws.dir}/cache`, 'get', 'deliveries', '-w', '-l', 'triggers.imagestreamd.io/trigger=kc'], {
        env: { ...process.env, KUBECONFIG: `${ws.dir}/kubeconfig`, HOME: ws.dir },
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      // The list first: the delivered first fire is its row (kubectl prints nothing for an empty list).
      await waitFor(() => out.includes('\nmsg_'), `the initial row; output so far:\n${out}\n${err}`, 15000);
      const initial = out.split('\n').filter((l) => l.startsWith('msg_'));
      expect(initial).toHaveLength(1);
      // A push: the new fire's rows arrive through the watch, first pending, then delivered.
      await map('kc', digest('e'));
      const newRows = () => out.split('\n').filter((l) => l.startsWith('msg_') && l.includes(digest('e').slice(7, 19)));
      await waitFor(() => newRows().some((l) => /\sdelivered\s/.test(l)), `the delivered row; output so far:\n${out}\n${err}`, 15000);
      expect(new Set(newRows().map((l) => l.split(/\s+/)[0])).size).toBe(1);
      expect(out.split('\n').filter((l) => l.startsWith('NAME'))).toHaveLength(1);
    } finally {
      child?.kill('SIGTERM');
      ws.remove();
    }
  });

  it('client-node Watch on deliveries sees ADDED then MODIFIED (delivered)', async () => {
    const client = new ClientNode(server.url, 'demo');
    await client.ready;
    try {
      const listed = await call('GET', `${trg()}/deliveries`);
      const watch = await client.watch(`${TRIGGERS_API}/namespaces/demo/deliveries`, { resourceVersion: listed.body.metadata.resourceVersion });
      await map('cn', digest('d'));
      await createTrigger('cn', 'cn');
      await waitFor(() => mine(watch.events, 'cn').some((e) => e.type === 'MODIFIED' && e.object.status.state === 'delivered'), 'the delivered MODIFIED', 15000);
      await watch.stop();
      expect(mine(watch.events, 'cn')[0]!.type).toBe('ADDED');
    } finally {
      await client.terminate();
    }
  });
});
