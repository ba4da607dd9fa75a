import type { TestApi } from './support/api-server';
import { cheapPasswordHash } from './support/cheap-password-hash';
import { type OciLayout, registryUnavailableReason, type RunningRegistry, skopeo, skopeoCopy } from './support/registry';
import { startTokenRegistryStack, type TokenRegistryStack } from './support/token-registry-stack';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry token endpoint tests skipped: ${skipReason}`);

const SERVICE = 'test-registry';
const ISSUER = 'imagestreamd-test';
const POLICY = `
users:
  - name: alice
    password: alice-pass
  - name: bob
    password: bob-pass
    tokens: [bob-api-token-0123456789]
  - name: erin
    password: erin-pass
  - name: vic
    password: vic-pass
  - name: dave
    passwordHash: "${cheapPasswordHash('dave-pass')}"
grants:
  - subjects: [alice]
    namespaces: [myproject]
    actions: [pull, push, delete]
  - subjects: [bob]
    namespaces: [myproject]
    actions: [pull]
  - subjects: [system:anonymous, system:authenticated]
    namespaces: [public]
    actions: [pull]
  - subjects: [alice]
    namespaces: [opensource]
    actions: [pull, push]
  - subjects: [system:unauthenticated]
    namespaces: [opensource]
    actions: [pull]
  - subjects: [erin]
    namespaces: [myproject]
    roles: [edit]
  - subjects: [vic]
    namespaces: [myproject]
    roles: [view]
