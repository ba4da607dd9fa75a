import { parseAccessPolicy } from '@app/config';
import { authorize, forbiddenError, rulesFor, type ServedKind } from './api-authorizer';
import { requestAttributesOf } from './request-attributes';

const POLICY = parseAccessPolicy(`
users: [{name: alice, password: a}, {name: bob, password: b}, {name: root, password: r}, {name: puller, password: p}, {name: dana, password: d}]
grants:
  - {subjects: [alice], namespaces: [myproject], roles: [edit], actions: [pull, push]}
  - {subjects: [bob], namespaces: [myproject], roles: [view]}
  - {subjects: [root], namespaces: ['*'], roles: [admin]}
  - {subjects: [puller], namespaces: [myproject], actions: [pull]}
  - {subjects: [system:authenticated], namespaces: [shared], roles: [view]}
  - {subjects: [dana], namespaces: [myproject], roles: [admin]}
`);

const IS = '/apis/image.openshift.io/v1';
const TRG = '/apis/triggers.imagestreamd.io/v1';
const may = (user: string, method: string, url: string) => authorize(POLICY, [user, 'system:authenticated'], requestAttributesOf(method, url)).allowed;

describe('authorize (API_AUTHORIZATION=Policy)', () => {
  it.each([
    // view: reads in its namespaces only
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreams/foo`, true],
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreams?watch=1`, true],
    ['bob', 'GET', `${IS}/watch/namespaces/myproject/imagestreams`, true],
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreamtags/foo:latest`, true],
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/status`, true],
    ['bob', 'PUT', `${IS}/namespaces/myproject/imagestreams/foo/status`, false],
    ['bob', 'DELETE', `${IS}/namespaces/myproject/imagestreams/foo`, false],
    ['bob', 'POST', `${IS}/namespaces/myproject/imagestreamimports`, false],
    ['bob', 'GET', `${IS}/namespaces/other/imagestreams`, false],
    ['bob', 'GET', `${IS}/imagestreams`, false],
    ['bob', 'GET', `${IS}/images/sha256:abc`, false],
    // view leaves out secret-like resources
    ['bob', 'GET', `${TRG}/namespaces/myproject/triggersecrets`, false],
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/secrets`, false],
    ['bob', 'GET', '/api/v1/namespaces/myproject/secrets', false],
    ['bob', 'GET', `${TRG}/namespaces/myproject/triggers`, true],
    // layers: the registry actions, and edit and admin (OpenShift's aggregate roles hold layers get and update; view none)
    ['bob', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/layers`, false],
    ['puller', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/layers`, true],
    ['puller', 'GET', `${IS}/namespaces/myproject/imagestreams/foo`, false],
    ['dana', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/layers`, true],
    ['dana', 'PUT', `${IS}/namespaces/myproject/imagestreams/foo/layers`, true],
    ['dana', 'GET', `${IS}/namespaces/other/imagestreams/foo/layers`, false],
    ['root', 'GET', `${IS}/namespaces/other/imagestreams/foo/layers`, true],
    // and only get and update: no role (nor '*') gives layers another verb, as OpenShift's roles give none
    ['alice', 'DELETE', `${IS}/namespaces/myproject/imagestreams/foo/layers`, false],
    ['alice', 'PATCH', `${IS}/namespaces/myproject/imagestreams/foo/layers`, false],
    ['alice', 'POST', `${IS}/namespaces/myproject/imagestreams/foo/layers`, false],
    ['root', 'DELETE', `${IS}/namespaces/myproject/imagestreams/foo/layers`, false],
    ['alice', 'PUT', `${IS}/namespaces/myproject/imagestreams/foo/layers`, true],
    // edit: writes in its namespace, secrets included; not the namespace's bounds
    ['alice', 'POST', `${IS}/namespaces/myproject/imagestreams`, true],
    ['alice', 'DELETE', `${IS}/namespaces/myproject/imagestreams`, true],
    ['alice', 'PATCH', `${TRG}/namespaces/myproject/triggersecrets/k`, true],
    ['alice', 'GET', '/api/v1/namespaces/myproject', true],
    ['alice', 'DELETE', '/api/v1/namespaces/myproject', false],
    ['alice', 'PUT', '/api/v1/namespaces/myproject/resourcequotas/q', false],
    ['alice', 'GET', '/api/v1/namespaces/myproject/resourcequotas/q', true],
    ['alice', 'POST', `${IS}/namespaces/other/imagestreams`, false],
    ['alice', 'POST', '/api/v1/namespaces', false],
    // stream status: read by a namespace's roles, written only from '*' (OpenShift's admin and edit read it)
    ['alice', 'GET', `${IS}/namespaces/myproject/imagestreams/foo/status`, true],
    ['alice', 'PUT', `${IS}/namespaces/myproject/imagestreams/foo/status`, false],
    ['alice', 'PATCH', `${IS}/namespaces/myproject/imagestreams/foo/status`, false],
    ['dana', 'PATCH', `${IS}/namespaces/myproject/imagestreams/foo/status`, false],
    ['root', 'PUT', `${IS}/namespaces/myproject/imagestreams/foo/status`, true],
    // namespace access reviews: admin, not edit
    ['alice', 'POST', '/apis/authorization.k8s.io/v1/namespaces/myproject/localsubjectaccessreviews', false],
    ['dana', 'POST', '/apis/authorization.k8s.io/v1/namespaces/myproject/localsubjectaccessreviews', true],
    // '*': everything, cluster scope and across namespaces included
    ['root', 'GET', `${IS}/imagestreams`, true],
    ['root', 'DELETE', `${IS}/images/sha256:abc`, true],
    ['root', 'DELETE', '/api/v1/namespaces/myproject', true],
    ['root', 'GET', '/metrics', true],
    ['root', 'POST', '/admission/image-policy', true],
    // a grant to system:authenticated applies to everyone
    ['alice', 'GET', `${IS}/namespaces/shared/imagestreams`, true],
    // discovery, OpenAPI and the self reviews: every authenticated user
    ['puller', 'GET', '/apis', true],
    ['puller', 'GET', '/api/v1', true],
    ['puller', 'GET', '/apis/image.openshift.io/v1', true],
    ['puller', 'GET', '/openapi/v3/apis/image.openshift.io/v1', true],
    ['puller', 'HEAD', '/apis', false],
    ['puller', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', true],
    ['puller', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', true],
    ['puller', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', false],
    ['puller', 'GET', '/api/../metrics', false],
    ['puller', 'GET', '/api%2F..%2Fmetrics', false],
    ['puller', 'GET', '/openapi/./v2', false],
    ['bob', 'GET', `${IS}/namespaces/myproject%2F..%2Fother/imagestreams`, false],
    ['bob', 'GET', '/metrics', false],
    ['bob', 'GET', '/', false],
    ['bob', 'POST', '/admission/image-policy', false],
  ])('%s %s %s: %s', (user, method, url, allowed) => {
    expect(may(user, method, url)).toBe(allowed);
  });

  it('without system:authenticated, discovery is not given', () => {
    expect(authorize(POLICY, ['system:anonymous', 'system:unauthenticated'], requestAttributesOf('GET', '/apis')).allowed).toBe(false);
  });

  it("OpenShift's default role bindings: every authenticated user reads the openshift namespace's streams; a project's builder service account creates streams", () => {
    expect(may('bob', 'GET', `${IS}/namespaces/openshift/imagestreams`)).toBe(true);
    expect(may('bob', 'GET', `${IS}/namespaces/openshift/imagestreamtags/ruby:3`)).toBe(true);
    expect(may('bob', 'GET', `${IS}/namespaces/openshift/imagestreams?watch=1`)).toBe(true);
    expect(may('bob', 'DELETE', `${IS}/namespaces/openshift/imagestreams/ruby`)).toBe(false);
    expect(may('bob', 'GET', `${IS}/namespaces/openshift/imagestreams/ruby/secrets`)).toBe(false);
    expect(authorize(POLICY, ['bob'], requestAttributesOf('GET', `${IS}/namespaces/openshift/imagestreams`)).allowed).toBe(false);
    const builder = ['system:serviceaccount:myproject:builder', 'system:serviceaccounts', 'system:serviceaccounts:myproject', 'system:authenticated'];
    expect(authorize(POLICY, builder, requestAttributesOf('POST', `${IS}/namespaces/myproject/imagestreams`))).toEqual({
      allowed: true,
      reason: 'the default role binding system:image-builders of namespace myproject lets its builder service account create imagestreams',
    });
    expect(authorize(POLICY, builder, requestAttributesOf('POST', `${IS}/namespaces/other/imagestreams`)).allowed).toBe(false);
    expect(authorize(POLICY, builder, requestAttributesOf('DELETE', `${IS}/namespaces/myproject/imagestreams/x`)).allowed).toBe(false);
  });

  it('a question about * (group, resource, verb) is refused: only a rule of * matches it, and no role here has one', () => {
    const attributes = requestAttributesOf('GET', `${IS}/namespaces/myproject/imagestreams`);
    expect(authorize(POLICY, ['root'], attributes).allowed).toBe(true);
    expect(authorize(POLICY, ['root'], { ...attributes, group: '*' })).toEqual({ allowed: false, reason: 'no role here holds every group, resource or verb (*)' });
    expect(authorize(POLICY, ['root'], { ...attributes, resource: '*' }).allowed).toBe(false);
    expect(authorize(POLICY, ['root'], { ...attributes, verb: '*' }).allowed).toBe(false);
  });

  it('names the grant that allows, and why it refuses', () => {
    expect(authorize(POLICY, ['bob'], requestAttributesOf('GET', `${IS}/namespaces/myproject/imagestreams`))).toEqual({ allowed: true, reason: 'access policy grants[1] gives view in namespace myproject' });
    expect(authorize(POLICY, ['bob'], requestAttributesOf('DELETE', `${IS}/namespaces/myproject/imagestreams/x`))).toEqual({
      allowed: false,
      reason: 'access policy gives no role that allows delete imagestreams in namespace myproject',
    });
    // A review naming a verb alone: no resource in the words, and no double space.
    const verbOnly = { ...requestAttributesOf('GET', `${IS}/images`), resource: '' };
    expect(authorize(POLICY, ['nobody'], verbOnly)).toEqual({ allowed: false, reason: 'access policy gives no role that allows list at the cluster scope' });
    expect(authorize(POLICY, ['puller'], requestAttributesOf('PUT', `${IS}/namespaces/myproject/imagestreams/x/layers`))).toEqual({
      allowed: false,
      reason: 'access policy does not grant push in namespace myproject',
    });
  });
});

