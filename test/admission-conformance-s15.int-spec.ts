import { applyPatch, type Operation } from 'fast-json-patch';
import { call } from '@app/testing';
import {
  admissionReview as review,
  decodeAdmissionPatch as decodePatch,
  DENY_EXECUTION,
  DEPLOYMENT,
  INTERNAL_REGISTRY,
  JOB,
  POD,
  RESOLVE_NAMES,
} from './support/admission-review';
import { startTestApi, type TestApi } from './support/api-server';
import { digest, mapImage } from './support/trigger-resources';

const REGISTRY = INTERNAL_REGISTRY;
const DENY = DENY_EXECUTION;

const pod = (images: string[], extra: { annotations?: Record<string, string>; init?: string[]; ownerReferences?: object[] } = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
    ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}),
  },
  spec: {
    ...(extra.init ? { initContainers: extra.init.map((image, i) => ({ name: `init${i}`, image })) } : {}),
    containers: images.map((image, i) => ({ name: `c${i}`, image })),
  },
});

/**
 * Black-box conformance of the admission side, driven over HTTP as kube-apiserver drives a webhook:
 * `/admission/image-policy` (OpenShift's image.openshift.io/ImagePolicy with its default rules,
 * openshift/apiserver-library-go pkg/admission/imagepolicy) answered per k8s.io/apiserver's
 * VerifyAdmissionResponse, and `/admission/image-review` (kube's ImagePolicyWebhook backend).
 */
