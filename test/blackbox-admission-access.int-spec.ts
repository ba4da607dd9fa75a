import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';

const POLICY = parseAccessPolicy(`
failedLogins: {burst: 1000}
users:
  - {name: dave, password: d, tokens: [dave-token]}
  - {name: root, password: r, tokens: [root-token]}
grants:
  - {subjects: [root], namespaces: ['*'], roles: [admin]}
`);

interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}

/**
 * Black-box checks of the access answers admission controllers and `kubectl auth can-i` rely on,
 * with API_AUTHENTICATION=true and API_AUTHORIZATION=Policy: a SelfSubjectRulesReview (`can-i
 * --list`) lists what OpenShift's default role bindings give, as the access review
 * (`can-i <verb>`) of the same caller allows it.
 */
describe('black-box: access reviews of the default role bindings', () => {
  let api: TestApi;
  const post = (token: string, path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const rulesOf = async (token: string, namespace: string, headers: Record<string, string> = {}): Promise<ResourceRule[]> => {
    const res = await post(token, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } }, headers);
    expect(res.status).toBe(201);
    return ((await res.json()) as { status: { resourceRules: ResourceRule[] } }).status.resourceRules;
  };
  const canI = async (token: string, attributes: object, headers: Record<string, string> = {}): Promise<boolean> => {
    const res = await post(token, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attributes } }, headers);
    expect(res.status).toBe(201);
    return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
  };
  /** Does some rule give `verb` on `group`/`resource`? */
  const listed = (rules: ResourceRule[], verb: string, group: string, resource: string) =>
    rules.some((r) => r.verbs.includes(verb) && r.apiGroups.includes(group) && r.resources.includes(resource));

  beforeAll(async () => {
    api = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, apiAuthorization: 'Policy' });
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('can-i --list in the shared openshift namespace lists the stream reads every authenticated user has there', async () => {
    const rules = await rulesOf('dave-token', 'openshift');
    for (const [verb, resource] of [
      ['get', 'imagestreams'],
      ['list', 'imagestreams'],
      ['watch', 'imagestreams'],
      ['get', 'imagestreamtags'],
      ['list', 'imagestreamtags'],
      ['get', 'imagetags'],
      ['get', 'imagestreamimages'],
    ] as const) {
      expect(await canI('dave-token', { namespace: 'openshift', verb, group: 'image.openshift.io', resource })).toBe(true);
      expect([verb, resource, listed(rules, verb, 'image.openshift.io', resource)]).toEqual([verb, resource, true]);
    }
    // Nothing more than reads, and nothing of it in another namespace.
    expect(await canI('dave-token', { namespace: 'openshift', verb: 'delete', group: 'image.openshift.io', resource: 'imagestreams' })).toBe(false);
    expect(listed(rules, 'delete', 'image.openshift.io', 'imagestreams')).toBe(false);
    expect(listed(await rulesOf('dave-token', 'demo'), 'get', 'image.openshift.io', 'imagestreams')).toBe(false);
  });

  it("can-i --list for a project's builder service account lists the image stream create its system:image-builders binding gives", async () => {
    const asBuilder = { 'impersonate-user': 'system:serviceaccount:demo:builder' };
    expect(await canI('root-token', { namespace: 'demo', verb: 'create', group: 'image.openshift.io', resource: 'imagestreams' }, asBuilder)).toBe(true);
    expect(listed(await rulesOf('root-token', 'demo', asBuilder), 'create', 'image.openshift.io', 'imagestreams')).toBe(true);
    expect(listed(await rulesOf('root-token', 'other', asBuilder), 'create', 'image.openshift.io', 'imagestreams')).toBe(false);
  });
});
