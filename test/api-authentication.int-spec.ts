import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';
import { cheapPasswordHash } from './support/cheap-password-hash';
import { kubectlFound, runKubectl } from './support/kubectl';

const CAROL_HASH = cheapPasswordHash('carol-pass');
// failedLogins: the tests below send many wrong credentials from one address; throttling has its own test.
const POLICY_TEXT = `
failedLogins: {burst: 1000}
users:
  - {name: alice, password: alice-pass, tokens: [alice-token]}
  - {name: bob, password: bob-pass, tokens: [bob-token]}
  - {name: carol, passwordHash: "${CAROL_HASH}"}
grants:
  - {subjects: [alice], namespaces: [myproject], actions: [pull, push]}
  - {subjects: [system:authenticated], namespaces: [myproject], actions: [pull]}
`;
const POLICY = parseAccessPolicy(POLICY_TEXT);

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * API_AUTHENTICATION=true with an ACCESS_POLICY_FILE: every non-public endpoint wants a policy
 * user's bearer token or Basic password (401 Status otherwise); health, version, the registry
 * endpoints and admission webhooks stay reachable. Real HTTP; kubectl with a kubeconfig token.
 */
describe('API authentication', () => {
  let api: TestApi;
  let open: TestApi;
  const get = (base: string, path: string, authorization?: string) => fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
  // A body left unread (the OpenAPI document is larger than a socket buffer) keeps its connection open past the server's close.
  const statusOf = async (answer: Promise<Response>) => {
    const res = await answer;
    await res.arrayBuffer();
    return res.status;
  };

  beforeAll(async () => {
    // Two independent servers (own databases): started at once.
    [api, open] = await Promise.all([startTestApi({ accessPolicy: POLICY, apiAuthentication: true }), startTestApi({ accessPolicy: POLICY })]);
  }, 90000);
  afterAll(async () => {
    await api?.close();
    await open?.close();
  });

  it.each([
    '/apis/image.openshift.io/v1/namespaces/demo/imagestreams',
    '/apis/image.openshift.io/v1/namespaces/demo/imagestreams?watch=1&timeoutSeconds=1',
    '/apis/image.openshift.io/v1/images',
    '/apis/triggers.imagestreamd.io/v1/namespaces/demo/triggersecrets',
    '/api/v1/namespaces',
    '/apis',
    '/api',
    '/openapi/v2',
    '/metrics',
  ])('%s is 401 without credentials or with wrong ones, 200 with a user token or password', async (path) => {
    for (const wrong of [undefined, 'Bearer nope', basic('alice', 'bob-pass'), basic('mallory', 'alice-pass'), 'Negotiate abc']) {
      const res = await get(api.url, path, wrong);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="imagestreamd", Basic realm="imagestreamd"');
      expect(await res.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
    // Independent reads (the watch path's each last its 1 s timeoutSeconds): both at once.
    expect(await Promise.all([statusOf(get(api.url, path, 'Bearer alice-token')), statusOf(get(api.url, path, basic('bob', 'bob-pass')))])).toEqual([200, 200]);
  });

  it('the 401 negotiates its Status as every other error does: YAML when asked, JSON otherwise', async () => {
    const refused = (accept: string) => fetch(`${api.url}/apis/image.openshift.io/v1/images`, { headers: { accept, authorization: 'Bearer nope' } });
    const yaml = await refused('application/yaml');
    expect([yaml.status, yaml.headers.get('content-type'), yaml.headers.get('www-authenticate')]).toEqual([401, 'application/yaml', 'Bearer realm="imagestreamd", Basic realm="imagestreamd"']);
    expect(loadYaml(await yaml.text())).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    for (const accept of ['application/json', 'application/vnd.kubernetes.protobuf, application/json', 'text/html']) {
      const json = await refused(accept);
      expect([accept, json.status, json.headers.get('content-type')]).toEqual([accept, 401, 'application/json']);
      expect(await json.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    }
  });

  it('a user whose passwordHash (scrypt) is in the file logs in with the password, not with the hash', async () => {
    const path = '/apis/image.openshift.io/v1/images';
    expect((await get(api.url, path, basic('carol', 'carol-pass'))).status).toBe(200);
    expect((await get(api.url, path, basic('carol', 'carol-pass'))).status).toBe(200);
    expect((await get(api.url, path, basic('carol', CAROL_HASH))).status).toBe(401);
    expect((await get(api.url, path, basic('carol', 'Carol-pass'))).status).toBe(401);
  });

  it('wrong passwords are throttled per address and user: 429 TooManyRequests with Retry-After, even for the right password then', async () => {
    const strict = await startTestApi({ accessPolicy: parseAccessPolicy(POLICY_TEXT.replace('failedLogins: {burst: 1000}', 'failedLogins: {burst: 2, intervalSeconds: 30}')), apiAuthentication: true });
    try {
      const path = '/apis/image.openshift.io/v1/images';
      expect((await get(strict.url, path, basic('alice', 'guess-1'))).status).toBe(401);
      expect((await get(strict.url, path, basic('alice', 'guess-2'))).status).toBe(401);
      for (const attempt of [basic('alice', 'guess-3'), basic('alice', 'alice-pass')]) {
        const res = await get(strict.url, path, attempt);
        expect(res.status).toBe(429);
        // Seconds until the 30 s interval frees a slot: 30 at once, less on a loaded machine.
        const retryAfter = Number(res.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(25);
        expect(retryAfter).toBeLessThanOrEqual(30);
        expect(await res.json()).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Too many failed login attempts, please try again later.',
          reason: 'TooManyRequests',
          details: { retryAfterSeconds: retryAfter },
          code: 429,
        });
      }
      // Other users from the same address, and requests without credentials, are not held back.
      expect((await get(strict.url, path, basic('bob', 'bob-pass'))).status).toBe(200);
      expect((await get(strict.url, path, 'Bearer alice-token')).status).toBe(200);
      expect((await get(strict.url, path)).status).toBe(401);
      // Guessing bearer tokens is throttled too, but a right token is never held back by others' guesses.
      for (const status of [401, 401, 429]) expect((await get(strict.url, path, `Bearer guess-${status}-${Math.random()}`)).status).toBe(status);
      expect((await get(strict.url, path, 'Bearer alice-token')).status).toBe(200);
      expect((await get(strict.url, path, `Bearer guess-${Math.random()}`)).status).toBe(429);
    } finally {
      await strict.close();
    }
  }, 60000);

  it('one client gets two password checks at a time: more concurrent Basic logins of unknown names are 429 with Retry-After; tokens and other clients are not held', async () => {
    const path = '/apis/image.openshift.io/v1/images';
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => get(api.url, path, basic(`made-up-${i}-${Math.random()}`, 'x'))));
    const statuses = answers.map((r) => r.status).sort();
    // Each uncached check is a full scrypt hash: eight sent at once cannot all be hashing.
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const busy = answers.find((r) => r.status === 429)!;
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
    expect((await get(api.url, path, 'Bearer alice-token')).status).toBe(200);
    expect((await get(api.url, path, basic('bob', 'bob-pass'))).status).toBe(200);
  });

  it('writes need credentials too', async () => {
    const post = (authorization?: string) =>
      fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/demo/imagestreams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ metadata: { name: 'web' } }),
      });
    expect((await post()).status).toBe(401);
    expect((await get(api.url, '/apis/image.openshift.io/v1/namespaces/demo/imagestreams/web', 'Bearer alice-token')).status).toBe(404);
    expect((await post('Bearer alice-token')).status).toBe(201);
  });

  it.each(['/healthz', '/livez', '/readyz', '/readyz/postgres', '/version'])('%s is public', async (path) => {
    expect((await get(api.url, path)).status).toBe(200);
  });

  it('the registry endpoints answer without API credentials (they have their own)', async () => {
    // Off in this server: 404 as without authentication, not 401.
    expect((await get(api.url, '/registry/token')).status).toBe(404);
  });

  it.each([
    ['/admission/image-policy', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace: 'myproject', object: { kind: 'Pod', metadata: { name: 'p', annotations: { 'alpha.image.policy.openshift.io/resolve-names': '*' } }, spec: { containers: [{ name: 'c', image: 'app:v1' }] } } } }],
    ['/admission/image-review', { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { namespace: 'myproject', containers: [{ image: 'app:v1' }] } }],
  ])('%s needs credentials (it tells how tags resolve), as kube-apiserver sends from its admission kubeconfig', async (path, review) => {
    const post = (authorization?: string) =>
      fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(review) });
    const refused = await post();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { reason: string }).reason).toBe('Unauthorized');
    expect((await post('Bearer nope')).status).toBe(401);
    const answered = await post('Bearer alice-token');
    expect(answered.status).toBe(200);
    expect((await answered.json()) as object).toMatchObject({ kind: review.kind });
  });

  it('without API_AUTHENTICATION the API stays open', async () => {
    expect((await get(open.url, '/apis/image.openshift.io/v1/images')).status).toBe(200);
  });

  // kubectl sends a kubeconfig token only over TLS (over http it sends none), so this server serves HTTPS.
  (kubectlFound ? it : it.skip)('kubectl over TLS with a user token works; with another token it is told to log in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isd-authn-'));
    let secure: TestApi | undefined;
    try {
      const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=imagestreamd', '-addext', 'subjectAltName=IP:127.0.0.1']);
      secure = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, tls: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } });
      const kubeconfig = (token: string) =>
        writeFileSync(
          join(dir, 'kubeconfig'),
          `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${secure!.url}", certificate-authority: "${certFile}"}}]\nusers: [{name: t, user: {token: ${token}}}]\ncontexts: [{name: t, context: {cluster: t, user: t, namespace: demo}}]\ncurrent-context: t\n`,
        );
      kubeconfig('alice-token');
      const created = await runKubectl(dir, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'web' } }));
      expect(created.stderr).toBe('');
      expect(created.stdout).toContain('imagestream.image.openshift.io/web created');
      const listed = await runKubectl(dir, ['get', 'imagestreams', '-o', 'name']);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toContain('imagestream.image.openshift.io/web');
      // kubectl auth can-i (a SelfSubjectAccessReview in protobuf) about pushes, as OpenShift's registry asks with the user's token.
      const canI = async (...args: string[]) => (await runKubectl(dir, ['auth', 'can-i', ...args])).stdout.trim().split(' ')[0];
      expect(await canI('update', 'imagestreams', '--subresource=layers', '-n', 'myproject')).toBe('yes');
      expect(await canI('get', 'imagestreams', '--subresource=layers', '-n', 'myproject')).toBe('yes');
      expect(await canI('update', 'imagestreams', '--subresource=layers', '-n', 'other')).toBe('no');
      // kubectl auth whoami (a SelfSubjectReview in protobuf) names the token's user.
      const whoami = await runKubectl(dir, ['auth', 'whoami', '-o', 'json']);
      expect([whoami.code, whoami.stderr]).toEqual([0, '']);
      expect(JSON.parse(whoami.stdout).status).toEqual({ userInfo: { username: 'alice', groups: ['system:authenticated'] } });
      kubeconfig('bob-token');
      expect(await canI('update', 'imagestreams', '--subresource=layers', '-n', 'myproject')).toBe('no');
      expect(await canI('get', 'imagestreams', '--subresource=layers', '-n', 'myproject')).toBe('yes');
      expect(await canI('delete', 'imagestreams', '-n', 'myproject')).toBe('yes');
      kubeconfig('stolen');
      rmSync(join(dir, 'cache'), { recursive: true, force: true });
      const refused = await runKubectl(dir, ['get', 'imagestreams']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('You must be logged in to the server');
    } finally {
      await secure?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90000);
});
