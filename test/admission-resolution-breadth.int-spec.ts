import { generateKeyPairSync } from 'node:crypto';
import { parseAccessPolicy } from '@app/config';
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
  type ReviewedResource,
} from './support/admission-review';
import { startTestApi, type TestApi } from './support/api-server';
import { digest, mapImage } from './support/trigger-resources';

const REGISTRY = INTERNAL_REGISTRY;
const DENY = DENY_EXECUTION;
const CRONJOB: ReviewedResource = { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob' };

type Containers = { initContainers?: { name: string; image: string }[]; containers: { name: string; image: string }[] };
const containers = (...images: string[]): Containers => ({ containers: images.map((image, i) => ({ name: `c${i}`, image })) });
const pod = (spec: Containers, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
  spec,
});
/** An object whose pod template sits at spec.template (Deployment, StatefulSet, DaemonSet, ReplicaSet, RC, Job, DC). */
const templated = (kind: string, spec: Containers, annotations: { object?: Record<string, string>; template?: Record<string, string> } = {}) => ({
  kind,
  metadata: { name: 'w', ...(annotations.object ? { annotations: annotations.object } : {}) },
  spec: { template: { metadata: { labels: { app: 'w' }, ...(annotations.template ? { annotations: annotations.template } : {}) }, spec } },
});
const cronJob = (spec: Containers) => ({ kind: 'CronJob', metadata: { name: 'w' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } } });

/**
 * The image policy admission webhook across the inputs an admission user sends: every workload kind of
 * the default resolution rules, init containers, the forms of an image reference, referencePolicy
 * Source and Local, the resolve-names annotation, and what upstream's plugin
 * (openshift/apiserver-library-go pkg/admission/imagepolicy) leaves alone.
 */
