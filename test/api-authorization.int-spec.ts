import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAccessPolicy } from '@app/config';
import { createTestDatabase } from '@app/testing';
import { startApiProcess } from './support/api-process';
import { startTestApi, type TestApi } from './support/api-server';
import { cheapPasswordHash } from './support/cheap-password-hash';
import { kubectlFound, runKubectl } from './support/kubectl';

if (!kubectlFound) console.warn('test/api-authorization.int-spec.ts: the kubectl test is skipped: `kubectl` is not on PATH');

// Every user signs in with a token here (no test sends a password), but a user needs a password:
// one hash of the least cost the policy accepts, shared, instead of a plain `password` each, which
// parseAccessPolicy hashes at the default cost (ln=15, p=3: 0.3-0.8 s of CPU each, six at import).
const UNUSED_PASSWORD_HASH = cheapPasswordHash('unused');
const POLICY = parseAccessPolicy(`
failedLogins: {burst: 1000}
users:
  - {name: alice, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [alice-token]}
  - {name: bob, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [bob-token]}
  - {name: carol, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [carol-token]}
  - {name: root, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [root-token]}
  - {name: puller, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [puller-token]}
  - {name: dave, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [dave-token]}
  - {name: watcher, passwordHash: "${UNUSED_PASSWORD_HASH}", tokens: [watcher-token]}
grants:
  - {subjects: [alice], namespaces: [myproject], roles: [edit], actions: [pull, push]}
  - {subjects: [carol], namespaces: [myproject], roles: [view]}
  - {subjects: [bob], namespaces: [elsewhere], roles: [view]}
  - {subjects: [root], namespaces: ['*'], roles: [admin]}
  - {subjects: [puller], namespaces: [myproject], actions: [pull]}
  - {subjects: [dave], namespaces: [myproject], roles: [edit]}
  - {subjects: [dave], namespaces: [elsewhere], actions: [pull]}
  - {subjects: [image-team], namespaces: [elsewhere], roles: [view]}
  - {subjects: [watcher], namespaces: ['*'], roles: [view]}
`);

const IS = '/apis/image.openshift.io/v1';
const MY = `${IS}/namespaces/myproject`;

/** kube-apiserver's 403 body (responsewriters.Forbidden), as bytes. */
const forbiddenBody = (message: string, details: Record<string, string>) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 });

/**
 * API_AUTHORIZATION=Policy: each request of an authenticated user is allowed only as a role of
 * the access policy's grants covers it (kube's view/edit/admin), else 403 with kube-apiserver's
 * Forbidden Status; discovery stays open to every user; layers keep the registry actions; the
 * access reviews answer the same. Real HTTP and Postgres; kubectl over TLS where installed.
 */
