import { randomBytes } from 'node:crypto';
import { parseAccessPolicy } from '@app/config';
import { startTestApi, type TestApi } from './support/api-server';

const POLICY = parseAccessPolicy(`
failedLogins: {burst: 1000}
users:
  - {name: alice, password: a, tokens: [alice-token]}
  - {name: dave, password: d, tokens: [dave-token]}
  - {name: root, password: r, tokens: [root-token]}
grants:
  - {subjects: [alice], namespaces: [a], roles: [edit], actions: [pull, push]}
  - {subjects: [dave], namespaces: [a], roles: [edit]}
  - {subjects: [dave], namespaces: [b], actions: [pull]}
  - {subjects: [root], namespaces: ['*'], roles: [admin], actions: [pull, push]}
`);

const TRG = '/apis/triggers.imagestreamd.io/v1/namespaces';
const APPS = '/apis/apps/v1/namespaces';
const ANNOTATION = 'image.openshift.io/triggers';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const secret = (name: string) => ({ metadata: { name }, data: { key: `whsec_${randomBytes(32).toString('base64')}` } });
const trigger = (name: string, from: Record<string, string>) => ({
  metadata: { name },
  spec: { from: { kind: 'ImageStreamTag', ...from }, target: { kind: 'Webhook', name: 'ci' }, delivery: { url: 'https://hooks.example.com/build', secretRef: { name: 'signing' } } },
});
const deployment = (name: string, from?: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name,
    ...(from ? { annotations: { [ANNOTATION]: JSON.stringify([{ from: { kind: 'ImageStreamTag', ...from }, fieldPath: 'spec.template.spec.containers[?(@.name=="web")].image' }]) } } : {}),
  },
  spec: { template: { spec: { containers: [{ name: 'web', image: 'x' }] } } },
});

/**
 * Dependents in other namespaces, with API_AUTHORIZATION=Policy: a PushPreview shows only the
 * Triggers and workloads the caller may read, and an annotated workload may follow another
 * namespace's stream only for a caller who may pull there (as a Trigger's spec.from.namespace).
 */
describe('triggers across namespaces under access control', () => {
  let api: TestApi;
  const as = async (user: string, method: string, path: string, body?: object, contentType = 'application/json') => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${user}-token`, ...(body ? { 'content-type': contentType } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const created = async (user: string, path: string, body: object) => {
    const res = await as(user, 'POST', path, body);
    expect(res).toMatchObject({ status: 201 });
  };
  const forbiddenAtAnnotation = (namespace: string, stream: string) => ({
    reason: 'FieldValueForbidden',
    field: `metadata.annotations[${ANNOTATION}]`,
    message: `Forbidden: ${namespace}/${stream}: "access policy does not grant pull in namespace ${namespace}" ""`,
  });

  beforeAll(async () => {
    api = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, apiAuthorization: 'Policy' });
  }, 90_000);
  afterAll(async () => {
    await api?.close();
  });

  it('a PushPreview lists only the Triggers and workloads the caller may read', async () => {
    // b follows a/web:latest (root may pull in a); alice has her own Trigger on it in a.
    await created('root', `${TRG}/b/triggersecrets`, secret('signing'));
    await created('root', `${TRG}/b/triggers`, trigger('follows-a', { namespace: 'a', name: 'web:latest' }));
    await created('root', `${APPS}/b/deployments`, deployment('follows-a', { namespace: 'a', name: 'web:latest' }));
    await created('alice', `${TRG}/a/triggersecrets`, secret('signing'));
    await created('alice', `${TRG}/a/triggers`, trigger('own', { name: 'web:latest' }));

    const preview = (user: string) => as(user, 'POST', `${TRG}/a/pushpreviews`, { metadata: { name: 'web:latest' }, spec: { image: DIGEST } });
    const names = (items: { namespace: string; name: string }[]) => items.map((i) => `${i.namespace}/${i.name}`).sort();

    const alice = await preview('alice');
    expect(alice.status).toBe(201);
    expect(names(alice.body['status'].triggers)).toEqual(['a/own']);
    expect(alice.body['status'].workloads).toEqual([]);
    expect(JSON.stringify(alice.body)).not.toContain('follows-a');

    const root = await preview('root');
    expect(root.status).toBe(201);
    expect(names(root.body['status'].triggers)).toEqual(['a/own', 'b/follows-a']);
    expect(root.body['status'].triggers.find((t: { namespace: string }) => t.namespace === 'b')).toMatchObject({ wouldFire: true, url: 'https://hooks.example.com/build' });
    expect(names(root.body['status'].workloads)).toEqual(['b/follows-a']);
  });

  it('an annotated workload following another namespace`s stream needs pull there, on create and on update', async () => {
    const refused = await as('alice', 'POST', `${APPS}/a/deployments`, deployment('steals', { namespace: 'b', name: 'private:v1' }));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ reason: 'Invalid', details: { name: 'steals', group: 'apps', kind: 'Deployment' } });
    expect(refused.body['details'].causes).toEqual([forbiddenAtAnnotation('b', 'private')]);
    expect((await as('alice', 'GET', `${APPS}/a/deployments/steals`)).status).toBe(404);

    // Added by an update (an annotate): the same refusal, nothing written.
    await created('alice', `${APPS}/a/deployments`, deployment('plain'));
    const annotate = { metadata: { annotations: deployment('x', { namespace: 'b', name: 'private:v1' }).metadata.annotations } };
    const patched = await as('alice', 'PATCH', `${APPS}/a/deployments/plain`, annotate, 'application/merge-patch+json');
    expect(patched.status).toBe(422);
    expect(patched.body['details'].causes).toEqual([forbiddenAtAnnotation('b', 'private')]);
    expect((await as('alice', 'GET', `${APPS}/a/deployments/plain`)).body['metadata'].annotations?.[ANNOTATION]).toBeUndefined();

    // The workload's own namespace needs nothing more; pull in b (no role there) is enough for b.
    await created('alice', `${APPS}/a/deployments`, deployment('own', { namespace: 'a', name: 'web:latest' }));
    await created('dave', `${APPS}/a/deployments`, deployment('allowed', { namespace: 'b', name: 'private:v1' }));
    // A stream the stored workload already follows is not asked about again: alice may still edit it.
    const relabelled = await as('alice', 'PATCH', `${APPS}/a/deployments/allowed`, { metadata: { labels: { team: 'web' } } }, 'application/merge-patch+json');
    expect(relabelled.status).toBe(200);
  });

  it('without access control the annotation is not asked about', async () => {
    const open = await startTestApi();
    try {
      const res = await fetch(`${open.url}${APPS}/a/deployments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(deployment('follows-b', { namespace: 'b', name: 'private:v1' })) });
      expect(res.status).toBe(201);
    } finally {
      await open.close();
    }
  });
});
