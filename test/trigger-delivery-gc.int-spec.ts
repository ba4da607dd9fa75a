import { call, watchEvents } from '@app/testing';
import { ClientNode, waitFor } from './support/client-node';
import { DeliveryFixture } from './support/delivery-fixture';
import { pollUntil } from './support/poll';
import { createSigningSecret, digest, listDeliveries, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

const TRIGGER_LABEL = 'triggers.imagestreamd.io/trigger';

/**
 * Deliveries are garbage-collected with their owner, as Kubernetes' garbage collector deletes
 * dependents (background propagation): a Trigger's DELETE, a namespace's deletion and an annotated
 * workload's DELETE remove its deliveries, their attempts and the event bases nobody else uses,
 * each with a DELETED watch event carrying its last state; retention removes deliveries finished
 * long ago; an attempt in flight when its delivery goes ends quietly.
 */
describe('Delivery garbage collection (owner deletion, namespace deletion, retention)', () => {
  const ns = 'gc';
  const f = new DeliveryFixture(ns, {
    TRIGGER_BACKOFF_BASE_MS: '100',
    TRIGGER_BACKOFF_MAX_MS: '300',
    TRIGGER_ATTEMPT_BUDGET: '3',
    TRIGGER_DELIVERY_RETENTION_SECONDS: '3600',
  });
  const { trg, map, createStream, createTrigger, delivered } = f;
  const count = async (sql: string, params: unknown[] = []) => Number((await f.pg.query<{ n: string }>(sql, params)).rows[0]!.n);

  it('deleting a Trigger deletes its deliveries (a DELETED event each, with the last state), their attempts and unshared event bases; another trigger keeps its own', async () => {
    await createStream('shared');
    const doomed = await createTrigger('doomed', 'shared');
    await createTrigger('kept', 'shared');
    // Both triggers fire on each push: one evaluation page of two events, whose shared part is one base row.
    for (const c of ['a', 'b', 'c']) {
      await map('shared', digest(c));
      await delivered('doomed', ['a', 'b', 'c'].indexOf(c) + 1);
      await delivered('kept', ['a', 'b', 'c'].indexOf(c) + 1);
    }
    const before = await listDeliveries(f.server.url, ns, 'doomed');
    expect(before[0].metadata.ownerReferences).toEqual([
      { apiVersion: 'triggers.imagestreamd.io/v1', kind: 'Trigger', name: 'doomed', uid: doomed.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const ids: string[] = before.map((d) => d.metadata.name);
    const bases = await count(`SELECT count(*) AS n FROM trigger_delivery_event_bases`);
    expect(bases).toBe(3);

    const from = (await call('GET', `${trg()}/deliveries`)).body.metadata.resourceVersion;
    const w = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${from}`);
    // And as client-node's Watch (what its informers run) sees them.
    const client = new ClientNode(f.server.url, ns);
    try {
      await client.ready;
      const cn = await client.watch(`${TRIGGERS_API}/namespaces/${ns}/deliveries`, { resourceVersion: from });
      const t0 = Date.now();
      expect((await call('DELETE', `${trg()}/triggers/doomed`)).status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(2000);
      await w.waitFor((e) => e.filter((x) => x.type === 'DELETED').length >= 3, 15000);
      await waitFor(() => cn.events.filter((e) => e.type === 'DELETED').length >= 3, 'client-node DELETED events', 15000);
      await cn.stop();
      expect(cn.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name).sort()).toEqual([...ids].sort());
    } finally {
      w.stop();
      await client.terminate();
    }
    const deletedEvents = w.events.filter((e) => e.type === 'DELETED');
    expect(deletedEvents.map((e) => e.object.metadata.name).sort()).toEqual([...ids].sort());
    for (const e of deletedEvents) {
      const last = before.find((d) => d.metadata.name === e.object.metadata.name);
      // The last state: delivered, with its attempt; at a resourceVersion newer than any before.
      expect(e.object).toMatchObject({ kind: 'Delivery', status: { state: 'delivered', attempts: 1 }, metadata: { labels: { [TRIGGER_LABEL]: 'doomed' } } });
      expect(e.object.status.attemptHistory).toHaveLength(1);
      expect(BigInt(e.object.metadata.resourceVersion)).toBeGreaterThan(BigInt(last.metadata.resourceVersion));
    }
    // Nothing else left the watch: the other trigger's deliveries are untouched.
    expect(w.events.filter((e) => e.object?.metadata?.labels?.[TRIGGER_LABEL] === 'kept')).toEqual([]);

    for (const id of ids) expect((await call('GET', `${trg()}/deliveries/${id}`)).status).toBe(404);
    expect(await listDeliveries(f.server.url, ns, 'doomed')).toEqual([]);
    expect(await count(`SELECT count(*) AS n FROM trigger_delivery_attempts WHERE delivery_id = ANY($1::text[])`, [ids])).toBe(0);
    const kept = await listDeliveries(f.server.url, ns, 'kept');
    expect(kept.map((d) => d.status.state)).toEqual(['delivered', 'delivered', 'delivered']);
    // The bases are shared with the kept trigger's deliveries, whose events still read whole.
    expect(await count(`SELECT count(*) AS n FROM trigger_delivery_event_bases`)).toBe(3);
    expect(kept.every((d) => d.spec.event.data?.new?.digest !== undefined || d.spec.event.subject !== undefined)).toBe(true);
    expect(kept.map((d) => d.spec.image).sort()).toEqual([digest('a'), digest('b'), digest('c')]);
    // A redrive naming a collected delivery is 404.
    expect((await call('POST', `${trg()}/deliveryredrives`, { spec: { delivery: ids[0] } })).status).toBe(404);

    // The last users gone, the bases go too.
    expect((await call('DELETE', `${trg()}/triggers/kept`)).status).toBe(200);
    await pollUntil(() => listDeliveries(f.server.url, ns, 'kept'), (ds) => ds.length === 0, 15000);
    expect(await listDeliveries(f.server.url, ns, 'kept')).toEqual([]);
    expect(await count(`SELECT count(*) AS n FROM trigger_delivery_event_bases`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM trigger_delivery_owner_removals`)).toBe(0);
  });

  it('deletecollection of Triggers deletes their deliveries; a Trigger created again under the same name keeps its new ones', async () => {
    await createStream('batch');
    for (const name of ['batch-1', 'batch-2']) {
      const res = await call('POST', `${trg()}/triggers`, { metadata: { name, labels: { group: 'batch' } }, spec: triggerSpec('batch:v1', { kind: 'Build', name }, f.rx.url(`/${name}`)) });
      expect(res.status).toBe(201);
    }
    await map('batch', digest('7'));
    await delivered('batch-1', 1);
    await delivered('batch-2', 1);
    const [old] = await listDeliveries(f.server.url, ns, 'batch-1');
    expect((await call('DELETE', `${trg()}/triggers?labelSelector=group%3Dbatch`)).status).toBe(200);
    // Created again at once, before the collector ran or while it runs: a new uid, and its fire is its own.
    const again = await createTrigger('batch-1', 'batch');
    const [fresh] = await pollUntil(
      () => listDeliveries(f.server.url, ns, 'batch-1'),
      (ds) => ds.length === 1 && ds[0].spec.owner.uid === again.metadata.uid && ds[0].status.state === 'delivered',
      15000,
    );
    expect(fresh.metadata.name).not.toBe(old.metadata.name);
    expect(await pollUntil(() => listDeliveries(f.server.url, ns, 'batch-2'), (ds) => ds.length === 0, 15000)).toEqual([]);
    expect((await call('GET', `${trg()}/deliveries/${old.metadata.name}`)).status).toBe(404);
    await pollUntil(() => count(`SELECT count(*) AS n FROM trigger_delivery_owner_removals`), (n) => n === 0, 15000);
    expect((await listDeliveries(f.server.url, ns, 'batch-1')).map((d) => d.metadata.name)).toEqual([fresh.metadata.name]);
  });

  it('deleting a namespace deletes the deliveries of its Triggers and annotated workloads', async () => {
    const gone = 'gc-gone';
    expect((await call('POST', `${f.server.url}/api/v1/namespaces`, { metadata: { name: gone } })).status).toBe(201);
    expect((await createSigningSecret(f.server.url, gone)).status).toBe(201);
    await createStream('app', gone);
    await createStream('web', gone);
    await createTrigger('rebuild', 'app', gone);
    const deploy = await call('POST', `${f.server.url}/apis/apps/v1/namespaces/${gone}/deployments`, {
      metadata: {
        name: 'web',
        annotations: { 'image.openshift.io/triggers': JSON.stringify([{ from: { kind: 'ImageStreamTag', name: 'web:latest' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }]) },
      },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: ' ' }] } } },
    });
    expect(deploy.status).toBe(201);
    await map('app', digest('d'), gone);
    await map('web', digest('e'), gone, 'latest');
    await delivered('rebuild', 1, gone);
    const [applied] = await pollUntil(() => listDeliveries(f.server.url, gone, 'web'), (ds) => ds[0]?.status.state === 'applied', 15000);
    expect(applied.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deploy.body.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    // Another namespace's deliveries stay.
    const elsewhere = (await listDeliveries(f.server.url, ns)).length;

    expect((await call('DELETE', `${f.server.url}/api/v1/namespaces/${gone}`)).status).toBe(200);
    // As Kubernetes' namespace controller: the namespace is removed only once nothing is left in
    // it, so its deliveries are gone by then (they went in the background after it, and could be
    // listed in a namespace created again under the name).
    await pollUntil(async () => (await call('GET', `${f.server.url}/api/v1/namespaces/${gone}`)).status, (status) => status === 404, 20000);
    expect(await listDeliveries(f.server.url, gone)).toEqual([]);
    expect((await call('GET', `${trg(gone)}/deliveries/${applied.metadata.name}`)).status).toBe(404);
    expect((await listDeliveries(f.server.url, ns)).length).toBe(elsewhere);
  });

  it('retention deletes only deliveries that reached a final state longer ago than TRIGGER_DELIVERY_RETENTION_SECONDS, with DELETED events', async () => {
    await createStream('aging');
    await createTrigger('aging', 'aging');
    for (const c of ['1', '2', '3']) {
      await map('aging', digest(c));
      await delivered('aging', ['1', '2', '3'].indexOf(c) + 1);
    }
    const [old, pendingLong, recent] = (await listDeliveries(f.server.url, ns, 'aging')).map((d) => d.metadata.name as string);
    // Two hours ago (retention is one hour): one delivered then; one created then but pending
    // again (a redriven dead letter whose next attempt is tomorrow); one delivered just now.
    await f.pg.query(`UPDATE trigger_deliveries SET created_at = now() - interval '2 hours', delivered_at = now() - interval '2 hours' WHERE id = $1`, [old]);
    await f.pg.query(
      `UPDATE trigger_deliveries SET created_at = now() - interval '2 hours', delivered_at = now() - interval '2 hours', state = 'pending', next_attempt_at = now() + interval '1 day' WHERE id = $1`,
      [pendingLong],
    );
    const from = (await call('GET', `${trg()}/deliveries`)).body.metadata.resourceVersion;
    const w = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${from}`);
    try {
      await f.queuePrune();
      await w.waitFor((e) => e.some((x) => x.type === 'DELETED'), 15000);
    } finally {
      w.stop();
    }
    expect(w.events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name)).toEqual([old]);
    expect(w.events.find((e) => e.type === 'DELETED')!.object.status.state).toBe('delivered');
    expect((await call('GET', `${trg()}/deliveries/${old}`)).status).toBe(404);
    expect((await call('GET', `${trg()}/deliveries/${pendingLong}`)).status).toBe(200);
    expect((await call('GET', `${trg()}/deliveries/${recent}`)).status).toBe(200);
  });

  it('an attempt in flight when its trigger is deleted ends quietly: no retry, no error', async () => {
    await createStream('slow');
    await createTrigger('slow', 'slow');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The receiver holds the POST, then answers 500 (which would schedule a retry).
    f.rx.answer('/slow', { status: 500, after: held });
    await map('slow', digest('f'));
    await f.rx.waitFor('/slow', 1);
    const [inFlight] = await listDeliveries(f.server.url, ns, 'slow');
    const logBefore = f.server.output().length;
    expect((await call('DELETE', `${trg()}/triggers/slow`)).status).toBe(200);
    const gone = await pollUntil(async () => (await call('GET', `${trg()}/deliveries/${inFlight.metadata.name}`)).status, (s) => s === 404, 15000);
    expect(gone).toBe(404);
    release();
    // Backoff is 100-300 ms: a retry would have come by now.
    await new Promise((r) => setTimeout(r, 2000));
    expect(f.rx.at('/slow')).toHaveLength(1);
    expect((await call('GET', `${trg()}/deliveries/${inFlight.metadata.name}`)).status).toBe(404);
    const log = f.server.output().slice(logBefore);
    expect(log).not.toMatch(/"level":(40|50|60)|\bERROR\b|\bWARN\b/);
  });
});