describe('API authorization (Policy)', () => {
  let api: TestApi;
  const as = (user: string, method: string, path: string, body?: object) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${user}-token`, ...(body ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    api = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, apiAuthorization: 'Policy' });
    expect((await as('alice', 'POST', `${MY}/imagestreams`, { metadata: { name: 'foo' } })).status).toBe(201);
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('a role in the namespace reads it', async () => {
    const list = await as('carol', 'GET', `${MY}/imagestreams`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).toEqual(['foo']);
    expect((await as('carol', 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
  });

  it('outside its grants a read is 403 with kube-apiserver`s exact Status', async () => {
    const res = await as('bob', 'GET', `${MY}/imagestreams/foo`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"imagestreams.image.openshift.io \\"foo\\" is forbidden: User \\"bob\\" cannot get resource \\"imagestreams\\" in API group \\"image.openshift.io\\" in the namespace \\"myproject\\"","reason":"Forbidden","details":{"name":"foo","group":"image.openshift.io","kind":"imagestreams"},"code":403}',
    );
  });

  it('view may not write: 403 before the write is read or applied', async () => {
    const deleted = await as('carol', 'DELETE', `${MY}/imagestreams/foo`);
    expect(deleted.status).toBe(403);
    expect(await deleted.text()).toBe(
      forbiddenBody('imagestreams.image.openshift.io "foo" is forbidden: User "carol" cannot delete resource "imagestreams" in API group "image.openshift.io" in the namespace "myproject"', {
        name: 'foo',
        group: 'image.openshift.io',
        kind: 'imagestreams',
      }),
    );
    const created = await as('carol', 'POST', `${MY}/imagestreams`, { metadata: { name: 'bar' } });
    expect(await created.text()).toBe(
      forbiddenBody('imagestreams.image.openshift.io is forbidden: User "carol" cannot create resource "imagestreams" in API group "image.openshift.io" in the namespace "myproject"', {
        group: 'image.openshift.io',
        kind: 'imagestreams',
      }),
    );
    const patched = await as('carol', 'PATCH', `${MY}/imagestreams/foo`, { metadata: { labels: { a: 'b' } } });
    expect(patched.status).toBe(403);
    // Nothing changed, and edit may.
    expect((await as('alice', 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
    expect((await as('alice', 'PATCH', `${MY}/imagestreams/foo`, { metadata: { labels: { a: 'b' } } })).status).toBe(200);
  });

  it('lists across namespaces and cluster-scoped images need a grant on *', async () => {
    const across = await as('carol', 'GET', `${IS}/imagestreams`);
    expect(await across.text()).toBe(
      forbiddenBody('imagestreams.image.openshift.io is forbidden: User "carol" cannot list resource "imagestreams" in API group "image.openshift.io" at the cluster scope', {
        group: 'image.openshift.io',
        kind: 'imagestreams',
      }),
    );
    expect(across.status).toBe(403);
    const image = await as('alice', 'GET', `${IS}/images/sha256:${'a'.repeat(64)}`);
    expect(image.status).toBe(403);
    expect(await image.text()).toBe(
      forbiddenBody(`images.image.openshift.io "sha256:${'a'.repeat(64)}" is forbidden: User "alice" cannot get resource "images" in API group "image.openshift.io" at the cluster scope`, {
        name: `sha256:${'a'.repeat(64)}`,
        group: 'image.openshift.io',
        kind: 'images',
      }),
    );
    expect((await as('alice', 'GET', `${IS}/images`)).status).toBe(403);
    expect((await as('root', 'GET', `${IS}/imagestreams`)).status).toBe(200);
    expect((await as('root', 'GET', `${IS}/images`)).status).toBe(200);
    expect((await as('root', 'GET', `${IS}/images/sha256:${'a'.repeat(64)}`)).status).toBe(404);
    // Namespaces are cluster-scoped: listing them needs *, and a namespace's own grant does not delete it.
    expect((await as('alice', 'GET', '/api/v1/namespaces')).status).toBe(403);
    const dropped = await as('alice', 'DELETE', '/api/v1/namespaces/myproject');
    expect(await dropped.text()).toBe(
      forbiddenBody('namespaces "myproject" is forbidden: User "alice" cannot delete resource "namespaces" in API group "" in the namespace "myproject"', { name: 'myproject', kind: 'namespaces' }),
    );
    expect((await as('root', 'GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('a watch is authorized as watch: allowed in the namespace, 403 across namespaces and elsewhere', async () => {
    // Two allowed watches, each ending after its second: both at once.
    const [watched, legacy] = await Promise.all([
      as('carol', 'GET', `${MY}/imagestreams?watch=1&timeoutSeconds=1`),
      as('carol', 'GET', `${IS}/watch/namespaces/myproject/imagestreams?timeoutSeconds=1`),
    ]);
    expect(watched.status).toBe(200);
    expect(legacy.status).toBe(200);
    const [watchedText] = await Promise.all([watched.text(), legacy.text()]);
    expect(watchedText).toContain('"ADDED"');
    const refused = await as('bob', 'GET', `${MY}/imagestreams?watch=true`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'imagestreams.image.openshift.io is forbidden: User "bob" cannot watch resource "imagestreams" in API group "image.openshift.io" in the namespace "myproject"',
    );
    const one = await as('bob', 'GET', `${MY}/imagestreams?watch=true&fieldSelector=metadata.name%3Dfoo`);
    expect(((await one.json()) as { message: string }).message).toBe(
      'imagestreams.image.openshift.io "foo" is forbidden: User "bob" cannot watch resource "imagestreams" in API group "image.openshift.io" in the namespace "myproject"',
    );
    const across = await as('carol', 'GET', `${IS}/watch/imagestreams`);
    expect(across.status).toBe(403);
    expect(((await across.json()) as { message: string }).message).toContain('cannot watch resource "imagestreams" in API group "image.openshift.io" at the cluster scope');
  });

  it('subresources: status is read by a namespace role and written only from every namespace (OpenShift admin/edit read it); layers follow the registry actions, not roles', async () => {
    const current = (await (await as('alice', 'GET', `${MY}/imagestreams/foo`)).json()) as object;
    const status = await as('carol', 'PUT', `${MY}/imagestreams/foo/status`, current);
    expect(status.status).toBe(403);
    expect(await status.text()).toBe(
      forbiddenBody('imagestreams.image.openshift.io "foo" is forbidden: User "carol" cannot update resource "imagestreams/status" in API group "image.openshift.io" in the namespace "myproject"', {
        name: 'foo',
        group: 'image.openshift.io',
        kind: 'imagestreams',
      }),
    );
    expect((await as('carol', 'GET', `${MY}/imagestreams/foo/status`)).status).toBe(200);
    // A status write could point a tag at any image past the checks of spec writes: edit reads it only.
    const edited = await as('alice', 'PUT', `${MY}/imagestreams/foo/status`, current);
    expect(edited.status).toBe(403);
    expect(((await edited.json()) as { message: string }).message).toBe(
      'imagestreams.image.openshift.io "foo" is forbidden: User "alice" cannot update resource "imagestreams/status" in API group "image.openshift.io" in the namespace "myproject"',
    );
    expect((await as('alice', 'GET', `${MY}/imagestreams/foo/status`)).status).toBe(200);
    expect((await as('root', 'PUT', `${MY}/imagestreams/foo/status`, current)).status).toBe(200);
    const layers = await as('carol', 'GET', `${MY}/imagestreams/foo/layers`);
    expect(layers.status).toBe(403);
    expect(((await layers.json()) as { message: string }).message).toBe(
      'imagestreams.image.openshift.io "foo" is forbidden: User "carol" cannot get resource "imagestreams/layers" in API group "image.openshift.io" in the namespace "myproject"',
    );
    expect((await as('puller', 'GET', `${MY}/imagestreams/foo/layers`)).status).toBe(200);
    // puller has the registry's pull, no role: the stream itself is not readable.
    expect((await as('puller', 'GET', `${MY}/imagestreams/foo`)).status).toBe(403);
  });

  it('tagging an image of another namespace needs pull on its stream there (OpenShift TagVerifier), through streams and tag views', async () => {
    const digest = `sha256:${'7'.repeat(64)}`;
    expect((await as('root', 'POST', `${IS}/namespaces/elsewhere/imagestreams`, { metadata: { name: 'src' } })).status).toBe(201);
    const mapped = await as('root', 'POST', `${IS}/namespaces/elsewhere/imagestreammappings`, {
      metadata: { name: 'src' },
      image: { metadata: { name: digest }, dockerImageReference: `quay.io/other/src@${digest}` },
      tag: 'v1',
    });
    expect(mapped.status).toBe(201);
    const from = { kind: 'ImageStreamTag', namespace: 'elsewhere', name: 'src:v1' };
    const refused = await as('alice', 'POST', `${MY}/imagestreams`, { metadata: { name: 'xns' }, spec: { tags: [{ name: 't', from }] } });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { message: string; details: { causes: { reason: string; message: string }[] } };
    expect(body.message).toContain('spec.tags[t].from: Forbidden: elsewhere/src: "access policy does not grant pull in namespace elsewhere" ""');
    expect(body.details.causes[0]!.reason).toBe('InternalError');
    expect((await as('alice', 'GET', `${MY}/imagestreams/xns`)).status).toBe(404);
    // The tag views write through the stream: the same refusal, nothing written.
    const viaTag = await as('alice', 'POST', `${MY}/imagestreamtags`, { metadata: { name: 'xns:t' }, tag: { name: 't', from } });
    expect(viaTag.status).toBe(422);
    expect(((await viaTag.json()) as { message: string }).message).toContain('Forbidden: elsewhere/src:');
    expect((await as('alice', 'GET', `${MY}/imagestreams/xns`)).status).toBe(404);
    // Pull there (no role in it) is enough.
    const allowed = await as('dave', 'POST', `${MY}/imagestreams`, { metadata: { name: 'xns' }, spec: { tags: [{ name: 't', from }] } });
    expect(allowed.status).toBe(201);
    const stream = (await (await as('dave', 'GET', `${MY}/imagestreams/xns`)).json()) as { status: { tags: { tag: string; items: { image: string }[] }[] } };
    expect(stream.status.tags).toEqual([expect.objectContaining({ tag: 't', items: [expect.objectContaining({ image: digest })] })]);
    // An unchanged cross-namespace tag is not asked about again: alice may edit the stream's labels.
    expect((await as('alice', 'PATCH', `${MY}/imagestreams/xns`, { metadata: { labels: { a: 'b' } } })).status).toBe(200);

    // A Trigger following another namespace's tag reads it (status, deliveries): the same question.
    const triggers = '/apis/triggers.imagestreamd.io/v1/namespaces/myproject/triggers';
    const trigger = (name: string) => ({
      metadata: { name },
      spec: { from: { kind: 'ImageStreamTag', namespace: 'elsewhere', name: 'src:v1' }, target: { kind: 'Webhook', name: 'ci' }, delivery: { url: 'https://hooks.example.com/build', secretRef: { name: 'signing' } } },
    });
    const refusedTrigger = await as('alice', 'POST', triggers, trigger('follows-elsewhere'));
    expect(refusedTrigger.status).toBe(422);
    expect(((await refusedTrigger.json()) as { details: { causes: unknown[] } }).details.causes).toContainEqual({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: elsewhere/src: "access policy does not grant pull in namespace elsewhere" ""',
      field: 'spec.from',
    });
    expect((await as('dave', 'POST', triggers, trigger('follows-elsewhere'))).status).toBe(201);
  });

  it('impersonation (kubectl --as): a role on every namespace acts as the named user; anyone else is 403', async () => {
    const asWho = (user: string, headers: Record<string, string>, method: string, path: string) =>
      fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${user}-token`, ...headers } });
    const refused = await asWho('alice', { 'impersonate-user': 'carol' }, 'DELETE', `${MY}/imagestreams/foo`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      reason: 'Forbidden',
      message: 'users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      details: { name: 'carol', kind: 'users' },
    });
    expect((await as('alice', 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
    // root may impersonate, and then has carol's rights only: she reads, she may not delete.
    expect((await asWho('root', { 'impersonate-user': 'carol' }, 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
    const asCarol = await asWho('root', { 'impersonate-user': 'carol' }, 'DELETE', `${MY}/imagestreams/foo`);
    expect(asCarol.status).toBe(403);
    expect(((await asCarol.json()) as { message: string }).message).toContain('User "carol" cannot delete resource "imagestreams"');
    const review = await fetch(`${api.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      headers: { authorization: 'Bearer root-token', 'impersonate-user': 'carol', 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    expect(((await review.json()) as { status: { userInfo: { username: string } } }).status.userInfo.username).toBe('carol');
    // A service account impersonated is in its groups (kube's impersonation filter): its
    // namespace's system:image-pullers binding lets it pull, and whoami lists them.
    const asServiceAccount = { 'impersonate-user': 'system:serviceaccount:myproject:default' };
    const saReview = await fetch(`${api.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
      method: 'POST',
      headers: { authorization: 'Bearer root-token', ...asServiceAccount, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    });
    expect(((await saReview.json()) as { status: { userInfo: object } }).status.userInfo).toEqual({
      username: 'system:serviceaccount:myproject:default',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:myproject', 'system:authenticated'],
    });
    expect((await asWho('root', asServiceAccount, 'GET', `${MY}/imagestreams/foo/layers`)).status).toBe(200);
    expect((await asWho('root', asServiceAccount, 'GET', `${IS}/namespaces/elsewhere/imagestreams/foo/layers`)).status).toBe(403);
    expect((await asWho('root', asServiceAccount, 'GET', `${MY}/imagestreams/foo`)).status).toBe(403);
    // An editor of the namespace impersonates its service accounts (kube's edit role holds
    // `impersonate serviceaccounts`), and nothing else; a viewer may not.
    expect((await asWho('alice', asServiceAccount, 'GET', `${MY}/imagestreams/foo/layers`)).status).toBe(200);
    const elsewhereAccount = await asWho('alice', { 'impersonate-user': 'system:serviceaccount:elsewhere:default' }, 'GET', `${MY}/imagestreams/foo`);
    expect(((await elsewhereAccount.json()) as { message: string }).message).toBe(
      'serviceaccounts "default" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "elsewhere"',
    );
    const saRefused = await asWho('carol', asServiceAccount, 'GET', `${MY}/imagestreams/foo`);
    expect(saRefused.status).toBe(403);
    expect(((await saRefused.json()) as { message: string }).message).toBe(
      'serviceaccounts "default" is forbidden: User "carol" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "myproject"',
    );
    // A view role on every namespace reads everywhere but impersonates no one (it would read Secrets as root).
    expect((await asWho('watcher', {}, 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
    const watcherAsRoot = await asWho('watcher', { 'impersonate-user': 'root' }, 'GET', `/api/v1/namespaces/myproject/secrets`);
    expect(watcherAsRoot.status).toBe(403);
    expect(((await watcherAsRoot.json()) as { message: string }).message).toBe(
      'users "root" is forbidden: User "watcher" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    // Access reviews give the same answers (kubectl auth can-i impersonate …).
    const canI = async (user: string, resourceAttributes: object) =>
      ((await (await as(user, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } })).json()) as { status: { allowed: boolean } }).status.allowed;
    expect(await canI('root', { verb: 'impersonate', resource: 'users', name: 'carol' })).toBe(true);
    expect(await canI('watcher', { verb: 'impersonate', resource: 'users', name: 'root' })).toBe(false);
    expect(await canI('alice', { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'myproject', name: 'default' })).toBe(true);
    expect(await canI('alice', { verb: 'impersonate', resource: 'users', name: 'carol' })).toBe(false);
  });

  it('impersonating groups, a uid and extra fields (kubectl --as-group, --as-uid): the named groups are the whole list but for system:authenticated', async () => {
    const asWho = (user: string, headers: [string, string][], method: string, path: string, body?: object) => {
      const h = new Headers({ authorization: `Bearer ${user}-token`, ...(body ? { 'content-type': 'application/json' } : {}) });
      for (const [name, value] of headers) h.append(name, value);
      return fetch(`${api.url}${path}`, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
    };
    const whoami = async (user: string, headers: [string, string][]) => {
      const res = await asWho(user, headers, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { userInfo: object } }).status.userInfo;
    };
    const elsewhere = `${IS}/namespaces/elsewhere/imagestreams`;
    const carolInTeam: [string, string][] = [
      ['impersonate-user', 'carol'],
      ['impersonate-group', 'image-team'],
    ];
    // carol alone may not read elsewhere; as a member of image-team (bound to view there) she may.
    expect((await asWho('root', [['impersonate-user', 'carol']], 'GET', elsewhere)).status).toBe(403);
    expect((await asWho('root', carolInTeam, 'GET', elsewhere)).status).toBe(200);
    // A group named replaces the user's own ones: carol's grant is hers, so it still holds.
    expect((await asWho('root', carolInTeam, 'GET', `${MY}/imagestreams/foo`)).status).toBe(200);
    expect(
      await whoami('root', [...carolInTeam, ['impersonate-uid', 'u-1'], ['impersonate-extra-scopes', 'view'], ['impersonate-extra-example.com%2fteam', 'x']]),
    ).toEqual({ username: 'carol', groups: ['image-team', 'system:authenticated'], uid: 'u-1', extra: { scopes: ['view'], 'example.com/team': ['x'] } });
    // Named into system:unauthenticated only, carol is not in system:authenticated, whom whoami is bound to (kube's system:basic-user).
    const unauthenticatedCarol = await asWho('root', [['impersonate-user', 'carol'], ['impersonate-group', 'system:unauthenticated']], 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {});
    expect(unauthenticatedCarol.status).toBe(403);
    expect(((await unauthenticatedCarol.json()) as { message: string }).message).toContain('User "carol" cannot create resource "selfsubjectreviews"');
    // A service account with groups named is not in its own groups any more (upstream adds them only when none are named).
    const saInTeam: [string, string][] = [
      ['impersonate-user', 'system:serviceaccount:myproject:default'],
      ['impersonate-group', 'image-team'],
    ];
    expect(await whoami('root', saInTeam)).toEqual({ username: 'system:serviceaccount:myproject:default', groups: ['image-team', 'system:authenticated'] });
    expect((await asWho('root', saInTeam, 'GET', `${MY}/imagestreams/foo/layers`)).status).toBe(403);
    // The anonymous user is in system:unauthenticated only: not even whoami is open to it.
    const anonymous = await asWho('root', [['impersonate-user', 'system:anonymous']], 'GET', `${MY}/imagestreams/foo`);
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { message: string }).message).toContain('User "system:anonymous" cannot get resource "imagestreams"');
    // Someone who may not impersonate is refused, on the user first as upstream's filter checks it first.
    const refused = await asWho('alice', carolInTeam, 'GET', `${MY}/imagestreams/foo`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe('users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    // Groups without a user: a bad request, and nothing read.
    const noUser = await asWho('root', [['impersonate-group', 'image-team']], 'GET', elsewhere);
    expect(noUser.status).toBe(400);
    expect(await noUser.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  it('secret-like kinds are not in view: TriggerSecrets need edit', async () => {
    const path = '/apis/triggers.imagestreamd.io/v1/namespaces/myproject/triggersecrets';
    expect((await as('carol', 'GET', path)).status).toBe(403);
    expect((await as('alice', 'GET', path)).status).toBe(200);
    expect((await as('carol', 'GET', '/apis/triggers.imagestreamd.io/v1/namespaces/myproject/triggers')).status).toBe(200);
  });

  it.each(['/api', '/api/v1', '/apis', '/apis/image.openshift.io', '/apis/image.openshift.io/v1', '/openapi/v2', '/openapi/v3', '/openapi/v3/apis/image.openshift.io/v1'])(
    'discovery %s is open to every authenticated user, even one without roles',
    async (path) => {
      const res = await as('puller', 'GET', path);
      expect(res.status).toBe(200);
      await res.arrayBuffer(); // an OpenAPI document left unread keeps its connection open past the server's close
    },
  );

  it('other paths outside the API need a role on *: 403 in kube`s non-resource words', async () => {
    const metrics = await as('carol', 'GET', '/metrics');
    expect(metrics.status).toBe(403);
    expect(await metrics.text()).toBe(forbiddenBody('forbidden: User "carol" cannot get path "/metrics"', {}));
    const allowed = await as('root', 'GET', '/metrics');
    expect(allowed.status).toBe(200);
    await allowed.arrayBuffer();
    // Public paths stay public, credentials or not.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/version`)).status).toBe(200);
    // Without credentials it is still 401, not 403.
    expect((await fetch(`${api.url}${MY}/imagestreams`)).status).toBe(401);
  });

  it('a 403 is counted under its verb and resource', async () => {
    const count = async () => {
      const text = await (await as('root', 'GET', '/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith('imagestreamd_http_requests_total{') && l.includes('verb="deletecollection"') && l.includes('resource="imagestreams"') && l.includes('code="403"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await count();
    expect((await as('carol', 'DELETE', `${MY}/imagestreams`)).status).toBe(403);
    expect(await count()).toBe(before + 1);
    // A made-up resource is not a label (metrics would grow with every name a client invents).
    expect((await as('bob', 'GET', `${MY}/made-up-${Date.now()}`)).status).toBe(403);
    expect(await (await as('root', 'GET', '/metrics')).text()).not.toContain('made-up-');
  });

  it('SelfSubjectAccessReview and SubjectAccessReview answer what the API does', async () => {
    const self = async (user: string, resourceAttributes: object) => {
      const res = await as(user, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { allowed: boolean; reason: string } }).status;
    };
    const is = (verb: string, namespace = 'myproject', subresource = '') => ({ verb, group: 'image.openshift.io', resource: 'imagestreams', namespace, ...(subresource ? { subresource } : {}) });
    expect(await self('carol', is('get'))).toEqual({ allowed: true, reason: 'access policy grants[1] gives view in namespace myproject' });
    expect(await self('carol', is('delete'))).toEqual({ allowed: false, reason: 'access policy gives no role that allows delete imagestreams in namespace myproject' });
    expect((await self('carol', is('list', ''))).allowed).toBe(false);
    expect((await self('root', is('list', ''))).allowed).toBe(true);
    expect((await self('alice', is('delete'))).allowed).toBe(true);
    // The registry's questions keep the registry actions.
    expect(await self('alice', is('update', 'myproject', 'layers'))).toEqual({ allowed: true, reason: 'access policy grants push in namespace myproject' });
    expect((await self('carol', is('get', 'myproject', 'layers'))).allowed).toBe(false);
    expect((await self('puller', is('get', 'myproject', 'layers'))).allowed).toBe(true);
    // A namespace named for a cluster-scoped kind is not read: `get images` is a cluster request,
    // which carol's view in myproject does not cover (the API answers it 403), and root's '*' does.
    const images = { verb: 'get', group: 'image.openshift.io', resource: 'images', namespace: 'myproject' };
    expect(await self('carol', images)).toEqual({ allowed: false, reason: 'access policy gives no role that allows get images at the cluster scope' });
    expect((await as('carol', 'GET', '/apis/image.openshift.io/v1/images')).status).toBe(403);
    expect((await self('alice', { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews', namespace: 'myproject' })).allowed).toBe(false);
    expect((await self('root', images)).allowed).toBe(true);
    // SubjectAccessReview is itself a cluster-scoped create: root may ask, carol may not.
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'carol', groups: ['system:authenticated'], resourceAttributes: is('delete') } };
    expect((await as('carol', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review)).status).toBe(403);
    const asked = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review);
    expect(asked.status).toBe(201);
    expect(((await asked.json()) as { status: object }).status).toEqual({ allowed: false, reason: 'access policy gives no role that allows delete imagestreams in namespace myproject' });
    const stranger = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...review, spec: { user: 'mallory', resourceAttributes: is('get') } });
    expect(((await stranger.json()) as { status: { allowed: boolean } }).status.allowed).toBe(false);
    // A registry question about a service account keeps its default role binding (system:image-builders), as without Policy.
    const builder = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      ...review,
      spec: { user: 'system:serviceaccount:team:builder', groups: ['system:serviceaccounts:team'], resourceAttributes: is('update', 'team', 'layers') },
    });
    expect(((await builder.json()) as { status: object }).status).toEqual({
      allowed: true,
      reason: 'the default role binding system:image-builders of namespace team grants push to its builder service account',
    });
    // That binding names the account itself (not a group), so its create of image streams needs no groups either.
    const builderCreates = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      ...review,
      spec: { user: 'system:serviceaccount:team:builder', resourceAttributes: is('create', 'team') },
    });
    expect(((await builderCreates.json()) as { status: object }).status).toEqual({
      allowed: true,
      reason: 'the default role binding system:image-builders of namespace team lets its builder service account create imagestreams',
    });
    // SelfSubjectRulesReview (kubectl auth can-i --list): the rules behind those answers.
    const rules = await as('carol', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'myproject' } });
    expect(rules.status).toBe(201);
    const { status: ruleStatus } = (await rules.json()) as { status: { resourceRules: { verbs: string[]; apiGroups: string[]; resources: string[] }[]; incomplete: boolean } };
    expect(ruleStatus.incomplete).toBe(false);
    const imageRule = ruleStatus.resourceRules.find((r) => r.apiGroups.includes('image.openshift.io') && r.resources.includes('imagestreams'));
    expect(imageRule?.verbs).toEqual(['get', 'list', 'watch']);
    expect(imageRule?.resources).not.toContain('imagestreams/layers');
    expect(ruleStatus.resourceRules.some((r) => r.resources.includes('triggersecrets') || r.resources.includes('images') || r.verbs.includes('delete'))).toBe(false);
  });

  it('health and version are public: a SelfSubjectAccessReview allows them as a SubjectAccessReview does, and the rules list them (kube`s system:public-info-viewer)', async () => {
    const path = (p: string) => ({ verb: 'get', path: p });
    const self = async (user: string, nonResourceAttributes: object) => {
      const res = await as(user, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
    };
    const subject = async (nonResourceAttributes: object) => {
      const res = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'carol', nonResourceAttributes } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
    };
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) {
      expect((await as('carol', 'GET', p)).status).toBe(200);
      expect(await subject(path(p))).toBe(true);
      expect(await self('carol', path(p))).toBe(true);
    }
    expect(await self('carol', path('/metrics'))).toBe(false);
    const rules = await as('carol', 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'myproject' } });
    const { status } = (await rules.json()) as { status: { nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[] } };
    const listed = status.nonResourceRules.filter((r) => r.verbs.includes('get')).flatMap((r) => r.nonResourceURLs);
    expect(listed).toEqual(expect.arrayContaining(['/healthz', '/livez', '/readyz', '/version', '/version/']));
  });

  it('layers serve only get (pull) and update (push), from the registry actions: any other verb is refused to everyone, in reviews and requests alike (OpenShift`s roles grant no more)', async () => {
    const layers = (verb: string, namespace = 'myproject', group = 'image.openshift.io') => ({ verb, group, resource: 'imagestreams', subresource: 'layers', namespace, name: 'foo' });
    const self = async (user: string, resourceAttributes: object) => {
      const res = await as(user, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { allowed: boolean; reason: string } }).status;
    };
    expect(await self('carol', layers('list'))).toEqual({ allowed: false, reason: 'image stream layers serve only get (pull) and update (push), which the registry actions grant' });
    for (const verb of ['list', 'watch', 'create', 'patch', 'delete', 'deletecollection']) {
      expect([verb, (await self('alice', layers(verb))).allowed]).toEqual([verb, false]);
      expect([verb, (await self('root', layers(verb, ''))).allowed]).toEqual([verb, false]);
    }
    expect((await self('alice', layers('delete', 'myproject', ''))).allowed).toBe(false);
    expect((await self('alice', { verb: 'delete', group: 'image.openshift.io', resource: 'imagestreams/layers', namespace: 'myproject' })).allowed).toBe(false);
    expect((await self('alice', layers('get'))).allowed).toBe(true);
    expect((await self('alice', layers('update'))).allowed).toBe(true);
    // A SubjectAccessReview about alice answers the same.
    const asked = await as('root', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', groups: ['system:authenticated'], resourceAttributes: layers('patch') },
    });
    expect(((await asked.json()) as { status: { allowed: boolean } }).status.allowed).toBe(false);
    // And the request itself is 403 before any route.
    const deleted = await as('alice', 'DELETE', `${MY}/imagestreams/foo/layers`);
    expect(deleted.status).toBe(403);
    expect(await deleted.text()).toBe(
      forbiddenBody('imagestreams.image.openshift.io "foo" is forbidden: User "alice" cannot delete resource "imagestreams/layers" in API group "image.openshift.io" in the namespace "myproject"', {
        name: 'foo',
        group: 'image.openshift.io',
        kind: 'imagestreams',
      }),
    );
    expect((await as('root', 'PATCH', `${MY}/imagestreams/foo/layers`, {})).status).toBe(403);
  });

  it('a real api process: refuses to start with Policy but no API authentication; logs a 403 as any 4xx, without the token', async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'isd-authz-log-'));
    try {
      const policyFile = join(dir, 'policy.yaml');
      writeFileSync(policyFile, 'users: [{name: carol, password: c, tokens: [carol-secret-token-7Q]}]\ngrants: [{subjects: [carol], namespaces: [myproject], roles: [view]}]\n');
      // The refused start fails at its configuration, before it touches the database: both processes
      // start at once (each start loads the whole program, seconds on a loaded machine).
      const [refusedStart, proc] = await Promise.all([
        expect(startApiProcess({ DATABASE_URL: db.url, API_AUTHORIZATION: 'Policy', ACCESS_POLICY_FILE: policyFile })).rejects.toThrow(
          'invalid configuration: API_AUTHORIZATION Policy requires API_AUTHENTICATION=true',
        ),
        startApiProcess({ DATABASE_URL: db.url, API_AUTHENTICATION: 'true', API_AUTHORIZATION: 'Policy', ACCESS_POLICY_FILE: policyFile, LOG_LEVEL: 'info' }),
      ]);
      expect(refusedStart).toBeUndefined();
      try {
        const res = await fetch(`${proc.url}${MY}/imagestreams/foo`, { method: 'DELETE', headers: { authorization: 'Bearer carol-secret-token-7Q' } });
        expect(res.status).toBe(403);
        await res.text();
        const line = async () => proc.output().split('\n').find((l) => l.includes('"statusCode":403'));
        for (let i = 0; i < 50 && !(await line()); i++) await new Promise((r) => setTimeout(r, 100));
        expect(JSON.parse((await line())!)).toMatchObject({ msg: 'request completed', res: { statusCode: 403 } });
        expect(proc.output()).not.toContain('carol-secret-token-7Q');
        expect(proc.output()).not.toMatch(/bearer/i);
      } finally {
        await proc.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  }, 120000);

  // kubectl sends a kubeconfig token only over TLS, so this server serves HTTPS.
  (kubectlFound ? it : it.skip)('kubectl: reads work, a forbidden delete prints kube`s Forbidden line, auth can-i tells the truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isd-authz-'));
    let secure: TestApi | undefined;
    try {
      const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=imagestreamd', '-addext', 'subjectAltName=IP:127.0.0.1']);
      secure = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, apiAuthorization: 'Policy', tls: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } });
      const kubeconfig = (user: string) =>
        writeFileSync(
          join(dir, 'kubeconfig'),
          `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${secure!.url}", certificate-authority: "${certFile}"}}]\nusers: [{name: t, user: {token: ${user}-token}}]\ncontexts: [{name: t, context: {cluster: t, user: t, namespace: myproject}}]\ncurrent-context: t\n`,
        );
      const canI = async (...args: string[]) => (await runKubectl(dir, ['auth', 'can-i', ...args])).stdout.trim().split(' ')[0];
      kubeconfig('alice');
      const created = await runKubectl(dir, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'image.openshift.io/v1', kind: 'ImageStream', metadata: { name: 'x' } }));
      expect([created.stderr, created.stdout.trim()]).toEqual(['', 'imagestream.image.openshift.io/x created']);
      // Under one user's kubeconfig the commands below change nothing (the delete is refused): one
      // kubectl process each, all at once, before the kubeconfig names the next user.
      expect(
        await Promise.all([
          canI('delete', 'imagestreams', '-n', 'myproject'),
          canI('update', 'imagestreams', '--subresource=layers', '-n', 'myproject'),
          canI('list', 'imagestreams', '--all-namespaces'),
        ]),
      ).toEqual(['yes', 'yes', 'no']);
      kubeconfig('carol');
      const [listed, refused, across, carolCan, listed2] = await Promise.all([
        runKubectl(dir, ['get', 'is', '-n', 'myproject', '-o', 'name']),
        runKubectl(dir, ['delete', 'is', 'x', '-n', 'myproject']),
        runKubectl(dir, ['get', 'is', '-A']),
        Promise.all([
          canI('delete', 'imagestreams', '-n', 'myproject'),
          canI('get', 'imagestreams', '-n', 'myproject'),
          canI('get', 'imagestreams', '-n', 'elsewhere'),
          canI('get', 'imagestreams', '--subresource=layers', '-n', 'myproject'),
        ]),
        // can-i --list: the rules of carol's view in myproject, secret-like kinds left out, nothing for all paths.
        runKubectl(dir, ['auth', 'can-i', '--list', '-n', 'myproject']),
      ]);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toContain('imagestream.image.openshift.io/x');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim()).toBe(
        'Error from server (Forbidden): imagestreams.image.openshift.io "x" is forbidden: User "carol" cannot delete resource "imagestreams" in API group "image.openshift.io" in the namespace "myproject"',
      );
      expect(across.code).not.toBe(0);
      expect(across.stderr).toContain('Error from server (Forbidden): imagestreams.image.openshift.io is forbidden: User "carol" cannot list resource "imagestreams" in API group "image.openshift.io" at the cluster scope');
      expect(carolCan).toEqual(['no', 'yes', 'no', 'no']);
      expect(listed2.stderr).toBe('');
      expect(listed2.stdout).toMatch(/^imagestreams\.image\.openshift\.io +\[\] +\[\] +\[get list watch\]$/m);
      expect(listed2.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io +\[\] +\[\] +\[create\]$/m);
      expect(listed2.stdout).not.toContain('triggersecrets');
      expect(listed2.stdout).not.toContain('[*]');
      kubeconfig('root');
      const [rootCan, whoami] = await Promise.all([
        Promise.all([
          canI('list', 'imagestreams', '--all-namespaces'),
          canI('get', 'images'),
          // Impersonation with groups, as an admin checks what a team may do.
          canI('get', 'imagestreams', '-n', 'elsewhere', '--as=carol'),
          canI('get', 'imagestreams', '-n', 'elsewhere', '--as=carol', '--as-group=image-team'),
        ]),
        // Each group is its own header line, so a comma stays inside its group.
        runKubectl(dir, ['auth', 'whoami', '--as=carol', '--as-group=image-team', '--as-group=a,b', '--as-uid=u-7', '-o', 'json']),
      ]);
      expect(rootCan).toEqual(['yes', 'yes', 'no', 'yes']);
      expect(whoami.stderr).toBe('');
      expect(JSON.parse(whoami.stdout)).toMatchObject({ status: { userInfo: { username: 'carol', groups: ['image-team', 'a,b', 'system:authenticated'], uid: 'u-7' } } });
    } finally {
      await secure?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);
});

