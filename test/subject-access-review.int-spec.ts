import { generateKeyPairSync } from 'node:crypto';
import { parseAccessPolicy } from '@app/config';
import { call } from '@app/testing';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, kubectlWorkspace } from './support/kubectl';

const AUTHZ = '/apis/authorization.k8s.io/v1';
const POLICY = parseAccessPolicy(`
users: [{name: alice, password: a}]
grants:
  - {subjects: [alice], namespaces: [myproject], actions: [pull, push]}
  - {subjects: ["system:serviceaccounts:ci"], namespaces: [myproject], actions: [pull]}
  - {subjects: [system:anonymous], namespaces: ["*"], actions: [pull]}
`);

/** OpenShift's registry asks this before a pull (get) or push (update) of myproject/app. */
const layers = (verb: string, namespace = 'myproject', whole = false) => ({
  namespace,
  verb,
  group: 'image.openshift.io',
  ...(whole ? { resource: 'imagestreams/layers' } : { resource: 'imagestreams', subresource: 'layers' }),
  name: 'app',
});
const sar = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });

/**
 * SubjectAccessReview and LocalSubjectAccessReview as kube-apiserver serves them: validated as
 * upstream, pull/push questions answered from the registry token policy, the rest allowed (no
 * access control on the API). Real HTTP and Postgres; kubectl where installed.
 */
