import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';

const ALICE_TOKEN = `alice-${randomBytes(12).toString('hex')}`;
const NOTIFY_SECRET = `notify-${randomBytes(12).toString('hex')}`;
const POLICY = parseAccessPolicy(`
failedLogins: {burst: 1000}
users:
  - {name: alice, password: alice-pass, tokens: [${ALICE_TOKEN}]}
grants:
  - {subjects: [alice], namespaces: [audit], actions: [pull, push]}
`);

/**
 * Findings of a security audit of the running api with API authentication on: secrets stay out of
 * error messages and authorization answers do not contradict what the API enforces.
 */
describe('security audit', () => {
  let api: TestApi;
  const ns = 'audit';
  const triggerSecrets = `/apis/triggers.imagestreamd.io/v1/namespaces/${ns}/triggersecrets`;
  const send = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ALICE_TOKEN}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body,
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    api = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, registryNotifySecret: NOTIFY_SECRET });
    expect((await send('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: ns } }))).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  // kube-apiserver quotes a body its decoder cannot read (its first 30 bytes); a TriggerSecret's
  // body starts with its signing key as often as not, and keys are never shown.
  it.each([
    ['JSON cut short', (key: string) => `{"data":{"key":"${key}"`],
    ['JSON with a stray comma', (key: string) => `{"data":{"key":"${key}"},}`],
    ['a JSON string', (key: string) => `"${key}"`],
    ['a JSON list', (key: string) => `[{"data":{"key":"${key}"}}]`],
  ])('a TriggerSecret body that does not decode (%s) is 400 without quoting the key', async (_what, body) => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const hex = Buffer.from(key).toString('hex');
    for (const method of ['POST', 'PUT']) {
      const res = await send(method, method === 'POST' ? triggerSecrets : `${triggerSecrets}/hook`, body(key));
      expect(res.status).toBe(400);
      expect(res.text).toContain('the object provided is unrecognized (must be of type TriggerSecret)');
      expect(res.text).not.toContain(key.slice(0, 10));
      expect(res.text).not.toContain(hex.slice(0, 20));
    }
  });

  it('other kinds still quote the head of a body that does not decode, as kube-apiserver does', async () => {
    const res = await send('POST', `/apis/image.openshift.io/v1/namespaces/${ns}/imagestreams`, '{"metadata":{"name":"web"}');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).message).toBe(
      'the object provided is unrecognized (must be of type ImageStream): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"metadata":{"name":"web"})',
    );
  });

  const review = async (spec: object) => {
    const res = await send('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }));
    expect(res.status).toBe(201);
    return JSON.parse(res.text).status as { allowed: boolean; reason?: string };
  };

  // OpenShift's image-puller, image-builder and shared-resource-viewer roles grant
  // imagestreams/layers in the image.openshift.io group and in the legacy group "" alike
  // (openshift-apiserver bootstrappolicy: Groups(imageGroup, legacyImageGroup)), so a registry
  // question asked in the legacy group is the same question.
  it.each([
    ['update', 'push'],
    ['get', 'pull'],
  ])('a %s of imagestreams/layers asked in the legacy group "" is answered from the access policy', async (verb, action) => {
    for (const [resource, subresource] of [['imagestreams', 'layers'], ['imagestreams/layers', '']]) {
      const attributes = { namespace: 'elsewhere', verb, group: '', resource, subresource };
      expect(await review({ user: 'alice', resourceAttributes: attributes })).toEqual({ allowed: false, reason: `access policy does not grant ${action} in namespace elsewhere` });
      expect(await review({ user: 'alice', resourceAttributes: { ...attributes, namespace: ns } })).toEqual({ allowed: true, reason: `access policy grants ${action} in namespace ${ns}` });
    }
  });

  // With API authentication every policy user may do everything, and nobody else anything but the
  // public paths (401): a review must not answer yes for a subject the API would refuse, as RBAC
  // answers no for a subject no binding names (kube-apiserver's system:public-info-viewer is bound
  // to system:unauthenticated too, so the public paths stay yes for everyone).
  it('non-registry questions are answered as API authentication enforces them', async () => {
    const listSecrets = { namespace: ns, verb: 'list', group: 'triggers.imagestreamd.io', resource: 'triggersecrets' };
    const anonymous = { user: 'system:anonymous', groups: ['system:unauthenticated'] };
    expect(await review({ ...anonymous, resourceAttributes: listSecrets })).toMatchObject({ allowed: false });
    expect(await review({ groups: ['system:unauthenticated'], resourceAttributes: listSecrets })).toMatchObject({ allowed: false });
    expect(await review({ user: 'mallory', resourceAttributes: listSecrets })).toMatchObject({ allowed: false });
    expect(await review({ user: 'mallory', nonResourceAttributes: { path: '/metrics', verb: 'get' } })).toMatchObject({ allowed: false });
    expect(await review({ user: 'alice', resourceAttributes: listSecrets })).toMatchObject({ allowed: true });
    expect(await review({ user: 'mallory', groups: ['system:authenticated'], resourceAttributes: { ...listSecrets, verb: 'delete' } })).toMatchObject({ allowed: true });
    for (const path of ['/healthz', '/readyz/postgres', '/version']) expect(await review({ ...anonymous, nonResourceAttributes: { path, verb: 'get' } })).toMatchObject({ allowed: true });
    const local = await send('POST', `/apis/authorization.k8s.io/v1/namespaces/${ns}/localsubjectaccessreviews`, JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: ns }, spec: { ...anonymous, resourceAttributes: listSecrets } }));
    expect(JSON.parse(local.text).status).toMatchObject({ allowed: false });
  });

  // RFC 7235 §3.1: a 401 names the scheme that would be accepted; the registry endpoints that keep
  // the shared secret take it as `Bearer <secret>` (or bare) in REGISTRY_NOTIFY_HEADER.
  it.each([
    ['POST', '/registry/notifications'],
    ['GET', '/registry/events'],
    ['GET', '/registry/events/1'],
    ['POST', '/registry/events/1/redrive'],
  ])('%s %s without the shared secret is 401 with a WWW-Authenticate challenge', async (method, path) => {
    for (const authorization of [undefined, 'Bearer wrong']) {
      const res = await fetch(`${api.url}${path}`, { method, headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="imagestreamd"');
      expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  /** The status of a request whose target is sent as written (fetch would resolve its dot segments). */
  const rawStatus = (method: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: new URL(api.url).port, method, path }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject).end();
    });

  // The public prefixes are matched on the raw path and the router resolves no dot segments, so
  // none of these reaches a protected handler without credentials (404 or 401, never 200).
  it.each([
    '/healthz/../metrics',
    '/healthz/..%2Fmetrics',
    '/registry/../metrics',
    '/registry/%2e%2e/apis/image.openshift.io/v1/images',
    '/registry/token/../../openapi/v2',
    '/version/../metrics',
    '/version;/apis',
    '//apis/image.openshift.io/v1/images',
    '/apis//image.openshift.io/v1/images',
    '/%61pis/image.openshift.io/v1/images',
    '/APIS/image.openshift.io/v1/images',
    '/apis/image.openshift.io/v1/images/',
    '/apis/image.openshift.io/v1/namespaces/audit/imagestreamtags/web%3Alatest',
  ])('path trick %s does not pass without credentials', async (path) => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect([401, 404]).toContain(await rawStatus(method, path));
  });
});