describe('image policy admission: resolution breadth', () => {
  let api: TestApi;
  const webhook = () => `${api.url}/admission/image-policy`;
  const admit = async (sent: ReturnType<typeof review>) => {
    const res = await call('POST', webhook(), sent);
    expect(res.status).toBe(200);
    expect(res.body.response.uid).toBe(sent.request.uid);
    return res.body.response;
  };
  const patchOf = async (sent: ReturnType<typeof review>) => {
    const response = await admit(sent);
    expect(response.allowed).toBe(true);
    return response.patch === undefined ? [] : decodePatch(response.patch);
  };

  beforeAll(async () => {
    api = await startTestApi({ internalRegistryHostname: REGISTRY });
    const streams = `${api.base}/namespaces/demo/imagestreams`;
    const local = { lookupPolicy: { local: true } };
    for (const [name, spec] of [
      ['web', local],
      ['ext', local],
      ['gone', local],
      ['plain', {}],
      ['bad', local],
    ] as const) {
      expect((await call('POST', streams, { metadata: { name }, spec })).status).toBe(201);
    }
    await mapImage(api.url, 'demo', { stream: 'web', tag: 'latest', image: digest('a'), repository: `${REGISTRY}/demo/web` });
    // An image pulled from elsewhere: `1` keeps its source pull spec, `local` (referencePolicy Local) the internal registry's.
    await mapImage(api.url, 'demo', { stream: 'ext', tag: '1', image: digest('c'), repository: 'quay.io/acme/ext' });
    const tagged = await call('POST', `${api.base}/namespaces/demo/imagestreamtags`, {
      metadata: { name: 'ext:local' },
      tag: { from: { kind: 'ImageStreamTag', name: '1' }, referencePolicy: { type: 'Local' } },
    });
    expect(tagged.status).toBe(201);
    await mapImage(api.url, 'demo', { stream: 'plain', tag: 'latest', image: digest('d'), repository: `${REGISTRY}/demo/plain` });
    await mapImage(api.url, 'demo', { stream: 'gone', tag: 'latest', image: digest('e'), repository: `${REGISTRY}/demo/gone` });
    expect((await call('DELETE', `${api.base}/images/${digest('e')}`)).status).toBe(200);
    await mapImage(api.url, 'demo', { stream: 'bad', tag: 'latest', image: digest('b'), repository: `${REGISTRY}/demo/bad`, annotations: { [DENY]: 'true' } });
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('referencePolicy Source resolves to the source pull spec, Local to the internal registry, both by digest', async () => {
    expect(await patchOf(review(POD, 'CREATE', pod(containers('ext:1', 'ext:local'))))).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: `quay.io/acme/ext@${digest('c')}` },
      { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/ext@${digest('c')}` },
    ]);
  });

  it.each([
    [{ group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' }],
    [{ group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet' }],
    [{ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet' }],
    [{ group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController' }],
    [{ group: 'extensions', version: 'v1beta1', resource: 'deployments', kind: 'Deployment' }],
    [JOB],
  ])('%o: init containers and containers of the template are resolved on create', async (kind) => {
    const spec = { initContainers: [{ name: 'init', image: 'web:latest' }], containers: [{ name: 'app', image: 'ext:local' }] };
    expect(await patchOf(review(kind, 'CREATE', templated(kind.kind, spec), { name: 'w' }))).toEqual([
      { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${REGISTRY}/demo/ext@${digest('c')}` },
    ]);
  });

  it('PodTemplates, which no default resolution rule names, and ephemeral containers (a subresource) are left alone', async () => {
    const podTemplate = { group: '', version: 'v1', resource: 'podtemplates', kind: 'PodTemplate' };
    const template = { kind: 'PodTemplate', metadata: { name: 'w' }, template: { spec: containers('web') } };
    expect(await admit(review(podTemplate, 'CREATE', template, { name: 'w' }))).toEqual({ uid: expect.any(String), allowed: true });
    const old = pod(containers(`${REGISTRY}/demo/web@${digest('a')}`));
    const debugged = { ...old, spec: { ...old.spec, ephemeralContainers: [{ name: 'debug', image: 'web' }] } };
    expect(await admit(review(POD, 'UPDATE', debugged, { oldObject: old, subResource: 'ephemeralcontainers' }))).toEqual({ uid: expect.any(String), allowed: true });
    expect(await admit(review(POD, 'UPDATE', debugged, { oldObject: old }))).toEqual({ uid: expect.any(String), allowed: true });
  });

  it("a Job's template is not rewritten on update (immutable upstream); a CronJob's changed image is", async () => {
    const before = containers('busybox:1');
    const after = containers('web');
    expect(await patchOf(review(JOB, 'UPDATE', templated('Job', after), { name: 'w', oldObject: templated('Job', before) }))).toEqual([]);
    expect(await patchOf(review(CRONJOB, 'UPDATE', cronJob(after), { name: 'w', oldObject: cronJob(before) }))).toEqual([
      { op: 'replace', path: '/spec/jobTemplate/spec/template/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
    ]);
  });

  it('an update leaves a reference its container (looked up by name in either list) already had, as upstream', async () => {
    const before = { initContainers: [{ name: 'x', image: 'web' }], containers: [{ name: 'app', image: 'busybox:1' }] };
    const after = { containers: [{ name: 'x', image: 'web' }, { name: 'app', image: 'web:latest' }] };
    expect(await patchOf(review(DEPLOYMENT, 'UPDATE', templated('Deployment', after), { name: 'w', oldObject: templated('Deployment', before) }))).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
    ]);
  });

  it('only single-segment names are local: digests, namespaced, registry-qualified and internal-registry names are left as written', async () => {
    const images = [`web@${digest('a')}`, 'demo/web:latest', 'docker.io/library/web:latest', `${REGISTRY}/demo/web:latest`, 'plain:latest', 'nosuch:latest'];
    expect(await patchOf(review(POD, 'CREATE', pod(containers(...images))))).toEqual([]);
  });

  it('resolve-names on the object or on the template resolves any name by its last segment in the namespace', async () => {
    const spec = containers('quay.io/acme/web:latest', 'plain', `docker.io/library/web@${digest('f')}`);
    const expected = [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: `${REGISTRY}/demo/plain@${digest('d')}` },
    ];
    for (const annotations of [{ object: { [RESOLVE_NAMES]: '*' } }, { template: { [RESOLVE_NAMES]: '*' } }]) {
      expect(await patchOf(review(DEPLOYMENT, 'CREATE', templated('Deployment', spec, annotations), { name: 'w' }))).toEqual(expected);
    }
  });

  it('a tag with no image on a stream with a repository: lookupPolicy.local or resolve-names both point at <repository>:<tag>', async () => {
    // Upstream resolveImageStreamTag: the tag is missing, the stream exists, (forceResolveLocalNames || lookupPolicy.local)
    // and status.dockerImageRepository is set: a local rewrite to the internal registry.
    expect(await patchOf(review(POD, 'CREATE', pod(containers('web:next'))))).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/web:next` },
    ]);
    expect(await patchOf(review(POD, 'CREATE', pod(containers('plain:next'))))).toEqual([]);
    expect(await patchOf(review(POD, 'CREATE', pod(containers('plain:next', 'quay.io/acme/plain:v2'), { [RESOLVE_NAMES]: '*' })))).toEqual([
      { op: 'replace', path: '/spec/containers/0/image', value: `${REGISTRY}/demo/plain:next` },
      { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/plain:v2` },
    ]);
  });

  it('a tag whose current Image is gone does not resolve (upstream: the ImageStreamTag read fails on the Image, not on the tag)', async () => {
    expect(await patchOf(review(POD, 'CREATE', pod(containers('gone', 'web'))))).toEqual([
      { op: 'replace', path: '/spec/containers/1/image', value: `${REGISTRY}/demo/web@${digest('a')}` },
    ]);
  });

  it('a namespace ignore-rules list is split on commas only, as upstream: " execution-denied" names no rule', async () => {
    const ns = await call('POST', `${api.url}/api/v1/namespaces`, {
      metadata: { name: 'spaced', annotations: { 'alpha.image.policy.openshift.io/ignore-rules': 'other, execution-denied' } },
    });
    expect(ns.status).toBe(201);
    const response = await admit(review(POD, 'CREATE', pod(containers(`quay.io/mirror/bad@${digest('b')}`)), { namespace: 'spaced' }));
    expect(response.allowed).toBe(false);
  });

  it('an update rechecks unchanged images only when resolve-names turns on or off, not when its value changes otherwise', async () => {
    const denied = containers(`quay.io/mirror/bad@${digest('b')}`);
    const old = pod(denied, { [RESOLVE_NAMES]: 'web' });
    const response = await admit(review(POD, 'UPDATE', pod(denied, { [RESOLVE_NAMES]: 'bad' }), { oldObject: old }));
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
    const turnedOn = await admit(review(POD, 'UPDATE', pod(denied, { [RESOLVE_NAMES]: '*' }), { oldObject: old }));
    expect(turnedOn.allowed).toBe(false);
  });

  it('a deny-execution annotation of a spec tag denies pods that name the image through that tag (the ImageStreamTag carries it on its Image)', async () => {
    // `oc tag web:latest web:frozen` then `oc annotate istag web:frozen images.openshift.io/deny-execution=true`
    const istags = `${api.base}/namespaces/demo/imagestreamtags`;
    expect((await call('POST', istags, { metadata: { name: 'web:frozen' }, tag: { from: { kind: 'ImageStreamImage', name: `web@${digest('a')}` } } })).status).toBe(201);
    const annotated = await call('PATCH', `${istags}/web:frozen`, { metadata: { annotations: { [DENY]: 'true' } } }, 'application/merge-patch+json');
    expect(annotated.status).toBe(200);
    expect((await call('GET', `${istags}/web:frozen`)).body.image.metadata.annotations).toEqual({ [DENY]: 'true' });
    for (const image of ['web:frozen', `${REGISTRY}/demo/web:frozen`]) {
      const response = await admit(review(POD, 'CREATE', pod(containers(image))));
      expect(response.allowed).toBe(false);
      expect(response.status.message).toBe('Pod "p" is invalid: spec.containers[0].image: Forbidden: this image is prohibited by policy');
    }
    // The same Image by digest or through another tag is not denied; a tag's "false" overrides the Image's "true".
    expect((await admit(review(POD, 'CREATE', pod(containers(`${REGISTRY}/demo/web@${digest('a')}`, 'web:latest'))))).allowed).toBe(true);
    expect((await call('POST', istags, { metadata: { name: 'bad:allowed', annotations: { [DENY]: 'false' } }, tag: { from: { kind: 'ImageStreamTag', name: 'latest' } } })).status).toBe(201);
    expect((await call('PATCH', `${istags}/bad:allowed`, { metadata: { annotations: { [DENY]: 'false' } } }, 'application/merge-patch+json')).status).toBe(200);
    expect((await admit(review(POD, 'CREATE', pod(containers('bad:allowed', `${REGISTRY}/demo/bad:allowed`))))).allowed).toBe(true);
    expect((await admit(review(POD, 'CREATE', pod(containers(`${REGISTRY}/demo/bad:latest`))))).allowed).toBe(false);
  });

  it('each reference is decided once per review: a repeated denied reference is reported at its first container only', async () => {
    const byDigest = `quay.io/mirror/bad@${digest('b')}`;
    const message = (...fields: string[]) =>
      `Pod "p" is invalid: ${fields.length > 1 ? '[' : ''}${fields.map((f) => `${f}: Forbidden: this image is prohibited by policy`).join(', ')}${fields.length > 1 ? ']' : ''}`;
    const repeated = await admit(review(POD, 'CREATE', pod({ initContainers: [{ name: 'init', image: byDigest }], containers: [{ name: 'c0', image: byDigest }] })));
    expect(repeated.status.message).toBe(message('spec.initContainers[0].image'));
    // A local name is decided under the reference it is rewritten to: named twice it is reported twice,
    // and the rewritten pull spec written out after it counts as decided.
    const local = await admit(review(POD, 'CREATE', pod(containers('bad', 'bad', `${REGISTRY}/demo/bad@${digest('b')}`, byDigest))));
    expect(local.status.message).toBe(message('spec.containers[0].image', 'spec.containers[1].image', 'spec.containers[3].image'));
  });

  it('an update is judged on the images as sent: a local name replacing its own resolved pull spec is checked', async () => {
    const old = pod(containers(`${REGISTRY}/demo/bad@${digest('b')}`));
    const response = await admit(review(POD, 'UPDATE', pod(containers('bad')), { oldObject: old }));
    expect(response.allowed).toBe(false);
  });

  it('a pod created with generateName (no name yet) is refused as `Pod "" is invalid`', async () => {
    const response = await admit(review(POD, 'CREATE', { ...pod(containers('bad')), metadata: { generateName: 'p-' } }, { name: '' }));
    expect(response.allowed).toBe(false);
    expect(response.status.message).toBe('Pod "" is invalid: spec.containers[0].image: Forbidden: this image is prohibited by policy');
    expect(response.status).toMatchObject({ code: 422, reason: 'Invalid', details: { kind: 'Pod', causes: [{ reason: 'FieldValueForbidden', field: 'spec.containers[0].image' }] } });
  });
});