describe('SubjectAccessReview', () => {
  let api: TestApi;
  let open: TestApi;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    api = await startTestApi({ registryToken: { keyPem, issuer: 'i', service: 's', ttlSeconds: 300 }, accessPolicy: POLICY });
    open = await startTestApi();
  }, 90000);
  afterAll(async () => {
    await api?.close();
    await open?.close();
  });

  it.each([
    ['alice pulls', { user: 'alice', groups: ['system:authenticated'], resourceAttributes: layers('get') }, true],
    ['alice pushes (resource given whole, as OpenShift`s registry sends it)', { user: 'alice', resourceAttributes: layers('update', 'myproject', true) }, true],
    ['alice pushes elsewhere', { user: 'alice', resourceAttributes: layers('update', 'other') }, false],
    ['a service account of ci pulls through its group', { user: 'system:serviceaccount:ci:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci'], resourceAttributes: layers('get') }, true],
    ['the same service account pushes', { user: 'system:serviceaccount:ci:builder', groups: ['system:serviceaccounts:ci'], resourceAttributes: layers('update') }, false],
    // A project's default role bindings: system:image-pullers (group system:serviceaccounts:<ns>), system:image-builders (SA builder).
    ['a service account pulls from its own namespace', { user: 'system:serviceaccount:team:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'], resourceAttributes: layers('get', 'team') }, true],
    ['that service account pushes to its own namespace', { user: 'system:serviceaccount:team:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:team'], resourceAttributes: layers('update', 'team') }, false],
    ['that service account pulls from another namespace', { user: 'system:serviceaccount:team:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:team'], resourceAttributes: layers('get', 'other') }, false],
    ['the builder service account pushes to its own namespace', { user: 'system:serviceaccount:team:builder', groups: ['system:serviceaccounts:team'], resourceAttributes: layers('update', 'team') }, true],
    ['the builder service account pushes to another namespace', { user: 'system:serviceaccount:team:builder', resourceAttributes: layers('update', 'other') }, false],
    ['anonymous pulls anywhere', { user: 'system:anonymous', groups: ['system:unauthenticated'], resourceAttributes: layers('get', 'other') }, true],
    ['bob (no grants) pulls', { user: 'bob', resourceAttributes: layers('get') }, false],
    // Layers serve get and update only: no other verb is granted, whatever the registry actions (the token agrees).
    ['alice deletes layers', { user: 'alice', resourceAttributes: layers('delete') }, false],
    ['alice does everything (*) to layers', { user: 'alice', resourceAttributes: layers('*') }, false],
    ['bob reads image streams (the API has no access control)', { user: 'bob', resourceAttributes: { namespace: 'myproject', verb: 'list', group: 'image.openshift.io', resource: 'imagestreams' } }, true],
    ['bob asks a non-resource URL', { user: 'bob', nonResourceAttributes: { path: '/healthz', verb: 'get' } }, true],
  ])('%s', async (_who, spec, allowed) => {
    const res = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, sar(spec));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec, status: { allowed } });
  });

  it('without API authentication a SelfSubjectAccessReview about pulls and pushes answers for the anonymous caller, as a review about system:anonymous does', async () => {
    const self = async (verb: string) =>
      (await call('POST', `${api.url}${AUTHZ}/selfsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: layers(verb) } })).body.status;
    const about = async (verb: string) => (await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, sar({ user: 'system:anonymous', groups: ['system:unauthenticated'], resourceAttributes: layers(verb) }))).body.status;
    expect((await self('update')).allowed).toBe(false);
    expect((await self('get')).allowed).toBe(true);
    expect(await self('update')).toEqual(await about('update'));
    expect(await self('get')).toEqual(await about('get'));
  });

  it('without API authentication kubectl --as is honoured (the anonymous caller may impersonate, as under AlwaysAllow): reviews and whoami answer for the named user', async () => {
    const asAccount = (path: string, body: object) =>
      fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'impersonate-user': 'system:serviceaccount:team:default' },
        body: JSON.stringify(body),
      }).then(async (r) => (await r.json()) as { status: Record<string, unknown> });
    const review = (verb: string) =>
      asAccount(`${AUTHZ}/selfsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: layers(verb, 'team') } });
    // The project's system:image-pullers binding: its service accounts pull there, and push nowhere.
    expect((await review('get')).status['allowed']).toBe(true);
    expect((await review('update')).status['allowed']).toBe(false);
    const whoami = await asAccount('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(whoami.status['userInfo']).toEqual({ username: 'system:serviceaccount:team:default', groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'] });
  });

  it('without a token policy every question is allowed', async () => {
    const res = await call('POST', `${open.url}${AUTHZ}/subjectaccessreviews`, sar({ user: 'bob', resourceAttributes: layers('update') }));
    expect(res.status).toBe(201);
    expect(res.body.status.allowed).toBe(true);
  });

  it('a LocalSubjectAccessReview asks about its own namespace', async () => {
    const url = `${api.url}${AUTHZ}/namespaces/myproject/localsubjectaccessreviews`;
    const body = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: 'myproject' }, spec });
    const ok = await call('POST', url, body({ user: 'alice', resourceAttributes: layers('update') }));
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'LocalSubjectAccessReview', status: { allowed: true } });
    const elsewhere = await call('POST', url, body({ user: 'alice', resourceAttributes: layers('update', 'other') }));
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: 'Invalid value: "other": must match metadata.namespace' }]);
    const nonResource = await call('POST', url, body({ user: 'alice', nonResourceAttributes: { path: '/', verb: 'get' } }));
    expect(nonResource.status).toBe(422);
    expect(nonResource.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.nonResourceAttributes']);
  });

  it.each([
    ['no user or group', { resourceAttributes: layers('get') }, ['spec.user']],
    ['no attributes', { user: 'alice' }, ['spec.resourceAttributes']],
    ['both attributes', { user: 'alice', resourceAttributes: layers('get'), nonResourceAttributes: { path: '/', verb: 'get' } }, ['spec.nonResourceAttributes']],
  ])('%s is 422 Invalid', async (_what, spec, fields) => {
    const res = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, sar(spec));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(fields);
  });

  it('a LocalSubjectAccessReview naming another namespace in its metadata is 400, before validation (rest.EnsureObjectNamespaceMatchesRequestNamespace)', async () => {
    const res = await call('POST', `${api.url}${AUTHZ}/namespaces/myproject/localsubjectaccessreviews`, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      metadata: { namespace: 'other' },
      spec: { user: 'alice', resourceAttributes: layers('update', 'other') },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message: 'the namespace of the provided object does not match the namespace sent on the request' });
  });

  // kube's ValidateSubjectAccessReview & co.: metadata (once the system fields are wiped, the namespace set as the request's) must be empty; the value quoted is Go's JSON of the ObjectMeta.
  it.each([
    ['SubjectAccessReview', 'subjectaccessreviews', { name: 'x' }, '{"name":"x","creationTimestamp":null}', 'must be empty'],
    ['SubjectAccessReview', 'subjectaccessreviews', { labels: { b: '2', a: '<1>' } }, '{"creationTimestamp":null,"labels":{"a":"\\u003c1\\u003e","b":"2"}}', 'must be empty'],
    ['SelfSubjectAccessReview', 'selfsubjectaccessreviews', { generateName: 'q-', annotations: { k: 'v' } }, '{"generateName":"q-","creationTimestamp":null,"annotations":{"k":"v"}}', 'must be empty'],
    ['LocalSubjectAccessReview', 'namespaces/myproject/localsubjectaccessreviews', { name: 'x' }, '{"name":"x","namespace":"myproject","creationTimestamp":null}', 'must be empty except for namespace'],
    ['LocalSubjectAccessReview', 'namespaces/myproject/localsubjectaccessreviews', { namespace: 'myproject', finalizers: ['f'] }, '{"namespace":"myproject","creationTimestamp":null,"finalizers":["f"]}', 'must be empty except for namespace'],
  ])('a %s (%s) with metadata %j is 422 at metadata', async (kind, path, metadata, shown, detail) => {
    const spec = kind === 'SelfSubjectAccessReview' ? { resourceAttributes: layers('get') } : { user: 'alice', resourceAttributes: layers('get') };
    const res = await call('POST', `${api.url}${AUTHZ}/${path}`, { apiVersion: 'authorization.k8s.io/v1', kind, metadata, spec });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'metadata', message: `Invalid value: ${shown}: ${detail}` }]);
  });

  it('metadata errors follow the spec`s, as kube lists them', async () => {
    const res = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, { ...sar({ resourceAttributes: layers('get') }), metadata: { name: 'x' } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.user', 'metadata']);
  });

  it('a fieldSelector or labelSelector needs exactly one of rawSelector and requirements (kube`s validateResourceAttributes), after the spec`s other checks and before metadata', async () => {
    const list = { namespace: 'myproject', verb: 'list', group: 'image.openshift.io', resource: 'imagestreams' };
    const both = { rawSelector: 'a=b', requirements: [{ key: 'a', operator: 'In', values: ['b'] }] };
    const res = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, { ...sar({ resourceAttributes: { ...list, fieldSelector: {}, labelSelector: both } }), metadata: { name: 'x' } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.slice(0, 3)).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' },
      { reason: 'FieldValueRequired', field: 'spec.resourceAttributes.fieldSelector.requirements', message: 'Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required' },
      { reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.labelSelector.rawSelector', message: 'Invalid value: "a=b": may not specified at the same time as requirements' },
    ]);
    expect(res.body.details.causes[3].field).toBe('metadata');
    const self = await call('POST', `${api.url}${AUTHZ}/selfsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...list, labelSelector: {} } } });
    expect(self.status).toBe(422);
    expect(self.body.message).toBe('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.labelSelector.requirements: Required value: when spec.resourceAttributes.labelSelector is specified, requirements or rawSelector is required');
    const local = await call('POST', `${api.url}${AUTHZ}/namespaces/myproject/localsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: { ...list, fieldSelector: { rawSelector: 'metadata.name=x' } } } });
    expect(local.status).toBe(201);
  });

  it('system fields are wiped before the check, empty values are no metadata, and the answer`s creationTimestamp is null', async () => {
    const metadata = { uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z', selfLink: '/x', deletionGracePeriodSeconds: 3, labels: {}, finalizers: [], name: '', generation: 0 };
    const res = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, { ...sar({ user: 'alice', resourceAttributes: layers('get') }), metadata });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({ creationTimestamp: null });
    // A cluster-scoped review's namespace is cleared, not refused.
    const namespaced = await call('POST', `${api.url}${AUTHZ}/subjectaccessreviews`, { ...sar({ user: 'alice', resourceAttributes: layers('get') }), metadata: { namespace: 'myproject' } });
    expect(namespaced.status).toBe(201);
    expect(namespaced.body.metadata).toEqual({ creationTimestamp: null });
    const self = await call('POST', `${api.url}${AUTHZ}/selfsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: layers('get') } });
    expect(self.status).toBe(201);
    expect(self.body.metadata).toEqual({ creationTimestamp: null });
    const local = await call('POST', `${api.url}${AUTHZ}/namespaces/myproject/localsubjectaccessreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'alice', resourceAttributes: layers('get') } });
    expect(local.status).toBe(201);
    expect(local.body.metadata).toEqual({ namespace: 'myproject', creationTimestamp: null });
    const rules = await call('POST', `${api.url}${AUTHZ}/selfsubjectrulesreviews`, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'myproject' } });
    expect(rules.status).toBe(201);
    expect(rules.body.metadata).toEqual({ creationTimestamp: null });
  });

  it.each([
    ['subjectaccessreviews', 'SubjectAccessReview'],
    ['selfsubjectaccessreviews', 'SelfSubjectAccessReview'],
    ['namespaces/myproject/localsubjectaccessreviews', 'LocalSubjectAccessReview'],
    ['selfsubjectrulesreviews', 'SelfSubjectRulesReview'],
  ])('%s: a body of another API version or kind is 400, as the decoder answers it', async (path, kind) => {
    const spec = { user: 'alice', namespace: 'myproject', resourceAttributes: layers('get') };
    const v1beta1 = await call('POST', `${api.url}${AUTHZ}/${path}`, { apiVersion: 'authorization.k8s.io/v1beta1', kind, spec });
    expect(v1beta1.status).toBe(400);
    expect(v1beta1.body).toMatchObject({
      reason: 'BadRequest',
      message: 'the API version in the data (authorization.k8s.io/v1beta1) does not match the expected API version (authorization.k8s.io/v1)',
    });
    const other = await call('POST', `${api.url}${AUTHZ}/${path}`, { apiVersion: 'authorization.k8s.io/v1', kind: 'ImageStream', spec });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({
      reason: 'BadRequest',
      message: `ImageStream in version "v1" cannot be handled as a ${kind}: no kind "ImageStream" is registered for version "authorization.k8s.io/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
    });
  });

  (kubectlFound ? it : it.skip)('kubectl creates reviews and reads the answer', async () => {
    const ws = kubectlWorkspace(api.url);
    try {
      const file = (user: string, verb: string) => ws.write(`${user}-${verb}.json`, JSON.stringify(sar({ user, resourceAttributes: layers(verb) })));
      expect(await ws.ok(['create', '-f', file('alice', 'update'), '-o', 'jsonpath={.status.allowed}'])).toBe('true');
      expect(await ws.ok(['create', '-f', file('bob', 'get'), '-o', 'jsonpath={.status.allowed}'])).toBe('false');
      expect(await ws.ok(['api-resources', '--api-group=authorization.k8s.io', '-o', 'name'])).toMatch(/^localsubjectaccessreviews\.authorization\.k8s\.io$/m);
    } finally {
      ws.remove();
    }
  }, 60000);
});
