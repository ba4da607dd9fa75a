import { call, createTestDatabase, testConfig } from '@app/testing';
import { bootstrapApi, type ApiServer } from '../apps/api/src/bootstrap';
import { UNRESOLVED_WARNING } from '@app/triggers';
import { admissionReview, decodeAdmissionPatch } from './support/admission-review';
import { type CuttableProxy, proxyInFrontOf } from './support/cuttable-proxy';
import { digest, mapImage } from './support/trigger-resources';

const REGISTRY = 'registry.local:5000';
const POD = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };
const pod = (image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } });

/**
 * OpenShift's image policy admission only attempts resolution by default (resolveImages: Attempt,
 * rules skipOnResolutionFailure): a lookup that fails admits the pod unchanged. As a webhook, a
 * 503 would instead make kube-apiserver apply its failurePolicy (Fail by default) to every pod.
 */
describe('image policy admission while Postgres is unreachable', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: CuttableProxy;
  let api: ApiServer;
  const webhook = () => `${api.url}/admission/image-policy`;

  beforeAll(async () => {
    db = await createTestDatabase();
    let proxied: string;
    ({ proxy, url: proxied } = await proxyInFrontOf(db.url));
    api = await bootstrapApi(testConfig(proxied, { internalRegistryHostname: REGISTRY }));
    const streams = `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'web' }, spec: { lookupPolicy: { local: true } } })).status).toBe(201);
    await mapImage(api.url, 'demo', { stream: 'web', tag: 'latest', image: digest('a'), repository: `${REGISTRY}/demo/web` });
  }, 90000);
  afterAll(async () => {
    if (proxy && !proxy.isOpen) await proxy.open();
    await api?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('admits the pod unchanged with a warning, and resolves again once Postgres is back', async () => {
    const resolved = await call('POST', webhook(), admissionReview(POD, 'CREATE', pod('web')));
    expect(decodeAdmissionPatch(resolved.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);

    await proxy.cut();
    const sent = admissionReview(POD, 'CREATE', pod('web'));
    const unresolved = await call('POST', webhook(), sent);
    expect(unresolved.status).toBe(200);
    expect(unresolved.body.response).toEqual({ uid: sent.request.uid, allowed: true, warnings: [UNRESOLVED_WARNING] });
    // Ordinary API requests still say the storage is unavailable: only admission answers past it.
    expect((await call('GET', `${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams/web`)).status).toBe(503);

    await proxy.open();
    const again = await call('POST', webhook(), admissionReview(POD, 'CREATE', pod('web')));
    expect(again.body.response.patchType).toBe('JSONPatch');
  }, 60000);
});
