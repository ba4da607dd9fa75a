import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { startTestApi, type TestApi } from './support/api-server';
import { kubectlFound, runKubectl } from './support/kubectl';

const run = promisify(execFile);

/**
 * TLS_CERT_FILE/TLS_KEY_FILE: the api serves HTTPS, as kube-apiserver requires of an admission
 * webhook (clientConfig.url must be https, verified against caBundle). Real TLS over loopback with
 * an openssl certificate for 127.0.0.1; kubectl verifying it where installed.
 */
describe('HTTPS serving', () => {
  let api: TestApi;
  let dir: string;
  let cert: string;
  let trusting: Agent;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'isd-tls-'));
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=imagestreamd', '-addext', 'subjectAltName=IP:127.0.0.1']);
    cert = await readFile(certFile, 'utf8');
    api = await startTestApi({ tls: { cert, key: await readFile(keyFile, 'utf8') } });
    trusting = new Agent({ connect: { ca: cert } });
  }, 90000);
  afterAll(async () => {
    await trusting?.close();
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers an AdmissionReview over HTTPS to a client that trusts the certificate (as kube-apiserver with caBundle)', async () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'b2f0c0de-0000-4000-8000-000000000001',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'demo',
        operation: 'CREATE',
        object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      },
    };
    const res = await request(`${api.url}/admission/image-policy?timeout=10s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review),
      dispatcher: trusting,
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
  });

  it('serves a plain ImageStreamTag GET over HTTPS (answered by the HTTPS server itself) as the framework path does', async () => {
    const ns = `${api.url}/apis/image.openshift.io/v1/namespaces/tls`;
    const digest = `sha256:${'c'.repeat(64)}`;
    const namespace = await request(`${api.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'tls' } }), dispatcher: trusting });
    expect(namespace.statusCode).toBe(201);
    await namespace.body.dump();
    const stream = await request(`${ns}/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'app' } }), dispatcher: trusting });
    expect(stream.statusCode).toBe(201);
    await stream.body.dump();
    const mapped = await request(`${ns}/imagestreammappings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'app' }, tag: 'v1', image: { metadata: { name: digest }, dockerImageReference: `quay.io/tls/app@${digest}` } }),
      dispatcher: trusting,
    });
    expect(mapped.statusCode).toBe(201);
    await mapped.body.dump();
    const read = async (path: string) => {
      const res = await request(`${ns}/imagestreamtags/${path}`, { headers: { accept: 'application/json' }, dispatcher: trusting });
      return { status: res.statusCode, type: res.headers['content-type'], body: await res.body.text() };
    };
    const plain = await read('app:v1');
    expect([plain.status, plain.type, JSON.parse(plain.body).image.metadata.name]).toEqual([200, 'application/json', digest]);
    expect(plain).toEqual(await read('app:v1?pretty=false'));
    const missing = await read('app:none');
    expect([missing.status, JSON.parse(missing.body).reason]).toEqual([404, 'NotFound']);
  });

  it('a client that does not trust the certificate cannot connect', async () => {
    await expect(request(`${api.url}/healthz`)).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  (kubectlFound ? it : it.skip)('kubectl verifies the certificate with certificate-authority', async () => {
    await writeFile(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${api.url}", certificate-authority: "${join(dir, 'tls.crt')}"}}]\nusers: [{name: t, user: {token: x}}]\ncontexts: [{name: t, context: {cluster: t, user: t, namespace: demo}}]\ncurrent-context: t\n`,
    );
    const listed = await runKubectl(dir, ['get', 'imagestreams']);
    expect(listed.stderr).toContain('No resources found in demo namespace.');
    expect(listed.code).toBe(0);
  }, 60000);
});
