import { randomUUID } from 'node:crypto';
import { call, watchEvents } from '@app/testing';
import { DeliveryCollector, deleteNamespaceDeliveries } from '@app/triggers';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';
import { DeliveryFixture } from './support/delivery-fixture';
import { pollUntil } from './support/poll';
import { openTestDatabase } from './support/test-database';
import { createSigningSecret, digest, listDeliveries, mapImage, TRIGGERS_API, triggerSpec } from './support/trigger-resources';

const TRIGGER_LABEL = 'triggers.imagestreamd.io/trigger';

/**
 * DeleteOptions.propagationPolicy for a Trigger's deliveries, as Kubernetes' garbage collector
 * treats dependents: Orphan (or the legacy orphanDependents=true, or `kubectl delete
 * --cascade=orphan`) keeps them and removes their ownerReference (a MODIFIED event each);
 * Background (the default) deletes them.
 */
describe('Delivery orphaning (propagationPolicy Orphan)', () => {
  const ns = 'orphans';
  const f = new DeliveryFixture(ns, { TRIGGER_DELIVERY_RETENTION_SECONDS: '3600' });
  const { trg, map, createStream, createTrigger, delivered } = f;
  /** A trigger on its own stream with one delivered delivery per digest character of `pushes`. */
  const triggerWithDeliveries = async (name: string, pushes: string[]) => {
    await createStream(name);
    const trigger = await createTrigger(name, name);
    for (const [i, c] of pushes.entries()) {
      await map(name, digest(c));
      await delivered(name, i + 1);
    }
    return trigger;
  };
  const queued = async () => Number((await f.pg.query<{ n: string }>(`SELECT count(*) AS n FROM trigger_delivery_owner_removals`)).rows[0]!.n);

  it('DELETE with propagationPolicy Orphan keeps the deliveries without ownerReferences (MODIFIED each); a Trigger created again does not adopt them; retention still collects them', async () => {
    const owner = await triggerWithDeliveries('kept', ['1', '2', '3']);
    const before = await listDeliveries(f.server.url, ns, 'kept');
    expect(before[0].metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Trigger', name: 'kept', uid: owner.metadata.uid })]);
    const ids = before.map((d) => d.metadata.name as string).sort();

    const from = (await call('GET', `${trg()}/deliveries`)).body.metadata.resourceVersion;
    const w = watchEvents(`${trg()}/deliveries?watch=1&resourceVersion=${from}&labelSelector=${TRIGGER_LABEL}%3Dkept`);
    try {
      const del = await call('DELETE', `${trg()}/triggers/kept`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
      expect(del.status).toBe(200);
      expect((await call('GET', `${trg()}/triggers/kept`)).status).toBe(404);
      await w.waitFor((e) => e.filter((x) => x.type === 'MODIFIED').length >= 3, 15000);
      // Nothing is deleted: give a wrong collection the time to show.
      await pollUntil(queued, (n) => n === 0, 15000);
    } finally {
      w.stop();
    }
    expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED']);
    expect(w.events.map((e) => e.object.metadata.name).sort()).toEqual(ids);
    for (const e of w.events) {
      expect(e.object.metadata.ownerReferences).toBeUndefined();
      const was = before.find((d) => d.metadata.name === e.object.metadata.name);
      expect(BigInt(e.object.metadata.resourceVersion)).toBeGreaterThan(BigInt(was.metadata.resourceVersion));
    }

    // Listed by the trigger label and read one by one: all there, no ownerReferences, the rest unchanged.
    const after = await listDeliveries(f.server.url, ns, 'kept');
    expect(after.map((d) => d.metadata.name).sort()).toEqual(ids);
    for (const d of after) {
      expect(d.metadata.ownerReferences).toBeUndefined();
      expect(d.spec.owner).toEqual({ kind: 'Trigger', name: 'kept', uid: owner.metadata.uid });
      expect(d.status.state).toBe('delivered');
      const got = await call('GET', `${trg()}/deliveries/${d.metadata.name}`);
      expect(got.status).toBe(200);
      expect(got.body.metadata.ownerReferences).toBeUndefined();
    }
    // An orphan is not redriven: its trigger is gone.
    const redrive = await call('POST', `${trg()}/deliveryredrives`, { spec: { delivery: ids[0] } });
    expect(redrive.status).toBe(409);
    expect(redrive.body.message).toContain('orphaned');

    // Created again under the same name: its own fire is its own (owned), the orphans stay orphans,
    // and its Background delete takes only its own.
    // (Created, it fires for the tag's current image too, unless the push below comes first.)
    const again = await createTrigger('kept', 'kept');
    await map('kept', digest('4'));
    const withNew = await pollUntil(
      () => listDeliveries(f.server.url, ns, 'kept'),
      (ds) => ds.some((d) => d.spec.image === digest('4')) && ds.every((d) => d.status.state === 'delivered'),
      15000,
    );
    const fresh = withNew.filter((d) => !ids.includes(d.metadata.name));
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    for (const d of fresh) expect(d.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: again.metadata.uid })]);
    expect(withNew.filter((d) => ids.includes(d.metadata.name)).every((d) => d.metadata.ownerReferences === undefined)).toBe(true);
    expect((await call('DELETE', `${trg()}/triggers/kept`, { propagationPolicy: 'Background' })).status).toBe(200);
    const left = await pollUntil(() => listDeliveries(f.server.url, ns, 'kept'), (ds) => ds.length === 3, 15000);
    expect(left.map((d) => d.metadata.name).sort()).toEqual(ids);

    // Retention collects an orphan like any delivery.
    await f.pg.query(`UPDATE trigger_deliveries SET created_at = now() - interval '2 hours', delivered_at = now() - interval '2 hours' WHERE id = $1`, [ids[0]]);
    await f.queuePrune();
    await pollUntil(async () => (await call('GET', `${trg()}/deliveries/${ids[0]}`)).status, (s) => s === 404, 15000);
    expect((await call('GET', `${trg()}/deliveries/${ids[0]}`)).status).toBe(404);
    expect((await listDeliveries(f.server.url, ns, 'kept')).map((d) => d.metadata.name).sort()).toEqual(ids.slice(1));
  });

  it('a DELETE without a policy deletes the deliveries after the owner, Foreground before it; orphanDependents=true orphans them', async () => {
    await triggerWithDeliveries('plain', ['5']);
    await triggerWithDeliveries('fore', ['6']);
    await triggerWithDeliveries('legacy', ['7']);
    expect((await call('DELETE', `${trg()}/triggers/plain`)).status).toBe(200);
    expect((await call('DELETE', `${trg()}/triggers/fore`, { propagationPolicy: 'Foreground' })).status).toBe(200);
    // Foreground: the owner goes only after its dependents, so once the DELETE answered (kubectl
    // --cascade=foreground then waits for the owner to be gone) none is left.
    expect(await listDeliveries(f.server.url, ns, 'fore')).toEqual([]);
    expect((await call('DELETE', `${trg()}/triggers/legacy?orphanDependents=true`)).status).toBe(200);
    await pollUntil(queued, (n) => n === 0, 15000);
    expect(await listDeliveries(f.server.url, ns, 'plain')).toEqual([]);
    expect(await listDeliveries(f.server.url, ns, 'fore')).toEqual([]);
    const [legacy] = await listDeliveries(f.server.url, ns, 'legacy');
    expect(legacy.metadata.ownerReferences).toBeUndefined();
  });

  it('an annotated Deployment deleted with propagationPolicy Orphan keeps the deliveries recording its updates, without ownerReferences', async () => {
    await createStream('web');
    const deploy = await call('POST', `${f.server.url}/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: {
        name: 'web',
        annotations: { 'image.openshift.io/triggers': JSON.stringify([{ from: { kind: 'ImageStreamTag', name: 'web:v1' }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }]) },
      },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: ' ' }] } } },
    });
    expect(deploy.status).toBe(201);
    await map('web', digest('e'));
    const [applied] = await pollUntil(() => listDeliveries(f.server.url, ns, 'web'), (ds) => ds[0]?.status.state === 'applied', 15000);
    expect(applied.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', uid: deploy.body.metadata.uid })]);
    expect((await call('DELETE', `${f.server.url}/apis/apps/v1/namespaces/${ns}/deployments/web`, { propagationPolicy: 'Orphan' })).status).toBe(200);
    const [kept] = await pollUntil(() => listDeliveries(f.server.url, ns, 'web'), (ds) => ds.length === 1 && ds[0].metadata.ownerReferences === undefined, 15000);
    expect(kept).toMatchObject({ metadata: { name: applied.metadata.name }, spec: { owner: { kind: 'Deployment', name: 'web' } }, status: { state: 'applied' } });
    expect(kept.metadata.ownerReferences).toBeUndefined();
    await pollUntil(queued, (n) => n === 0, 15000);
  });

  it("deleting the namespace deletes its orphans, also those whose trigger's orphaning was still under way", async () => {
    const gone = 'orphans-gone';
    const url = `${f.server.url}${TRIGGERS_API}/namespaces/${gone}`;
    expect((await call('POST', `${f.server.url}/api/v1/namespaces`, { metadata: { name: gone } })).status).toBe(201);
    expect((await createSigningSecret(f.server.url, gone)).status).toBe(201);
    for (const name of ['settled', 'late']) {
      expect((await call('POST', `${f.server.url}/apis/image.openshift.io/v1/namespaces/${gone}/imagestreams`, { metadata: { name } })).status).toBe(201);
      expect((await call('POST', `${url}/triggers`, { metadata: { name }, spec: triggerSpec(`${name}:v1`, { kind: 'Build', name }, f.rx.url(`/${name}`)) })).status).toBe(201);
      await mapImage(f.server.url, gone, { stream: name, tag: 'v1', image: digest('a'), repository: `quay.io/acme/${name}` });
      await pollUntil(() => listDeliveries(f.server.url, gone, name), (ds) => ds.length === 1 && ds[0].status.state === 'delivered', 15000);
    }
    expect((await call('DELETE', `${url}/triggers/settled`, { propagationPolicy: 'Orphan' })).status).toBe(200);
    await pollUntil(() => listDeliveries(f.server.url, gone, 'settled'), (ds) => ds[0]?.metadata.ownerReferences === undefined, 15000);
    // Orphaned, then the namespace goes at once.
    expect((await call('DELETE', `${url}/triggers/late`, { propagationPolicy: 'Orphan' })).status).toBe(200);
    expect((await call('DELETE', `${f.server.url}/api/v1/namespaces/${gone}`)).status).toBe(200);
    expect(await pollUntil(() => listDeliveries(f.server.url, gone), (ds) => ds.length === 0, 20000)).toEqual([]);
    await pollUntil(queued, (n) => n === 0, 15000);
    expect(await listDeliveries(f.server.url, gone)).toEqual([]);
    // Removed, and nothing left in it: the namespace no longer exists.
    const removed = await pollUntil(async () => (await call('GET', `${f.server.url}/api/v1/namespaces/${gone}`)).status, (status) => status === 404, 15000);
    expect(removed).toBe(404);
  });

  (kubectlFound ? it : it.skip)('kubectl delete --cascade=orphan keeps the deliveries without ownerReferences; kubectl delete (background) deletes them', async () => {
    await triggerWithDeliveries('kc-orphan', ['8']);
    await triggerWithDeliveries('kc-cascade', ['9']);
    const ws = kubectlWorkspace(f.server.url, ns);
    try {
      await ws.ok(['delete', 'triggers.triggers.imagestreamd.io', 'kc-orphan', '--cascade=orphan']);
      await ws.ok(['delete', 'triggers.triggers.imagestreamd.io', 'kc-cascade']);
    } finally {
      ws.remove();
    }
    await pollUntil(queued, (n) => n === 0, 15000);
    const kept = await listDeliveries(f.server.url, ns, 'kc-orphan');
    expect(kept).toHaveLength(1);
    expect(kept[0].metadata.ownerReferences).toBeUndefined();
    expect(await listDeliveries(f.server.url, ns, 'kc-cascade')).toEqual([]);
  });
});

/**
 * The collector orphans a removed owner's deliveries in batches, each its own transaction that
 * goes on after the last one orphaned; the owner's queue row goes with the last batch.
 */
describe('DeliveryCollector orphaning in batches', () => {
  it('orphans 12 deliveries in batches of 5 in creation order, each with a MODIFIED change, and leaves another owner of the same name alone', async () => {
    const t = await openTestDatabase();
    try {
      const uid = randomUUID();
      const other = randomUUID();
      const insert = (id: string, ownerUid: string) =>
        t.db.query(
          `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event, state)
           VALUES ($1, $1, 'ns', 'Trigger', 'build', $2, $3, 'http://receiver.invalid/', 'receiver.invalid', '{}'::jsonb, 'delivered')`,
          [id, ownerUid, digest(id.slice(-1))],
        );
      // Created in this order, so seq runs 1 to 12: past 9, the pages must follow the number, not its text.
      const own = Array.from({ length: 12 }, (_, i) => `d${String(i + 1).padStart(2, '0')}`);
      for (const id of own) await insert(id, uid);
      // A re-created trigger of the same name, whose delivery is its own.
      await insert('new1', other);
      await t.db.query(`INSERT INTO trigger_delivery_owner_removals (owner_uid, owner_kind, namespace, owner_name, orphan) VALUES ($1, 'Trigger', 'ns', 'build', true)`, [uid]);
      const collector = new DeliveryCollector(t.db, 5);
      const orphanedIds = async () =>
        (await t.db.query<{ id: string }>(`SELECT id FROM trigger_deliveries WHERE orphaned ORDER BY seq`)).map((r) => r.id);

      expect(await collector.collectRemovedOwners(1)).toBe(5);
      expect(await orphanedIds()).toEqual(own.slice(0, 5));
      expect(await collector.collectRemovedOwners(1)).toBe(5);
      expect(await orphanedIds()).toEqual(own.slice(0, 10));
      expect(await collector.collectRemovedOwners(5)).toBe(2);
      expect(await orphanedIds()).toEqual(own);
      expect(await t.db.query(`SELECT 1 FROM trigger_delivery_owner_removals`)).toEqual([]);
      expect(await collector.collectRemovedOwners(5)).toBe(0);

      const changes = await t.db.query<{ name: string; type: string; rv: string }>(
        `SELECT name, type, rv::text AS rv FROM resource_changes WHERE resource = 'deliveries' ORDER BY rv`,
      );
      expect(changes.map((c) => c.type)).toEqual(own.map(() => 'MODIFIED'));
      expect(changes.map((c) => c.name).sort()).toEqual(own);
      const versions = await t.db.query<{ id: string; rv: string }>(`SELECT id, resource_version::text AS rv FROM trigger_deliveries WHERE orphaned`);
      expect(Object.fromEntries(versions.map((v) => [v.id, v.rv]))).toEqual(Object.fromEntries(changes.map((c) => [c.name, c.rv])));
      expect(await t.db.query(`SELECT id FROM trigger_deliveries`)).toHaveLength(13);
    } finally {
      await t.close();
    }
  });

  it("a namespace's removal deletes every delivery in it, orphans and queued owners' alike, in batches, and nothing elsewhere", async () => {
    const t = await openTestDatabase();
    try {
      const uid = randomUUID();
      for (const [id, ns, orphaned] of [['d1', 'ns', false], ['d2', 'ns', true], ['d3', 'ns', false], ['kept', 'elsewhere', true]] as const) {
        await t.db.query(
          `INSERT INTO trigger_deliveries (id, idempotency_key, namespace, owner_kind, owner_name, owner_uid, image, url, target_key, event, state, orphaned)
           VALUES ($1, $1, $2, 'Trigger', 'build', $3, $4, 'http://receiver.invalid/', 'receiver.invalid', '{}'::jsonb, 'delivered', $5)`,
          [id, ns, uid, digest(id.slice(-1)), orphaned],
        );
      }
      // The owner's removal, queued by its delete, would find nothing left: it goes too.
      await t.db.query(`INSERT INTO trigger_delivery_owner_removals (owner_uid, owner_kind, namespace, owner_name, orphan) VALUES ($1, 'Trigger', 'ns', 'build', true)`, [uid]);
      expect(await deleteNamespaceDeliveries(t.db, 'ns', 2)).toBe(3);
      expect(await t.db.query(`SELECT id FROM trigger_deliveries`)).toEqual([{ id: 'kept' }]);
      expect(await t.db.query(`SELECT 1 FROM trigger_delivery_owner_removals`)).toEqual([]);
      const changes = await t.db.query<{ name: string; type: string }>(`SELECT name, type FROM resource_changes WHERE resource = 'deliveries' ORDER BY rv`);
      expect(changes.filter((c) => c.type === 'DELETED').map((c) => c.name).sort()).toEqual(['d1', 'd2', 'd3']);
    } finally {
      await t.close();
    }
  });
});