describe('admission conformance (s15)', () => {
  let api: TestApi;
  const webhook = () => `${api.url}/admission/image-policy`;
  const admit = async (sent: ReturnType<typeof review> | object, query = '') => {
    const res = await call('POST', `${webhook()}${query}`, sent);
    expect(res.status).toBe(200);
    return res;
  };
  /** The object kube-apiserver would store after applying the webhook's patch (or the object as sent). */
  const patched = (object: object, response: { patch?: string }) =>
    response.patch === undefined ? object : applyPatch(structuredClone(object), decodePatch(response.patch) as Operation[], true, false).newDocument;

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: REGISTRY });
    for (const ns of ['demo', 'other']) {
      expect((await call('POST', `${api.url}/api/v1/namespaces`, { metadata: { name: ns } })).status).toBe(201);
    }
    const streams = (ns: string) => `${api.base}/namespaces/${ns}/imagestreams`;
    const local = { lookupPolicy: { local: true } };
    for (const [ns, name, spec] of [
      ['demo', 'web', local],
      ['demo', 'plain', {}],
      ['demo', 'bad', local],
      ['demo', 'empty', local],
      ['other', 'web', local],
      ['other', 'bad', {}],
    ] as const) {
      expect((await call('POST', streams(ns), { metadata: { name }, spec })).status).toBe(201);
    }
    await mapImage(api.url, 'demo', { stream: 'web', tag: 'latest', image: digest('a'), repository: `${REGISTRY}/demo/web` });
    await mapImage(api.url, 'demo', { stream: 'web', tag: '2', image: digest('c'), repository: `quay.io/acme/web` });
    await mapImage(api.url, 'demo', { stream: 'plain', tag: 'latest', image: digest('d'), repository: `${REGISTRY}/demo/plain` });
    await mapImage(api.url, 'demo', { stream: 'bad', tag: 'latest', image: digest('b'), repository: `${REGISTRY}/demo/bad`, annotations: { [DENY]: 'true' } });
    await mapImage(api.url, 'other', { stream: 'web', tag: 'latest', image: digest('e'), repository: `${REGISTRY}/other/web` });
    await mapImage(api.url, 'other', { stream: 'bad', tag: 'latest', image: digest('b'), repository: `${REGISTRY}/other/bad` });
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  describe('AdmissionReview protocol (k8s.io/apiserver webhook/request/admissionreview.go)', () => {
    it('answers an AdmissionReview v1 as kube-apiserver encodes it (requestKind, userInfo.extra, options, oldObject null, ?timeout=10s)', async () => {
      // The JSON kube-apiserver's CreateV1AdmissionReview marshals for `kubectl run p --image=web` (Go zero values kept).
      const goShaped = {
        kind: 'AdmissionReview',
        apiVersion: 'admission.k8s.io/v1',
        request: {
          uid: '0df28fbd-5f5f-4a0c-9d5e-5b8f3c0e1a11',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          requestKind: { group: '', version: 'v1', kind: 'Pod' },
          requestResource: { group: '', version: 'v1', resource: 'pods' },
          name: 'p',
          namespace: 'demo',
          operation: 'CREATE',
          userInfo: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'], extra: {} },
          object: {
            kind: 'Pod',
            apiVersion: 'v1',
            metadata: { name: 'p', namespace: 'demo', creationTimestamp: null, labels: { run: 'p' }, managedFields: [] },
            spec: {
              containers: [{ name: 'p', image: 'web', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }],
              restartPolicy: 'Always',
              dnsPolicy: 'ClusterFirst',
              securityContext: {},
              schedulerName: 'default-scheduler',
            },
            status: {},
          },
          oldObject: null,
          dryRun: false,
          options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-run' },
        },
      };
      const res = await admit(goShaped, '?timeout=10s');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['apiVersion', 'kind', 'response']);
      expect(res.body.apiVersion).toBe('admission.k8s.io/v1');
      expect(res.body.kind).toBe('AdmissionReview');
      expect(res.body.response).toEqual({ uid: goShaped.request.uid, allowed: true, patchType: 'JSONPatch', patch: expect.any(String) });
      const after = patched(goShaped.request.object, res.body.response) as typeof goShaped.request.object;
      expect(after.spec.containers[0]).toEqual({ ...goShaped.request.object.spec.containers[0], image: `${REGISTRY}/demo/web@${digest('a')}` });
    });

    it('Go-shaped UPDATE (kubectl set image on a Deployment, UpdateOptions) and DELETE (object null, DeleteOptions) reviews', async () => {
      const deployment = (image: string, generation: number) => ({
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'web', namespace: 'demo', uid: 'a1b2', resourceVersion: '812', generation, creationTimestamp: '2026-12-02T10:00:00Z', labels: { app: 'web' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, resources: {} }], restartPolicy: 'Always' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        },
        status: {},
      });
      const base = {
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
        requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
        name: 'web',
        namespace: 'demo',
        userInfo: { username: 'dev', uid: 'u', groups: ['system:authenticated'], extra: {} },
        dryRun: false,
      };
      const update = {
        kind: 'AdmissionReview',
        apiVersion: 'admission.k8s.io/v1',
        request: { uid: 'c9a1e7c4-1f0e-4b55-9d51-8a3f7f0c2b01', ...base, operation: 'UPDATE', object: deployment('web:2', 2), oldObject: deployment('busybox', 1), options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-set' } },
      };
      const updated = await admit(update, '?timeout=10s');
      expect(updated.body.response.uid).toBe(update.request.uid);
      const after = patched(update.request.object, updated.body.response) as ReturnType<typeof deployment>;
      expect(after.spec.template.spec.containers[0]!.image).toBe(`quay.io/acme/web@${digest('c')}`);
      const del = {
        kind: 'AdmissionReview',
        apiVersion: 'admission.k8s.io/v1',
        request: { uid: 'c9a1e7c4-1f0e-4b55-9d51-8a3f7f0c2b02', ...base, operation: 'DELETE', object: null, oldObject: deployment('web', 1), options: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' } },
      };
      expect((await admit(del)).body.response).toEqual({ uid: del.request.uid, allowed: true });
    });

    it('an admission.k8s.io/v1beta1 review is answered in v1beta1 with the uid echoed and a JSONPatch', async () => {
      const sent = review(POD, 'CREATE', pod(['web:2']), { apiVersion: 'admission.k8s.io/v1beta1' });
      const res = await admit(sent);
      expect(res.body.apiVersion).toBe('admission.k8s.io/v1beta1');
      expect(res.body.kind).toBe('AdmissionReview');
      expect(res.body.response.uid).toBe(sent.request.uid);
      expect(res.body.response.patchType).toBe('JSONPatch');
      expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `quay.io/acme/web@${digest('c')}` }]);
    });

    it('nothing to change: allowed with neither patch nor patchType (a v1 answer with one and not the other fails the call)', async () => {
      const res = await admit(review(POD, 'CREATE', pod(['busybox:1.36'])));
      expect(res.body.response).toEqual({ uid: expect.any(String), allowed: true });
    });

    it('dryRun requests get the same answer (the webhook has no side effects)', async () => {
      const wet = await admit(review(POD, 'CREATE', pod(['web'])));
      const dry = await admit(review(POD, 'CREATE', pod(['web']), { dryRun: true }));
      expect(dry.body.response.patch).toBe(wet.body.response.patch);
    });

    it('a denial is allowed:false with a metav1.Status (Failure, 422 Invalid, the field cause) and no patch', async () => {
      const res = await admit(review(POD, 'CREATE', pod(['bad'])));
      const response = res.body.response;
      expect(response.allowed).toBe(false);
      expect(response.patch).toBeUndefined();
      expect(response.patchType).toBeUndefined();
      expect(response.status).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 422,
        reason: 'Invalid',
        message: 'Pod "p" is invalid: spec.containers[0].image: Forbidden: this image is prohibited by policy',
        details: { name: 'p', kind: 'Pod', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: this image is prohibited by policy', field: 'spec.containers[0].image' }] },
      });
      // As Go marshals metav1.StatusDetails (group omitempty): a core kind's details carry no group.
      expect(response.status.details).toEqual({ name: 'p', kind: 'Pod', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: this image is prohibited by policy', field: 'spec.containers[0].image' }] });
    });

    it('a v1beta1 denial carries the same Status', async () => {
      const res = await admit(review(POD, 'CREATE', pod(['bad']), { apiVersion: 'admission.k8s.io/v1beta1' }));
      expect(res.body.apiVersion).toBe('admission.k8s.io/v1beta1');
      expect(res.body.response).toMatchObject({ allowed: false, status: { code: 422, reason: 'Invalid' } });
    });

    it('concurrent reviews each get their own uid back', async () => {
      const sent = Array.from({ length: 16 }, (_, i) => review(POD, 'CREATE', pod([i % 2 ? 'web' : 'bad'])));
      const answers = await Promise.all(sent.map((s) => admit(s)));
      answers.forEach((res, i) => {
        expect(res.body.response.uid).toBe(sent[i]!.request.uid);
        expect(res.body.response.allowed).toBe(i % 2 === 1);
      });
    });

    it('Content-Type application/json; charset=utf-8 is read as JSON', async () => {
      const sent = review(POD, 'CREATE', pod(['web']));
      const res = await call('POST', webhook(), JSON.stringify(sent), 'application/json; charset=utf-8');
      expect(res.status).toBe(200);
      expect(res.body.response.uid).toBe(sent.request.uid);
    });

    it('a container list entry that is not an object (null) is a container without an image: the rest is still reviewed, never a 500', async () => {
      const object = { metadata: { name: 'p' }, spec: { initContainers: [null], containers: [null, 7, { name: 'c', image: 'web' }] } };
      const created = await admit(review(POD, 'CREATE', object));
      expect(decodePatch(created.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/2/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);
      const denied = { metadata: { name: 'p' }, spec: { containers: [null, { name: 'c', image: 'bad' }] } };
      const updated = await admit(review(POD, 'UPDATE', denied, { oldObject: { metadata: { name: 'p' }, spec: { containers: [null] } } }));
      expect(updated.body.response.status.message).toBe('Pod "p" is invalid: spec.containers[1].image: Forbidden: this image is prohibited by policy');
    });

    it.each([
      ['an empty body', ''],
      ['JSON that does not parse', '{"kind":"AdmissionReview",'],
      ['a JSON list', '[]'],
      ['an AdmissionReview without request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })],
      ['another kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'ImageReview', request: {} })],
    ])('%s is a 400 Status (kube-apiserver applies the failurePolicy), never a 500', async (_what, body) => {
      const res = await call('POST', webhook(), body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest' });
    });
  });

  describe('which requests the image policy looks at', () => {
    it.each([
      ['Pod', POD, (podSpec: object) => ({ metadata: { name: 'x' }, spec: podSpec }), '/spec'],
      ['Deployment', DEPLOYMENT, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['StatefulSet', { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' }, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['DaemonSet', { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet' }, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['ReplicaSet', { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet' }, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['Job', JOB, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['CronJob', { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' }, (s: object) => ({ metadata: { name: 'x' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: s } } } } }), '/spec/jobTemplate/spec/template/spec'],
      ['ReplicationController', { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController' }, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
      ['DeploymentConfig', { group: 'apps.openshift.io', version: 'v1', resource: 'deploymentconfigs', kind: 'DeploymentConfig' }, (s: object) => ({ metadata: { name: 'x' }, spec: { template: { spec: s } } }), '/spec/template/spec'],
    ] as const)('%s: init containers and containers with local names are patched on create', async (_kind, resource, wrap, base) => {
      const object = wrap({ initContainers: [{ name: 'i', image: 'web:2' }], containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'web' }] });
      const res = await admit(review(resource, 'CREATE', object, { name: 'x' }));
      expect(res.body.response.allowed).toBe(true);
      expect(decodePatch(res.body.response.patch)).toEqual([
        { op: 'replace', path: `${base}/initContainers/0/image`, value: `quay.io/acme/web@${digest('c')}` },
        { op: 'replace', path: `${base}/containers/1/image`, value: `${REGISTRY}/demo/web@${digest('a')}` },
      ]);
    });

    it('resources the policy does not cover (services, configmaps, podtemplates) are allowed untouched', async () => {
      for (const resource of [
        { group: '', version: 'v1', resource: 'services', kind: 'Service' },
        { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' },
        { group: '', version: 'v1', resource: 'podtemplates', kind: 'PodTemplate' },
      ]) {
        const res = await admit(review(resource, 'CREATE', { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'bad' }] }, template: { spec: { containers: [{ name: 'c', image: 'web' }] } } }));
        expect(res.body.response).toEqual({ uid: expect.any(String), allowed: true });
      }
    });

    it('DELETE and CONNECT, and subresources (status, ephemeralcontainers, binding) pass without a look', async () => {
      const denied = pod(['bad']);
      expect((await admit(review(POD, 'DELETE', null, { oldObject: denied }))).body.response).toEqual({ uid: expect.any(String), allowed: true });
      expect((await admit(review(POD, 'CONNECT', { kind: 'PodExecOptions', apiVersion: 'v1', command: ['sh'] }, { subResource: 'exec' }))).body.response).toEqual({ uid: expect.any(String), allowed: true });
      for (const subResource of ['status', 'ephemeralcontainers', 'binding']) {
        const withDebug = { ...denied, spec: { ...denied.spec, ephemeralContainers: [{ name: 'dbg', image: 'web' }] } };
        expect((await admit(review(POD, 'UPDATE', withDebug, { oldObject: pod(['busybox']), subResource }))).body.response).toEqual({ uid: expect.any(String), allowed: true });
      }
    });

    it('an object with a controller ownerReference is skipped (its owner was admitted), denied images included', async () => {
      const owned = pod(['bad', 'web'], { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }] });
      expect((await admit(review(POD, 'CREATE', owned))).body.response).toEqual({ uid: expect.any(String), allowed: true });
      // A non-controller owner does not count.
      const notController = pod(['web'], { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'u2' }] });
      expect((await admit(review(POD, 'CREATE', notController))).body.response.patch).toBeDefined();
    });
  });

  describe('how a reference resolves (resolveImageReference / resolveImageStreamTag)', () => {
    const patchOf = async (images: string[], extra: Parameters<typeof pod>[1] = {}, namespace = 'demo') => {
      const res = await admit(review(POD, 'CREATE', pod(images, extra), { namespace }));
      expect(res.body.response.allowed).toBe(true);
      return res.body.response.patch === undefined ? [] : decodePatch(res.body.response.patch);
    };

    it('a short name of a stream with lookupPolicy.local: tag defaults to latest, the pull spec by digest', async () => {
      expect(await patchOf(['web', 'web:latest'])).toEqual([
        { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
        { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
      ]);
    });

    it('lookupPolicy.local false: a short name stays as written (it may be a Docker Hub name)', async () => {
      expect(await patchOf(['plain', 'plain:latest'])).toEqual([]);
    });

    it('a name with a digest, a registry, a namespace, or the internal registry hostname is not a local name', async () => {
      expect(await patchOf([`web@${digest('a')}`, `web:latest@${digest('a')}`, 'docker.io/web:latest', 'demo/web', `${REGISTRY}/demo/web:latest`, `${REGISTRY}/demo/web`])).toEqual([]);
    });

    it('no stream of that name: left as written; a stream with local lookup but no such tag: <status.dockerImageRepository>:<tag>', async () => {
      expect(await patchOf(['nginx', 'nginx:1.25'])).toEqual([]);
      expect(await patchOf(['empty', 'web:missing'])).toEqual([
        { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/empty:latest` },
        { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/web:missing` },
      ]);
    });

    it('an internal-registry reference to a missing tag of a local-lookup stream points at <status.dockerImageRepository>:<tag>; one that resolves stays', async () => {
      // apiserver-library-go resolveImageStreamTag: the tag-not-found rewrite (LocalRewrite) does not depend on the
      // reference being partial; the namespace of a reference without one is the request's.
      expect(await patchOf([`${REGISTRY}/demo/empty`, `${REGISTRY}/empty:v1`, `${REGISTRY}/demo/empty:v2`, `${REGISTRY}/web`, `${REGISTRY}/demo/plain:missing`, `${REGISTRY}/nosuch:1`])).toEqual([
        { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/empty:latest` },
        { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/empty:v1` },
      ]);
      expect(await patchOf([`${REGISTRY}/web:missing`], {}, 'other')).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/other/web:missing` }]);
      // A Deployment stored here is admitted by the same rule.
      const stored = await call('POST', `${api.url}/apis/apps/v1/namespaces/demo/deployments`, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'internal-ref' },
        spec: { selector: { matchLabels: { app: 'i' } }, template: { metadata: { labels: { app: 'i' } }, spec: { containers: [{ name: 'a', image: `${REGISTRY}/demo/empty` }, { name: 'b', image: `${REGISTRY}/demo/web` }] } } },
      });
      expect(stored.status).toBe(201);
      expect(stored.body.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([`${REGISTRY}/demo/empty:latest`, `${REGISTRY}/demo/web`]);
    });

    it('resolution is namespace-local: the same short name resolves per the request namespace, not the object metadata', async () => {
      expect(await patchOf(['web'], {}, 'other')).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/other/web@${digest('e')}` }]);
      expect(await patchOf(['web'], {}, 'nostreams')).toEqual([]);
      const object = { ...pod(['web']), metadata: { name: 'p', namespace: 'other' } };
      const res = await admit(review(POD, 'CREATE', object, { namespace: 'demo' }));
      expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);
    });

    it('resolve-names "*" resolves any name (stream policy ignored) by its last segment in the request namespace; digests stay', async () => {
      expect(await patchOf(['plain', `${REGISTRY}/other/web:latest`, 'quay.io/x/nosuch:1', `quay.io/x/web@${digest('a')}`], { annotations: { [RESOLVE_NAMES]: '*' } })).toEqual([
        { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/plain@${digest('d')}` },
        { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
      ]);
      // Any other value of the annotation is not a request for resolution.
      expect(await patchOf(['plain'], { annotations: { [RESOLVE_NAMES]: 'true' } })).toEqual([]);
    });

    it('an image that is not a reference (empty, upper case, spaces) is left alone and allowed', async () => {
      expect(await patchOf(['', 'Web', 'web latest', 'web:'])).toEqual([]);
      const noImage = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
      expect((await admit(review(POD, 'CREATE', noImage))).body.response).toEqual({ uid: expect.any(String), allowed: true });
    });

    it('a second call with the patched object (reinvocationPolicy IfNeeded) changes nothing', async () => {
      const object = pod(['web', 'web:2'], { init: ['web'] });
      const first = await admit(review(POD, 'CREATE', object));
      const again = await admit(review(POD, 'CREATE', patched(object, first.body.response)));
      expect(again.body.response).toEqual({ uid: expect.any(String), allowed: true });
    });
  });

  describe('updates', () => {
    it('only images the update changes are resolved; a changed container is patched in place', async () => {
      const old = pod(['web', 'busybox']);
      const res = await admit(review(POD, 'UPDATE', pod(['web', 'web:2']), { oldObject: old }));
      expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/1/image', value: `quay.io/acme/web@${digest('c')}` }]);
    });

    it('adding resolve-names "*" resolves every name, unchanged ones too', async () => {
      const old = pod(['plain']);
      const res = await admit(review(POD, 'UPDATE', pod(['plain'], { annotations: { [RESOLVE_NAMES]: '*' } }), { oldObject: old }));
      expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/plain@${digest('d')}` }]);
    });

    it('a Job update is never rewritten (its template is immutable); a Deployment update is', async () => {
      const wrap = (image: string) => ({ metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'a', image }] } } } });
      expect((await admit(review(JOB, 'UPDATE', wrap('web'), { name: 'x', oldObject: wrap('busybox') }))).body.response).toEqual({ uid: expect.any(String), allowed: true });
      const res = await admit(review(DEPLOYMENT, 'UPDATE', wrap('web'), { name: 'x', oldObject: wrap('busybox') }));
      expect(decodePatch(res.body.response.patch)).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` }]);
    });

    it('a pod update introducing a denied image is refused; keeping one it already ran is not', async () => {
      const running = pod([`quay.io/m/bad@${digest('b')}`]);
      expect((await admit(review(POD, 'UPDATE', { ...running, metadata: { name: 'p', labels: { x: 'y' } } }, { oldObject: running }))).body.response.allowed).toBe(true);
      const res = await admit(review(POD, 'UPDATE', pod(['busybox', `quay.io/m/bad@${digest('b')}`]), { oldObject: pod(['busybox', 'busybox']) }));
      expect(res.body.response.allowed).toBe(false);
      expect(res.body.response.status.message).toBe('Pod "p" is invalid: spec.containers[1].image: Forbidden: this image is prohibited by policy');
    });
  });

  describe('the execution rule (execution-denied) on pods', () => {
    it.each([
      ['by digest under any repository', `docker.io/someone/else@${digest('b')}`],
      ['by a local name', 'bad'],
      ['by tag through the internal registry', `${REGISTRY}/demo/bad:latest`],
      ['through the internal registry of another namespace', `${REGISTRY}/other/bad`],
      ['as an init container', null],
    ])('an Image annotated deny-execution=true is refused %s', async (_how, image) => {
      const object = image === null ? pod(['busybox'], { init: ['bad'] }) : pod(['busybox', image]);
      const res = await admit(review(POD, 'CREATE', object));
      expect(res.body.response.allowed).toBe(false);
      expect(res.body.response.status.details.causes[0].field).toBe(image === null ? 'spec.initContainers[0].image' : 'spec.containers[1].image');
    });

    it('a short name of a stream without lookupPolicy.local does not resolve, so it is not refused', async () => {
      const res = await admit(review(POD, 'CREATE', pod(['bad']), { namespace: 'other' }));
      expect(res.body.response).toEqual({ uid: expect.any(String), allowed: true });
    });

    it('the rule covers pods only: a Deployment naming the denied image is admitted (and resolved)', async () => {
      const object = { metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'bad' }] } } } };
      const res = await admit(review(DEPLOYMENT, 'CREATE', object, { name: 'x' }));
      expect(res.body.response.allowed).toBe(true);
      expect(decodePatch(res.body.response.patch)[0].value).toBe(`${REGISTRY}/demo/bad@${digest('b')}`);
    });

    it('a namespace annotated ignore-rules=execution-denied runs denied images', async () => {
      const ns = await call('POST', `${api.url}/api/v1/namespaces`, { metadata: { name: 'lax', annotations: { 'alpha.image.policy.openshift.io/ignore-rules': 'execution-denied' } } });
      expect(ns.status).toBe(201);
      const res = await admit(review(POD, 'CREATE', pod([`quay.io/m/bad@${digest('b')}`]), { namespace: 'lax' }));
      expect(res.body.response).toEqual({ uid: expect.any(String), allowed: true });
    });
  });

  describe('lookupPolicy through the API, as the webhook sees it', () => {
    const streamUrl = (name: string) => `${api.base}/namespaces/demo/imagestreams/${name}`;
    const patchPod = async (image: string) => {
      const res = await admit(review(POD, 'CREATE', pod([image])));
      return res.body.response.patch === undefined ? [] : decodePatch(res.body.response.patch);
    };

    it('a stream created without one has lookupPolicy {local: false}, and the ImageStreamTag shows the stream policy', async () => {
      expect((await call('GET', streamUrl('plain'))).body.spec.lookupPolicy).toEqual({ local: false });
      expect((await call('GET', `${api.base}/namespaces/demo/imagestreamtags/web:latest`)).body.lookupPolicy).toEqual({ local: true });
      expect((await call('GET', `${api.base}/namespaces/demo/imagestreamtags/plain:latest`)).body.lookupPolicy).toEqual({ local: false });
    });

    it('oc set image-lookup (a merge patch of spec.lookupPolicy) takes effect on the next review, and turning it off too', async () => {
      const toggled = await call('PATCH', streamUrl('plain'), { spec: { lookupPolicy: { local: true } } }, 'application/merge-patch+json');
      expect(toggled.status).toBe(200);
      expect(await patchPod('plain')).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/plain@${digest('d')}` }]);
      expect((await call('PATCH', streamUrl('plain'), { spec: { lookupPolicy: { local: false } } }, 'application/merge-patch+json')).status).toBe(200);
      expect(await patchPod('plain')).toEqual([]);
    });

    it('an ImageStreamTag update cannot change the lookup policy (upstream ignores istag.lookupPolicy)', async () => {
      const istag = (await call('GET', `${api.base}/namespaces/demo/imagestreamtags/plain:latest`)).body;
      // plain:latest has no spec tag yet (it was mapped), so the update names one, as `oc tag` would.
      const tag = { name: 'latest', from: { kind: 'ImageStreamImage', name: `plain@${digest('d')}` } };
      const put = await call('PUT', `${api.base}/namespaces/demo/imagestreamtags/plain:latest`, { ...istag, tag, lookupPolicy: { local: true } });
      expect(put.status).toBe(201);
      expect(put.body.lookupPolicy).toEqual({ local: false });
      expect(await patchPod('plain')).toEqual([]);
    });

    it('a tag moved by a new mapping resolves to the new image on the next review', async () => {
      await mapImage(api.url, 'demo', { stream: 'web', tag: 'moving', image: digest('1'), repository: `${REGISTRY}/demo/web` });
      expect((await patchPod('web:moving'))[0].value).toBe(`${REGISTRY}/demo/web@${digest('1')}`);
      await mapImage(api.url, 'demo', { stream: 'web', tag: 'moving', image: digest('2'), repository: `${REGISTRY}/demo/web` });
      expect((await patchPod('web:moving'))[0].value).toBe(`${REGISTRY}/demo/web@${digest('2')}`);
    });

    it('annotating an Image deny-execution refuses it on the next review; removing the annotation allows it again', async () => {
      const image = `quay.io/acme/web@${digest('c')}`;
      expect((await admit(review(POD, 'CREATE', pod([image])))).body.response.allowed).toBe(true);
      expect((await call('PATCH', `${api.base}/images/${digest('c')}`, { metadata: { annotations: { [DENY]: 'true' } } }, 'application/merge-patch+json')).status).toBe(200);
      expect((await admit(review(POD, 'CREATE', pod([image])))).body.response.allowed).toBe(false);
      expect((await call('PATCH', `${api.base}/images/${digest('c')}`, { metadata: { annotations: { [DENY]: null } } }, 'application/merge-patch+json')).status).toBe(200);
      expect((await admit(review(POD, 'CREATE', pod([image])))).body.response.allowed).toBe(true);
    });
  });

  describe('ImagePolicyWebhook backend (imagepolicy.k8s.io/v1alpha1 ImageReview)', () => {
    const url = () => `${api.url}/admission/image-review`;
    // What kube-apiserver's plugin marshals: containers (then init containers), the pod's *.image-policy.k8s.io/* annotations, the namespace.
    const imageReview = (namespace: string, images: string[], annotations?: Record<string, string>) => ({
      kind: 'ImageReview',
      apiVersion: 'imagepolicy.k8s.io/v1alpha1',
      metadata: { creationTimestamp: null },
      spec: { containers: images.map((image) => ({ image })), ...(annotations ? { annotations } : {}), namespace },
      status: { allowed: false },
    });

    it('allowed images: the review comes back with status.allowed true and its spec (annotations included)', async () => {
      const sent = imageReview('demo', ['busybox:1.36', 'web', `${REGISTRY}/demo/web:latest`], { 'mycluster.image-policy.k8s.io/ticket-1234': 'break-glass' });
      const res = await call('POST', `${url()}?timeout=30s`, sent);
      expect(res.status).toBe(200);
      expect(res.body.apiVersion).toBe('imagepolicy.k8s.io/v1alpha1');
      expect(res.body.kind).toBe('ImageReview');
      expect(res.body.spec).toEqual(sent.spec);
      expect(res.body.status.allowed).toBe(true);
    });

    it('a denied image: status.allowed false with a reason naming it', async () => {
      const res = await call('POST', url(), imageReview('demo', ['busybox', `${REGISTRY}/demo/bad:latest`]));
      expect(res.status).toBe(200);
      expect(res.body.status).toEqual({ allowed: false, reason: `image ${REGISTRY}/demo/bad:latest is prohibited by policy` });
    });

    it('an empty review (no containers) is allowed; a review that is not one is a 400', async () => {
      expect((await call('POST', url(), imageReview('demo', []))).body.status).toEqual({ allowed: true });
      const res = await call('POST', url(), { apiVersion: 'imagepolicy.k8s.io/v1beta1', kind: 'ImageReview', spec: {} });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ kind: 'Status', code: 400 });
    });
  });
});