/**
 * ImageStreamImport under Policy with allowedRegistriesForImport: a caller who may create neither
 * Images nor ImageStreamMappings (cluster-wide) is held to the allowed registries before anything
 * is fetched (openshift-apiserver imagestreamimport rest.go); a cluster admin is not.
 */
describe('ImageStreamImport sources under Policy', () => {
  let api: TestApi;
  const as = (user: string, body: object) =>
    fetch(`${api.url}${MY}/imagestreamimports`, { method: 'POST', headers: { authorization: `Bearer ${user}-token`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const isi = (name: string, from: string, importFlag: boolean) => ({
    kind: 'ImageStreamImport',
    apiVersion: 'image.openshift.io/v1',
    metadata: { name },
    spec: { import: importFlag, images: [{ from: { kind: 'DockerImage', name: from }, to: { name: 'v1' } }] },
  });

  beforeAll(async () => {
    api = await startTestApi({ accessPolicy: POLICY, apiAuthentication: true, apiAuthorization: 'Policy', allowedRegistriesForImport: [{ domainName: 'quay.io', insecure: false }] });
  }, 90000);
  afterAll(async () => {
    await api?.close();
  });

  it('a namespace editor is refused a source elsewhere with 422 on the ImageStreamImport, before any lookup', async () => {
    const res = await as('alice', isi('lookup', '127.0.0.1:1/x/y:1', false));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { message: string; details: { kind: string; causes: unknown[] } };
    expect(body.details.kind).toBe('ImageStreamImport');
    expect(body.details.causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: importing images from registry "127.0.0.1:1" is forbidden: registry "127.0.0.1:1" not allowed by whitelist: "quay.io:443"',
        field: 'spec.images[0].from.name',
      },
    ]);
    expect(body.message).toMatch(/^ImageStreamImport\.image\.openshift\.io "lookup" is invalid: spec\.images\[0\]\.from\.name: Forbidden: importing images from registry/);
  });

  it('a cluster admin (who may create Images) is not: the lookup runs and reports the registry', async () => {
    const res = await as('root', isi('lookup', '127.0.0.1:1/x/y:1', false));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { status: { images: { status: { reason: string } }[] } };
    expect(body.status.images[0]!.status.reason).toBe('InternalError');
  });
});