catalog: [alice]
`;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const decodePart = (jwt: string, i: number) => JSON.parse(Buffer.from(jwt.split('.')[i]!, 'base64url').toString('utf8'));

/**
 * `GET /registry/token` as the `auth.token.realm` of a real distribution registry, used through
 * skopeo (docker-registry, skopeo, openssl): tokens grant what the policy allows and the registry
 * enforces it.
 */
describeRegistry('registry token endpoint (docker-registry, skopeo)', () => {
  let stack: TokenRegistryStack | undefined;
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  const token = (query: string, authorization?: string) =>
    fetch(`${api.url}/registry/token?${query}`, { headers: authorization ? { authorization } : {} });

  beforeAll(async () => {
    stack = await startTokenRegistryStack({ policy: POLICY, service: SERVICE, issuer: ISSUER, seed: 'registry-token-v1' });
    ({ api, registry, layout } = stack);
  }, 90000);
  afterAll(async () => {
    await stack?.close();
  });

  it('answers token, access_token, expires_in and issued_at; the JWT carries what distribution checks', async () => {
    const res = await token(`service=${SERVICE}&scope=repository:myproject/app:pull,push`, basic('alice', 'alice-pass'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    expect(body['token']).toEqual(body['access_token']);
    expect(body['expires_in']).toBe(300);
    expect(Date.parse(body['issued_at'] as string)).toBeGreaterThan(Date.now() - 60_000);
    const jwt = body['token'] as string;
    expect(decodePart(jwt, 0)).toEqual({ typ: 'JWT', alg: 'ES256', kid: expect.stringMatching(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/) });
    expect(Buffer.from(jwt.split('.')[2]!, 'base64url')).toHaveLength(64);
    const claims = decodePart(jwt, 1);
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', aud: SERVICE, access: [{ type: 'repository', name: 'myproject/app', actions: ['pull', 'push'] }] });
    expect(claims.exp - claims.iat).toBe(300);
    expect(Number.isInteger(claims.nbf) && typeof claims.jti === 'string').toBe(true);
  });

  it('grants each scope the intersection with the policy: several scope params, several scopes in one, classes, the catalog', async () => {
    const query = [
      `service=${SERVICE}`,
      'scope=repository:myproject/app:pull,push,delete',
      `scope=${encodeURIComponent('repository(plugin):myproject/app:pull registry:catalog:*')}`,
      'scope=repository:other/app:pull',
      `scope=${encodeURIComponent('repository:127.0.0.1:5000/myproject/app:pull')}`,
      'scope=repository:public/base:pull',
    ].join('&');
    const bob = decodePart(((await (await token(query, basic('bob', 'bob-pass'))).json()) as { token: string }).token, 1);
    expect(bob.access).toEqual([
      { type: 'repository', name: 'myproject/app', actions: ['pull'] },
      { type: 'repository', class: 'plugin', name: 'myproject/app', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: [] },
      { type: 'repository', name: 'other/app', actions: [] },
      { type: 'repository', name: '127.0.0.1:5000/myproject/app', actions: [] },
      { type: 'repository', name: 'public/base', actions: ['pull'] },
    ]);
    const alice = decodePart(((await (await token(query, basic('alice', 'alice-pass'))).json()) as { token: string }).token, 1);
    expect(alice.access[0].actions).toEqual(['pull', 'push', 'delete']);
    expect(alice.access[2]).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
    // OpenShift's aggregate edit role holds imagestreams/layers get and update (pull, push), view none; delete is never a role's.
    const erin = decodePart(((await (await token(query, basic('erin', 'erin-pass'))).json()) as { token: string }).token, 1);
    expect(erin.access.map((a: { actions: string[] }) => a.actions)).toEqual([['pull', 'push'], ['pull'], [], [], [], ['pull']]);
    const vic = decodePart(((await (await token(query, basic('vic', 'vic-pass'))).json()) as { token: string }).token, 1);
    expect(vic.access.map((a: { actions: string[] }) => a.actions)).toEqual([[], [], [], [], [], ['pull']]);
    const anonymous = decodePart(((await (await token(query)).json()) as { token: string }).token, 1);
    expect(anonymous.sub).toBe('');
    expect(anonymous.access.map((a: { actions: string[] }) => a.actions)).toEqual([[], [], [], [], [], ['pull']]);
  });

  it('the shared openshift namespace: every authenticated user may pull (shared-resource-viewers), as the access reviews say; anonymous may not', async () => {
    const query = `service=${SERVICE}&scope=repository:openshift/ruby:pull,push`;
    const vic = decodePart(((await (await token(query, basic('vic', 'vic-pass'))).json()) as { token: string }).token, 1);
    expect(vic.access).toEqual([{ type: 'repository', name: 'openshift/ruby', actions: ['pull'] }]);
    const anonymous = decodePart(((await (await token(query)).json()) as { token: string }).token, 1);
    expect(anonymous.access).toEqual([{ type: 'repository', name: 'openshift/ruby', actions: [] }]);
  });

  it.each([
    ['a wrong password', basic('alice', 'nope')],
    ['an unknown user', basic('mallory', 'alice-pass')],
    ['another scheme', 'Bearer abc'],
  ])('%s is 401 with a Basic challenge and an errors body', async (_what, authorization) => {
    const res = await token(`service=${SERVICE}&scope=repository:myproject/app:pull`, authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="imagestreamd"');
    expect(await res.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: expect.stringContaining('authentication required'), detail: null }] });
  });

  it('a passwordHash user gets tokens; after 5 wrong passwords (the default failedLogins) the pair gets 429 TOOMANYREQUESTS with Retry-After', async () => {
    const query = `service=${SERVICE}&scope=repository:public/base:pull`;
    const granted = await token(query, basic('dave', 'dave-pass'));
    expect(granted.status).toBe(200);
    expect(decodePart(((await granted.json()) as { token: string }).token, 1).sub).toBe('dave');
    for (let i = 0; i < 5; i++) expect((await token(query, basic('dave', `guess-${i}`))).status).toBe(401);
    for (const authorization of [basic('dave', 'guess-5'), basic('dave', 'dave-pass')]) {
      const res = await token(query, authorization);
      expect(res.status).toBe(429);
      // Seconds until the default 10 s interval frees a slot: 10 at once, less on a loaded machine.
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
      expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(10);
      expect(await res.json()).toEqual({ errors: [{ code: 'TOOMANYREQUESTS', message: 'too many failed login attempts, please try again later', detail: null }] });
    }
    // Anonymous requests and other users are not held back.
    expect((await token(query)).status).toBe(200);
    expect((await token(query, basic('alice', 'alice-pass'))).status).toBe(200);
  });

  it.each([
    ['another service', 'service=elsewhere&scope=repository:myproject/app:pull'],
    ['this service repeated with another', `service=${SERVICE}&service=elsewhere&scope=repository:myproject/app:pull`],
    ['more than 256 scopes', `service=${SERVICE}&${Array.from({ length: 257 }, (_, i) => `scope=repository:myproject/a${i}:pull`).join('&')}`],
    ['a scope over 1024 characters', `service=${SERVICE}&scope=repository:myproject/${'a'.repeat(1024)}:pull`],
  ])('%s is 400', async (_what, query) => {
    const res = await token(query, basic('alice', 'alice-pass'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNSUPPORTED_VALUE');
  });

  it('the OAuth2 form (POST grant_type=password, as containerd sends it first) issues the same grants', async () => {
    const post = (form: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
      fetch(`${api.url}/registry/token`, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams(form).toString() });
    const form = { grant_type: 'password', username: 'bob', password: 'bob-pass', service: SERVICE, client_id: 'containerd-client', scope: 'repository:myproject/app:pull,push repository:public/base:pull' };
    const res = await post(form);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; expires_in: number; scope: string };
    expect(body.expires_in).toBe(300);
    // The granted scope, not the requested one: bob may pull but not push myproject/app.
    expect(body.scope).toBe('repository:myproject/app:pull repository:public/base:pull');
    expect(decodePart(body.access_token, 1)).toMatchObject({
      sub: 'bob',
      access: [
        { type: 'repository', name: 'myproject/app', actions: ['pull'] },
        { type: 'repository', name: 'public/base', actions: ['pull'] },
      ],
    });
    expect((await post({ ...form, password: 'nope' })).status).toBe(401);
    expect((await post({ ...form, grant_type: 'refresh_token', refresh_token: 'x' })).status).toBe(400);
    expect((await post(form, 'application/json')).status).toBe(400);
  });

  it("a user's API token as the Basic password (docker login -p $(oc whoami -t)) is that user, whatever the name given", async () => {
    for (const name of ['bob', 'unused', '']) {
      const res = await token(`service=${SERVICE}&scope=repository:myproject/app:pull,push`, basic(name, 'bob-api-token-0123456789'));
      expect([name, res.status, res.status === 200 ? '' : await res.text()]).toEqual([name, 200, '']);
      expect(decodePart(((await res.json()) as { token: string }).token, 1)).toMatchObject({
        sub: 'bob',
        access: [{ type: 'repository', name: 'myproject/app', actions: ['pull'] }],
      });
    }
    expect((await token(`service=${SERVICE}&scope=repository:myproject/app:pull`, basic('bob', 'bob-api-token-wrong'))).status).toBe(401);
    // A bearer API token is not a registry credential here, as at OpenShift's registry.
    expect((await token(`service=${SERVICE}&scope=repository:myproject/app:pull`, 'Bearer bob-api-token-0123456789')).status).toBe(401);
  });

  it('an OAuth2 form without username and password takes the client credentials of its Authorization header (RFC 6749 §2.3.1)', async () => {
    const res = await fetch(`${api.url}/registry/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('bob', 'bob-pass') },
      body: new URLSearchParams({ grant_type: 'password', service: SERVICE, scope: 'repository:myproject/app:pull' }).toString(),
    });
    expect(res.status).toBe(200);
    expect(decodePart(((await res.json()) as { access_token: string }).access_token, 1)).toMatchObject({ sub: 'bob' });
  });

  it('an OAuth2 form of 100 000 scopes (3 MB) is 400 at once, not a token of them all', async () => {
    const scope = Array.from({ length: 100_000 }, (_, i) => `repository:p/a${i}:pull`).join(' ');
    const res = await fetch(`${api.url}/registry/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'alice-pass', scope }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ code: 'UNSUPPORTED_VALUE', message: 'too many scopes: at most 256 in one token request', detail: null }] });
  });

  it('skopeo through the registry: a user with push rights pushes, pull-only and anonymous users are denied what they lack', async () => {
    const image = `docker://${registry.host}/myproject/app:v1`;
    await expect(skopeoCopy(layout.dir, 'v1', image, { destCreds: 'bob:bob-pass' })).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await skopeoCopy(layout.dir, 'v1', image, { destCreds: 'alice:alice-pass' });
    const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--creds', 'bob:bob-pass', image]));
    expect(inspected.Name).toBe(`${registry.host}/myproject/app`);
    await expect(skopeo(['inspect', '--tls-verify=false', '--no-creds', image])).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await expect(skopeo(['inspect', '--tls-verify=false', '--creds', 'bob:wrong', image])).rejects.toThrow(/401|unauthorized|authentication required/i);
    const byToken = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--creds', 'anyone:bob-api-token-0123456789', image]));
    expect(byToken.Name).toBe(`${registry.host}/myproject/app`);
    await expect(skopeo(['delete', '--tls-verify=false', '--creds', 'bob:bob-pass', image])).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await skopeo(['delete', '--tls-verify=false', '--creds', 'alice:alice-pass', image]);
    await expect(skopeo(['inspect', '--tls-verify=false', '--creds', 'alice:alice-pass', image])).rejects.toThrow(/manifest unknown|not found/i);
  });

  it('a repository that cannot be an image stream gets no actions: a push there fails, as OpenShift refuses it', async () => {
    // OpenShift's registry auth refuses repositories other than <project>/<name> (util.go
    // getNamespaceName: "it must be of the format <project>/<name>"). Was: alice's push grant on
    // myproject covered myproject/team/app, the push succeeded, and its events were only ever
    // recorded as ignored: an image nobody could see through the API.
    const scopes = ['myproject/team/app', 'myproject/a__b', 'myproject/app_v2'];
    const query = [`service=${SERVICE}`, ...scopes.map((s) => `scope=repository:${s}:pull,push`)].join('&');
    const alice = decodePart(((await (await token(query, basic('alice', 'alice-pass'))).json()) as { token: string }).token, 1);
    expect(alice.access).toEqual([
      { type: 'repository', name: 'myproject/team/app', actions: [] },
      { type: 'repository', name: 'myproject/a__b', actions: [] },
      { type: 'repository', name: 'myproject/app_v2', actions: ['pull', 'push'] },
    ]);
    await expect(skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/myproject/team/app:v1`, { destCreds: 'alice:alice-pass' })).rejects.toThrow(
      /denied|unauthorized|authentication required/i,
    );
    await skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/myproject/app_v2:v1`, { destCreds: 'alice:alice-pass' });
  });

  it('anonymous requests are in the group system:unauthenticated: a grant to it lets skopeo pull without credentials', async () => {
    // As Kubernetes authenticates an anonymous request (and OpenShift makes a project public with
    // `oc policy add-role-to-group system:image-puller system:unauthenticated`). Was: only
    // system:anonymous was matched, so such a grant gave anonymous pulls nothing.
    const image = `docker://${registry.host}/opensource/app:v1`;
    await skopeoCopy(layout.dir, 'v1', image, { destCreds: 'alice:alice-pass' });
    const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', '--no-creds', image]));
    expect(inspected.Name).toBe(`${registry.host}/opensource/app`);
    const scope = `service=${SERVICE}&scope=repository:opensource/app:pull,push`;
    const anonymous = decodePart(((await (await token(scope)).json()) as { token: string }).token, 1);
    expect(anonymous.access).toEqual([{ type: 'repository', name: 'opensource/app', actions: ['pull'] }]);
    // A user with credentials is authenticated, not in system:unauthenticated.
    const bob = decodePart(((await (await token(scope, basic('bob', 'bob-pass'))).json()) as { token: string }).token, 1);
    expect(bob.access).toEqual([{ type: 'repository', name: 'opensource/app', actions: [] }]);
    await expect(skopeo(['inspect', '--tls-verify=false', '--creds', 'bob:bob-pass', image])).rejects.toThrow(/denied|unauthorized|authentication required/i);
  });

  it('a push that would create a stream over the namespace quota gets no push: the registry refuses it up front, as OpenShift denies it', async () => {
    const core = `${api.url}/api/v1/namespaces/opensource/resourcequotas`;
    expect((await fetch(core, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'streams' }, spec: { hard: { 'openshift.io/imagestreams': '1' } } }) })).status).toBe(201);
    const stream = await fetch(`${api.base}/namespaces/opensource/imagestreams`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'first' } }) });
    expect(stream.status).toBe(201);
    const actions = async (repository: string) =>
      decodePart(((await (await token(`service=${SERVICE}&scope=repository:${repository}:pull,push`, basic('alice', 'alice-pass'))).json()) as { token: string }).token, 1).access[0].actions;
    expect(await actions('opensource/second')).toEqual(['pull']);
    expect(await actions('opensource/first')).toEqual(['pull', 'push']);
    await expect(skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/opensource/second:v1`, { destCreds: 'alice:alice-pass' })).rejects.toThrow(/denied|unauthorized|authentication required/i);
    await skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/opensource/first:v1`, { destCreds: 'alice:alice-pass' });
  });

  it('the catalog needs a token with registry:catalog:*', async () => {
    const catalog = async (authorization?: string) => {
      const body = (await (await token(`service=${SERVICE}&scope=registry:catalog:*`, authorization)).json()) as { token: string };
      return fetch(`${registry.url}/v2/_catalog`, { headers: { authorization: `Bearer ${body.token}` } });
    };
    expect((await catalog(basic('alice', 'alice-pass'))).status).toBe(200);
    const refused = await catalog(basic('bob', 'bob-pass'));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});

