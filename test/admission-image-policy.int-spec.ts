import { call } from '@app/testing';
import { admissionReview, decodeAdmissionPatch } from './support/admission-review';
import { startTestApi, type TestApi } from './support/api-server';
import { digest, mapImage } from './support/trigger-resources';

const REGISTRY = 'registry.local:5000';
const DENY = 'images.openshift.io/deny-execution';

const review = admissionReview;

const POD = { group: '', version: 'v1', resource: 'pods', kind: 'Pod' };
const DEPLOYMENT = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' };
const pod = (...images: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});
const deployment = (image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'demo' },
  spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'app', image }] } } },
});
const decodePatch = decodeAdmissionPatch;

/**
 * The admission webhook (`POST /admission/image-policy`) as kube-apiserver calls it: OpenShift's image
 * policy admission with its default rules over real Postgres and HTTP.
 */
describe('image policy admission webhook', () => {
  let api: TestApi;
  const webhook = () => `${api.url}/admission/image-policy`;

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: REGISTRY });
    const streams = `${api.base}/namespaces/demo/imagestreams`;
    expect((await call('POST', streams, { metadata: { name: 'web' }, spec: { lookupPolicy: { local: true } } })).status).toBe(201);
    expect((await call('POST', streams, { metadata: { name: 'bad' }, spec: { lookupPolicy: { local: true } } })).status).toBe(201);
    await mapImage(api.url, 'demo', { stream: 'web', tag: 'latest', image: digest('a'), repository: `${REGISTRY}/demo/web` });
    await mapImage(api.url, 'demo', { stream: 'bad', tag: 'latest', image: digest('b'), repository: `${REGISTRY}/demo/bad` });
    // `oc annotate image sha256:bbb… images.openshift.io/deny-execution=true`
    const annotated = await call('PATCH', `${api.base}/images/${digest('b')}`, { metadata: { annotations: { [DENY]: 'true' } } }, 'application/merge-patch+json');
    expect(annotated.status).toBe(200);
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('a pod naming a local stream gets a JSON patch to the tag image; the answer echoes uid, apiVersion and kind', async () => {
    const sent = review(POD, 'CREATE', pod('web', 'busybox:1'));
    const res = await call('POST', webhook(), sent);
    expect(res.status).toBe(200);
    expect(res.body.apiVersion).toBe('admission.k8s.io/v1');
    expect(res.body.kind).toBe('AdmissionReview');
    expect(res.body.response.uid).toBe(sent.request.uid);
    expect(res.body.response.allowed).toBe(true);
    expect(res.body.response.patchType).toBe('JSONPatch');
    expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);
  });

  it('v1beta1 reviews are answered as v1beta1; dryRun changes nothing in the answer', async () => {
    const sent = review(DEPLOYMENT, 'CREATE', deployment('web:latest'), { apiVersion: 'admission.k8s.io/v1beta1', name: 'd', dryRun: true });
    const res = await call('POST', webhook(), sent);
    expect(res.status).toBe(200);
    expect(res.body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(res.body.response.uid).toBe(sent.request.uid);
    expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);
  });

  it.each([
    [{ group: 'apps.openshift.io', version: 'v1', resource: 'deploymentconfigs', kind: 'DeploymentConfig' }, '/spec/template/spec/containers/0/image'],
    [{ group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' }, '/spec/jobTemplate/spec/template/spec/containers/0/image'],
  ])('%o keeps its pod spec where the patch points', async (kind, pointer) => {
    const podSpec = { containers: [{ name: 'app', image: 'web' }] };
    const object =
      kind.resource === 'cronjobs'
        ? { metadata: { name: 'x' }, spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } }
        : { metadata: { name: 'x' }, spec: { template: { spec: podSpec } } };
    const res = await call('POST', webhook(), review(kind, 'CREATE', object, { name: 'x' }));
    expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: pointer, value: `${REGISTRY}/demo/web@${digest('a')}` }]);
  });

  it('an object with nothing to resolve is allowed without a patch', async () => {
    const res = await call('POST', webhook(), review(POD, 'CREATE', pod('busybox:1', `quay.io/acme/web@${digest('c')}`)));
    expect(res.status).toBe(200);
    expect(res.body.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it.each([
    ['by digest', `quay.io/mirror/bad@${digest('b')}`],
    ['by a tag of the internal registry', `${REGISTRY}/demo/bad:latest`],
    ['by a local name', 'bad'],
  ])('a pod running an image annotated deny-execution (%s) is refused with 422 Forbidden on its field', async (_how, image) => {
    const sent = review(POD, 'CREATE', pod('busybox:1', image));
    const res = await call('POST', webhook(), sent);
    expect(res.status).toBe(200);
    expect(res.body.response.uid).toBe(sent.request.uid);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.patch).toBeUndefined();
    expect(res.body.response.status).toMatchObject({
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: 'Pod "p" is invalid: spec.containers[1].image: Forbidden: this image is prohibited by policy',
      details: { name: 'p', kind: 'Pod', causes: [{ reason: 'FieldValueForbidden', field: 'spec.containers[1].image' }] },
    });
  });

  it('the execution rule covers pods only (a Deployment is resolved, its pods are checked when created)', async () => {
    const res = await call('POST', webhook(), review(DEPLOYMENT, 'CREATE', deployment('bad'), { name: 'd' }));
    expect(res.body.response.allowed).toBe(true);
    expect(decodePatch(res.body.response.patch)[0].value).toBe(`${REGISTRY}/demo/bad@${digest('b')}`);
  });

  it('an update is checked on the images it changes; unchanged denied images and subresources pass', async () => {
    const old = pod(`quay.io/mirror/bad@${digest('b')}`);
    const unchanged = await call('POST', webhook(), review(POD, 'UPDATE', { ...old, metadata: { name: 'p', labels: { a: 'b' } } }, { oldObject: old }));
    expect(unchanged.body.response).toEqual({ uid: expect.any(String), allowed: true });
    const status = await call('POST', webhook(), review(POD, 'UPDATE', old, { oldObject: pod('busybox:1'), subResource: 'status' }));
    expect(status.body.response.allowed).toBe(true);
    const changed = await call('POST', webhook(), review(POD, 'UPDATE', old, { oldObject: pod('busybox:1') }));
    expect(changed.body.response.allowed).toBe(false);
    const deleted = await call('POST', webhook(), review(POD, 'DELETE', null, { oldObject: old }));
    expect(deleted.body.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('every refused container is named, init containers first, as upstream reports them', async () => {
    const denied = `quay.io/mirror/bad@${digest('b')}`;
    const object = { ...pod(denied), spec: { initContainers: [{ name: 'init', image: denied }], containers: [{ name: 'c0', image: 'bad' }] } };
    const res = await call('POST', webhook(), review(POD, 'CREATE', object));
    expect(res.body.response.status.message).toBe(
      'Pod "p" is invalid: [spec.initContainers[0].image: Forbidden: this image is prohibited by policy, spec.containers[0].image: Forbidden: this image is prohibited by policy]',
    );
  });

  it('an update that changes the resolve-names annotation checks unchanged images again', async () => {
    const old = pod(`quay.io/mirror/bad@${digest('b')}`);
    const annotated = { ...old, metadata: { name: 'p', annotations: { 'alpha.image.policy.openshift.io/resolve-names': '*' } } };
    const res = await call('POST', webhook(), review(POD, 'UPDATE', annotated, { oldObject: old }));
    expect(res.body.response.allowed).toBe(false);
  });

  it('a namespace whose ignore-rules annotation names execution-denied runs denied images', async () => {
    const ns = await call('POST', `${api.url}/api/v1/namespaces`, {
      metadata: { name: 'lenient', annotations: { 'alpha.image.policy.openshift.io/ignore-rules': 'other,execution-denied' } },
    });
    expect(ns.status).toBe(201);
    const res = await call('POST', webhook(), review(POD, 'CREATE', pod(`quay.io/mirror/bad@${digest('b')}`), { namespace: 'lenient' }));
    expect(res.body.response.allowed).toBe(true);
  });

  it("answers kube-apiserver's ImagePolicyWebhook (ImageReview): may a pod of the namespace run these images", async () => {
    const imageReview = (namespace: string, ...images: string[]) => ({
      apiVersion: 'imagepolicy.k8s.io/v1alpha1',
      kind: 'ImageReview',
      spec: { containers: images.map((image) => ({ image })), annotations: { 'team.image-policy.k8s.io/ticket': '42' }, namespace },
    });
    const url = `${api.url}/admission/image-review`;
    const ok = await call('POST', url, imageReview('demo', 'busybox:1', 'web'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ...imageReview('demo', 'busybox:1', 'web'), status: { allowed: true } });
    const denied = await call('POST', url, imageReview('demo', 'busybox:1', `quay.io/mirror/bad@${digest('b')}`, 'bad'));
    expect(denied.body.status).toEqual({
      allowed: false,
      reason: `image quay.io/mirror/bad@${digest('b')} is prohibited by policy; image bad is prohibited by policy`,
    });
    expect((await call('POST', url, imageReview('lenient', `quay.io/mirror/bad@${digest('b')}`))).body.status).toEqual({ allowed: true });
    const malformed = await call('POST', url, { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { containers: 'x' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ kind: 'Status', code: 400 });
  });

  it.each([
    ['not JSON', '{"apiVersion":'],
    ['not an AdmissionReview', { apiVersion: 'v1', kind: 'Pod' }],
    ['an unknown version', { ...review(POD, 'CREATE', pod('web')), apiVersion: 'admission.k8s.io/v2' }],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }],
    ['no uid', { ...review(POD, 'CREATE', pod('web')), request: { ...review(POD, 'CREATE', pod('web')).request, uid: '' } }],
    ['an unknown operation', { ...review(POD, 'CREATE', pod('web')), request: { ...review(POD, 'CREATE', pod('web')).request, operation: 'PATCH' } }],
    ['an object that is a string', { ...review(POD, 'CREATE', pod('web')), request: { ...review(POD, 'CREATE', pod('web')).request, object: 'x' } }],
  ])('a malformed review (%s) is a 400 Status, not a 500', async (_what, body) => {
    const res = await call('POST', webhook(), body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', code: 400, reason: 'BadRequest' });
  });
});