describe('forbiddenError (kube-apiserver responsewriters.Forbidden)', () => {
  const status = (method: string, url: string, user = 'bob') => forbiddenError(user, requestAttributesOf(method, url)).toStatus();

  it('an object in a namespace', () => {
    expect(JSON.stringify(status('GET', `${IS}/namespaces/myproject/imagestreams/foo`))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"imagestreams.image.openshift.io \\"foo\\" is forbidden: User \\"bob\\" cannot get resource \\"imagestreams\\" in API group \\"image.openshift.io\\" in the namespace \\"myproject\\"","reason":"Forbidden","details":{"name":"foo","group":"image.openshift.io","kind":"imagestreams"},"code":403}',
    );
  });

  it.each([
    ['PUT', `${IS}/namespaces/p/imagestreams/foo/status`, 'imagestreams.image.openshift.io "foo" is forbidden: User "bob" cannot update resource "imagestreams/status" in API group "image.openshift.io" in the namespace "p"', { name: 'foo', group: 'image.openshift.io', kind: 'imagestreams' }],
    ['GET', `${IS}/imagestreams`, 'imagestreams.image.openshift.io is forbidden: User "bob" cannot list resource "imagestreams" in API group "image.openshift.io" at the cluster scope', { group: 'image.openshift.io', kind: 'imagestreams' }],
    ['GET', `${IS}/namespaces/p/imagestreams?watch=true`, 'imagestreams.image.openshift.io is forbidden: User "bob" cannot watch resource "imagestreams" in API group "image.openshift.io" in the namespace "p"', { group: 'image.openshift.io', kind: 'imagestreams' }],
    ['GET', `${IS}/images/sha256:1`, 'images.image.openshift.io "sha256:1" is forbidden: User "bob" cannot get resource "images" in API group "image.openshift.io" at the cluster scope', { name: 'sha256:1', group: 'image.openshift.io', kind: 'images' }],
    ['DELETE', '/api/v1/namespaces/p', 'namespaces "p" is forbidden: User "bob" cannot delete resource "namespaces" in API group "" in the namespace "p"', { name: 'p', kind: 'namespaces' }],
    ['GET', '/api/v1/namespaces', 'namespaces is forbidden: User "bob" cannot list resource "namespaces" in API group "" at the cluster scope', { kind: 'namespaces' }],
    ['GET', '/metrics', 'forbidden: User "bob" cannot get path "/metrics"', {}],
    ['POST', '/admission/image-policy', 'forbidden: User "bob" cannot post path "/admission/image-policy"', {}],
  ])('%s %s', (method, url, message, details) => {
    expect(status(method, url)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 });
  });
});