/**
 * Under API_AUTHORIZATION=Policy a push to a repository without an image stream needs `create
 * imagestreams` in its namespace, as OpenShift's registry creates the stream with the pusher's
 * credentials and denies the push when that is forbidden: the token leaves push out.
 */
describeRegistry('registry token endpoint under Policy: pushes that would create a stream', () => {
  let stack: TokenRegistryStack | undefined;
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  const POLICY_WITH_ROLES = `
users:
  - {name: pusher, password: pusher-pass}
  - {name: builder, password: builder-pass, tokens: [builder-token]}
grants:
  - {subjects: [pusher], namespaces: [myproject], actions: [pull, push]}
  - {subjects: [builder], namespaces: [myproject], roles: [edit], actions: [pull, push]}
`;
  const actionsOf = async (user: string, repository: string) => {
    const res = await fetch(`${api.url}/registry/token?service=${SERVICE}&scope=repository:${repository}:pull,push`, { headers: { authorization: basic(user, `${user}-pass`) } });
    return decodePart(((await res.json()) as { token: string }).token, 1).access[0].actions as string[];
  };

  beforeAll(async () => {
    stack = await startTokenRegistryStack({
      policy: POLICY_WITH_ROLES,
      service: SERVICE,
      issuer: ISSUER,
      seed: 'registry-token-policy-v1',
      api: { apiAuthentication: true, apiAuthorization: 'Policy' },
    });
    ({ api, registry, layout } = stack);
  }, 90000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a pusher who may not create streams gets no push on a repository without one; a stream that exists, or an editor, gets it', async () => {
    expect(await actionsOf('pusher', 'myproject/fresh')).toEqual(['pull']);
    expect(await actionsOf('builder', 'myproject/fresh')).toEqual(['pull', 'push']);
    await expect(skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/myproject/fresh:v1`, { destCreds: 'pusher:pusher-pass' })).rejects.toThrow(/denied|unauthorized|authentication required/i);

    const created = await fetch(`${api.url}/apis/image.openshift.io/v1/namespaces/myproject/imagestreams`, {
      method: 'POST',
      headers: { authorization: 'Bearer builder-token', 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'existing' } }),
    });
    expect(created.status).toBe(201);
    expect(await actionsOf('pusher', 'myproject/existing')).toEqual(['pull', 'push']);
    await skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/myproject/existing:v1`, { destCreds: 'pusher:pusher-pass' });
  });
});