/**
 * May a workload pull this image: the SubjectAccessReview the registry (or an admission controller)
 * asks, get on imagestreams/layers, answered from OpenShift's default role bindings when no grant of
 * the access policy covers it.
 */
describe('pull reviews for workloads: default role bindings', () => {
  let api: TestApi;
  const layers = (verb: string, namespace: string) => ({ namespace, verb, group: 'image.openshift.io', resource: 'imagestreams', subresource: 'layers', name: 'nodejs' });
  const ask = async (user: string, groups: string[], verb: string, namespace: string) => {
    const res = await call('POST', `${api.url}/apis/authorization.k8s.io/v1/subjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user, groups, resourceAttributes: layers(verb, namespace) },
    });
    expect(res.status).toBe(201);
    return res.body.status;
  };

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const accessPolicy = parseAccessPolicy('users: [{name: alice, password: a}]\ngrants: [{subjects: [alice], namespaces: [team], actions: [pull, push]}]\n');
    api = await startTestApi({ registryToken: { keyPem, issuer: 'i', service: 's', ttlSeconds: 300 }, accessPolicy });
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('every authenticated user pulls from the shared openshift namespace (shared-resource-viewers), and only pulls', async () => {
    const sa = ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'];
    expect(await ask('system:serviceaccount:team:default', sa, 'get', 'openshift')).toEqual({
      allowed: true,
      reason: 'the default role binding shared-resource-viewers of namespace openshift grants pull to every authenticated user',
    });
    expect((await ask('bob', ['system:authenticated'], 'get', 'openshift')).allowed).toBe(true);
    expect((await ask('system:serviceaccount:team:default', sa, 'update', 'openshift')).allowed).toBe(false);
    // As RBAC: the group must be named in the review; and other namespaces are not shared.
    expect((await ask('bob', [], 'get', 'openshift')).allowed).toBe(false);
    expect((await ask('bob', ['system:authenticated'], 'get', 'other')).allowed).toBe(false);
    expect((await ask('system:anonymous', ['system:unauthenticated'], 'get', 'openshift')).allowed).toBe(false);
  });
});