describe('rulesFor (SelfSubjectRulesReview under Policy)', () => {
  const KINDS: ServedKind[] = [
    { group: 'image.openshift.io', resource: 'imagestreams', namespaced: true },
    { group: 'image.openshift.io', resource: 'imagestreams/status', namespaced: true },
    { group: 'image.openshift.io', resource: 'imagestreams/layers', namespaced: true },
    { group: 'image.openshift.io', resource: 'imagestreams/secrets', namespaced: true },
    { group: 'image.openshift.io', resource: 'images', namespaced: false },
    { group: 'triggers.imagestreamd.io', resource: 'triggersecrets', namespaced: true },
    { group: '', resource: 'resourcequotas', namespaced: true },
    { group: '', resource: 'namespaces', namespaced: false },
  ];
  const subjects = (user: string) => [user, 'system:authenticated'];

  it('lists view without secret-like kinds, and no cluster-scoped kinds for a namespace grant', () => {
    const { resourceRules, nonResourceRules } = rulesFor(POLICY, subjects('bob'), 'myproject', KINDS);
    expect(resourceRules).toEqual([
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['image.openshift.io'], resources: ['imagestreams', 'imagestreams/status'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['resourcequotas'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['namespaces'], resourceNames: ['myproject'] },
    ]);
    expect(nonResourceRules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'] }]);
  });

  it('lists only the verbs a kind serves, stream status read-only for a namespace grant, and access reviews for admin only', () => {
    const served: ServedKind[] = [
      ...KINDS,
      { group: 'image.openshift.io', resource: 'imagestreamimports', namespaced: true, verbs: ['create'] },
      { group: 'authorization.k8s.io', resource: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'] },
    ];
    const rulesOf = (user: string) => rulesFor(POLICY, subjects(user), 'myproject', served).resourceRules;
    const resourcesWith = (user: string, verb: string) => rulesOf(user).filter((r) => r.verbs.includes(verb)).flatMap((r) => r.resources);
    expect(resourcesWith('bob', 'get')).not.toContain('imagestreamimports');
    expect(resourcesWith('bob', 'get')).not.toContain('localsubjectaccessreviews');
    expect(resourcesWith('alice', 'create')).toContain('imagestreamimports');
    expect(resourcesWith('alice', 'get')).not.toContain('imagestreamimports');
    expect(resourcesWith('alice', 'create')).not.toContain('localsubjectaccessreviews');
    expect(resourcesWith('dana', 'create')).toContain('localsubjectaccessreviews');
    expect(resourcesWith('alice', 'get')).toContain('imagestreams/status');
    expect(resourcesWith('alice', 'update')).not.toContain('imagestreams/status');
    expect(rulesFor(POLICY, subjects('root'), 'myproject', served).resourceRules.filter((r) => r.verbs.includes('update')).flatMap((r) => r.resources)).toContain('imagestreams/status');
  });

  it.each(['alice', 'bob', 'root', 'puller', 'dana'])('every rule for %s is one authorize allows', (user) => {
    for (const namespace of ['myproject', 'shared', 'other', 'openshift']) {
      for (const rule of rulesFor(POLICY, subjects(user), namespace, KINDS).resourceRules) {
        for (const verb of rule.verbs) {
          for (const group of rule.apiGroups) {
            for (const full of rule.resources) {
              const [resource, subresource = ''] = full.split('/');
              const kind = KINDS.find((k) => k.group === group && k.resource === full);
              const ns = kind && !kind.namespaced && resource !== 'namespaces' ? '' : namespace;
              const a = { resourceRequest: true, verb, path: '', group, version: 'v1', resource: resource!, subresource, namespace: ns, name: rule.resourceNames?.[0] ?? 'x' };
              expect([user, namespace, verb, group, full, authorize(POLICY, subjects(user), a).allowed]).toEqual([user, namespace, verb, group, full, true]);
            }
          }
        }
      }
    }
  });
});
