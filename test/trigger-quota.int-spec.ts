import { call } from '@app/testing';
import { type TriggerServer, startTriggerServer } from './support/trigger-server';
import { TRIGGERS_API, triggerSpec } from './support/trigger-resources';

const NS = 'quotas';
const COUNT = 'count/triggers.triggers.imagestreamd.io';

/**
 * ResourceQuota `count/triggers.triggers.imagestreamd.io` bounds how many Triggers a namespace
 * holds, as kube-apiserver's generic object count evaluator bounds any resource: a create past
 * `hard` is 403 `exceeded quota` and writes nothing, `status.used` follows creates and deletes, a
 * scoped quota counts none (the evaluator matches no scope), and parallel creates at the limit let
 * exactly one through. Every Trigger fans each push out to one more receiver: without a bound, any
 * editor of a namespace could multiply the service's outgoing work at will.
 */
describe('ResourceQuota on Triggers', () => {
  let server: TriggerServer;
  const triggers = (ns = NS) => `${server.url}${TRIGGERS_API}/namespaces/${ns}/triggers`;
  const quotas = (ns = NS) => `${server.url}/api/v1/namespaces/${ns}/resourcequotas`;
  const create = (name: string, ns = NS, query = '') =>
    call('POST', `${triggers(ns)}${query}`, { metadata: { name }, spec: triggerSpec('base:latest', { kind: 'Webhook', name }, 'http://127.0.0.1:9/hook') });
  const used = async (name: string, ns = NS) => (await call('GET', `${quotas(ns)}/${name}`)).body.status;

  beforeAll(async () => {
    server = await startTriggerServer();
  }, 60000);
  afterAll(async () => {
    await server?.close();
  });

  it('a create past hard is 403 exceeded quota and writes nothing; status.used follows creates and deletes', async () => {
    expect((await create('t1')).status).toBe(201);
    expect((await call('POST', quotas(), { metadata: { name: 'q' }, spec: { hard: { [COUNT]: '2', 'openshift.io/imagestreams': '5' } } })).status).toBe(201);
    expect(await used('q')).toEqual({ hard: { [COUNT]: '2', 'openshift.io/imagestreams': '5' }, used: { [COUNT]: '1', 'openshift.io/imagestreams': '0' } });

    expect((await create('t2')).status).toBe(201);
    expect((await used('q')).used[COUNT]).toBe('2');
    const refused = await create('t3');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: `triggers.triggers.imagestreamd.io "t3" is forbidden: exceeded quota: q, requested: ${COUNT}=1, used: ${COUNT}=2, limited: ${COUNT}=2`,
      details: { name: 't3', group: 'triggers.imagestreamd.io', kind: 'triggers' },
    });
    expect((await call('GET', `${triggers()}/t3`)).status).toBe(404);
    // A dry run is admitted as the create would be.
    expect((await create('t3', NS, '?dryRun=All')).status).toBe(403);

    expect((await call('DELETE', `${triggers()}/t1`)).status).toBe(200);
    expect((await used('q')).used[COUNT]).toBe('1');
    expect((await create('t3')).status).toBe(201);
    expect((await used('q')).used[COUNT]).toBe('2');
    // Updates of existing Triggers are not creates.
    expect((await call('PATCH', `${triggers()}/t2`, { spec: { paused: true } }, 'application/merge-patch+json')).status).toBe(200);
  }, 60000);

  it('a scoped quota counts no Trigger and limits none', async () => {
    const ns = 'scoped';
    expect((await call('POST', quotas(ns), { metadata: { name: 'q' }, spec: { hard: { [COUNT]: '0' }, scopes: ['NotTerminating'] } })).status).toBe(201);
    expect((await create('s1', ns)).status).toBe(201);
    expect((await used('q', ns)).used[COUNT]).toBe('0');
  }, 30000);

  it('parallel creates at the limit let exactly one through', async () => {
    const ns = 'racing';
    expect((await call('POST', quotas(ns), { metadata: { name: 'q' }, spec: { hard: { [COUNT]: '1' } } })).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`r${i}`, ns)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 403, 403, 403, 403, 403, 403, 403]);
    expect((await call('GET', triggers(ns))).body.items).toHaveLength(1);
    expect((await used('q', ns)).used[COUNT]).toBe('1');
  }, 30000);
});
