import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAccessPolicy } from '@app/config';
import { RegistryTokenIssuer } from '@app/ingest';
import { startTestApi, type TestApi } from './support/api-server';
import { cheapPasswordHash } from './support/cheap-password-hash';
import { waitFor } from './support/poll';
import { makeTokenSigner } from './support/token-signer';
import { startApiProcess } from './support/api-process';
import { type OciLayout, registryUnavailableReason, type RunningRegistry, skopeo, skopeoCopy, startRegistry } from './support/registry';
import { startTokenRegistryStack, type TokenRegistryStack } from './support/token-registry-stack';

const skipReason = registryUnavailableReason();
const describeRegistry = skipReason ? describe.skip : describe;
if (skipReason) console.warn(`registry token conformance tests skipped: ${skipReason}`);

const SERVICE = 'conformance-registry';
const ISSUER = 'imagestreamd-conformance';
const POLICY = `
users:
  - name: alice
    password: alice-secret-pass
  - name: bob
    password: bob-secret-pass
grants:
  - subjects: [alice]
    namespaces: [myproject]
    actions: [pull, push, delete]
  - subjects: [bob]
    namespaces: [myproject]
    actions: [pull]
  - subjects: [system:anonymous]
    namespaces: [public]
    actions: [pull]
  - subjects: [alice]
    namespaces: [public]
    actions: [pull, push]
`;
/**
 * POLICY for the servers in this process: the same users and passwords as `passwordHash` entries of
 * the least cost the policy accepts, where each parse of POLICY hashes both plain passwords at the
 * default cost (ln=15, p=3: 0.3-0.8 s of CPU each; three parses). The api process of the log test
 * still reads POLICY itself, plain passwords and all.
 */
const HASHED_POLICY = POLICY.replace(
  /password: (\S+)/g,
  (_, password: string) => `passwordHash: "${cheapPasswordHash(password)}"`,
);

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/** The parameters of a `Bearer realm="…",service="…",scope="…"` challenge. */
function challenge(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries([...header!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Conformance of `/registry/token` with distribution's token auth (docs/spec/auth token.md,
 * oauth.md, scope.md, jwt.md; contrib/token-server) and with docker-registry 2.8.2 and skopeo as
 * clients. What test/registry-token.int-spec.ts covers is not repeated here.
 */
describeRegistry('registry token endpoint conformance (docker-registry, skopeo, raw challenges)', () => {
  let stack: TokenRegistryStack | undefined;
  let api: TestApi;
  let registry: RunningRegistry;
  let layout: OciLayout;
  let dir: string;
  let cert: string;
  const token = (query: string, authorization?: string) => fetch(`${api.url}/registry/token?${query}`, { headers: authorization ? { authorization } : {} });
  const post = (form: Record<string, string>) =>
    fetch(`${api.url}/registry/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const jwtOf = async (res: Response) => {
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    stack = await startTokenRegistryStack({ policy: HASHED_POLICY, service: SERVICE, issuer: ISSUER, seed: 'registry-token-conformance-v1', ttlSeconds: 120 });
    ({ api, registry, layout, dir, cert } = stack);
    await skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/myproject/app:v1`, { destCreds: 'alice:alice-secret-pass' });
    await skopeoCopy(layout.dir, 'v1', `docker://${registry.host}/public/base:v1`, { destCreds: 'alice:alice-secret-pass' });
  }, 90000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a malformed scope is left out and the others are granted, as distribution reference token server does (not a 400 for the whole request)', async () => {
    // contrib/token-server ResolveScopeSpecifiers: "ignoring unsupported scope format" and continue.
    // Was: 400 UNSUPPORTED_VALUE, so one odd scope cost the client the token for the scopes it needs.
    const malformed = ['repository', 'repository::pull', 'Repository:myproject/app:pull', ':myproject/app:pull', 'repository:myproject/app'];
    const query = [`service=${SERVICE}`, ...malformed.map((s) => `scope=${encodeURIComponent(s)}`), 'scope=repository:myproject/app:pull'].join('&');
    const jwt = await jwtOf(await token(query, basic('bob', 'bob-secret-pass')));
    expect(claims(jwt).access).toEqual([{ type: 'repository', name: 'myproject/app', actions: ['pull'] }]);
    const tags = await fetch(`${registry.url}/v2/myproject/app/tags/list`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(tags.status).toBe(200);
    // The OAuth2 form likewise; its `scope` names what was granted.
    const res = await post({ grant_type: 'password', username: 'bob', password: 'bob-secret-pass', service: SERVICE, client_id: 'test', scope: `${malformed.join(' ')} repository:myproject/app:pull` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scope: string }).scope).toBe('repository:myproject/app:pull');
  });

  it('repository:<name>:* is the intersection with what the subject may do: * for all actions, the allowed ones otherwise', async () => {
    // token.md: the token holds "the intersection of the set of requested actions on each resource
    // and the set of actions that the client has in fact been granted". Was: a puller asking for *
    // got nothing, as if it had no access at all.
    const query = `service=${SERVICE}&scope=${encodeURIComponent('repository:myproject/app:*')}`;
    const bob = await jwtOf(await token(query, basic('bob', 'bob-secret-pass')));
    expect(claims(bob).access).toEqual([{ type: 'repository', name: 'myproject/app', actions: ['pull'] }]);
    expect((await fetch(`${registry.url}/v2/myproject/app/tags/list`, { headers: { authorization: `Bearer ${bob}` } })).status).toBe(200);
    const upload = await fetch(`${registry.url}/v2/myproject/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${bob}` } });
    expect(upload.status).toBe(401);
    expect(upload.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // alice may do everything there: `*`, which the registry takes for any action (here a push).
    const alice = await jwtOf(await token(query, basic('alice', 'alice-secret-pass')));
    expect(claims(alice).access).toEqual([{ type: 'repository', name: 'myproject/app', actions: ['*'] }]);
    expect((await fetch(`${registry.url}/v2/myproject/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${alice}` } })).status).toBe(202);
    // Pull and push but not delete in public: * stands for those two only; anonymous gets pull.
    const publicQuery = `service=${SERVICE}&scope=${encodeURIComponent('repository:public/base:*,pull')}`;
    expect(claims(await jwtOf(await token(publicQuery, basic('alice', 'alice-secret-pass')))).access[0].actions).toEqual(['pull', 'push']);
    expect(claims(await jwtOf(await token(publicQuery))).access[0].actions).toEqual(['pull']);
  });

  it('raw HTTP following the registry challenge: the scope it names, the token, the retry; anonymous too', async () => {
    for (const [repository, authorization, status] of [
      ['myproject/app', basic('bob', 'bob-secret-pass'), 200],
      ['public/base', undefined, 200],
      ['myproject/app', undefined, 401],
    ] as const) {
      const first = await fetch(`${registry.url}/v2/${repository}/manifests/v1`, { method: 'HEAD' });
      expect(first.status).toBe(401);
      const params = challenge(first.headers.get('www-authenticate'));
      expect(params).toEqual({ realm: `${api.url}/registry/token`, service: SERVICE, scope: `repository:${repository}:pull` });
      const url = new URL(params['realm']!);
      url.searchParams.set('service', params['service']!);
      url.searchParams.append('scope', params['scope']!);
      const jwt = await jwtOf(await fetch(url, { headers: authorization ? { authorization } : {} }));
      const retried = await fetch(`${registry.url}/v2/${repository}/manifests/v1`, { method: 'HEAD', headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
      expect(retried.status).toBe(status);
    }
  });

  it('skopeo list-tags with --creds and anonymously; a wrong password is 401 naming no secret', async () => {
    const listed = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', '--creds', 'bob:bob-secret-pass', `docker://${registry.host}/myproject/app`]));
    expect(listed.Tags).toEqual(['v1']);
    expect(JSON.parse(await skopeo(['list-tags', '--tls-verify=false', '--no-creds', `docker://${registry.host}/public/base`])).Tags).toEqual(['v1']);
    await expect(skopeo(['list-tags', '--tls-verify=false', '--no-creds', `docker://${registry.host}/myproject/app`])).rejects.toThrow(/denied|unauthorized|authentication required/i);
    const wrong = await token(`service=${SERVICE}&account=bob&scope=repository:myproject/app:pull`, basic('bob', 'not-bob-secret-pass'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="imagestreamd"');
    const text = await wrong.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required: invalid username or password', detail: null }] });
    expect(text).not.toContain('secret-pass');
  });

  it('offline_token / access_type=offline: a plain token and no refresh_token (optional in token.md and oauth.md); a refresh_token grant is refused', async () => {
    const got = await token(`service=${SERVICE}&client_id=docker&offline_token=true&account=bob&scope=repository:myproject/app:pull`, basic('bob', 'bob-secret-pass'));
    const body = (await got.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    const form = { grant_type: 'password', username: 'bob', password: 'bob-secret-pass', service: SERVICE, client_id: 'docker', access_type: 'offline', scope: '' };
    const oauth = await post(form);
    expect(oauth.status).toBe(200);
    const oauthBody = (await oauth.json()) as Record<string, unknown>;
    expect(Object.keys(oauthBody).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'scope', 'token']);
    expect(oauthBody['scope']).toBe('');
    expect(JSON.stringify(oauthBody)).not.toContain('secret-pass');
    const refreshed = await post({ grant_type: 'refresh_token', refresh_token: 'anything', service: SERVICE, client_id: 'docker' });
    expect(refreshed.status).toBe(400);
  });

  it('the registry refuses our tokens when its issuer or service differs; a token request for another service is 400', async () => {
    const otherIssuer = await startRegistry({ tokenAuth: { realm: `${api.url}/registry/token`, service: SERVICE, issuer: 'someone-else', rootCertBundle: cert } });
    const otherService = await startRegistry({ tokenAuth: { realm: `${api.url}/registry/token`, service: 'other-registry', issuer: ISSUER, rootCertBundle: cert } });
    try {
      const jwt = await jwtOf(await token(`service=${SERVICE}&scope=repository:public/base:pull`));
      for (const other of [otherIssuer, otherService]) {
        const res = await fetch(`${other.url}/v2/public/base/tags/list`, { headers: { authorization: `Bearer ${jwt}` } });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
      // The registry logs the refusal after answering it: wait for the line.
      await waitFor('untrusted issuer logged', async () => /untrusted issuer/.test(otherIssuer.logs()), 5000);
      await waitFor('another audience logged', async () => /another audience/.test(otherService.logs()), 5000);
      // skopeo asks for the other registry's service: 400 (skopeo 1.9.3 shows only the status).
      await expect(skopeo(['list-tags', '--tls-verify=false', '--no-creds', `docker://${otherService.host}/public/base`])).rejects.toThrow(/Requesting bearer token: invalid status code from registry 400/);
    } finally {
      await otherIssuer.stop();
      await otherService.stop();
    }
  });

  it('clock skew: the registry takes our tokens from a clock up to its 60 s leeway ahead (nbf) or behind (exp), not beyond', async () => {
    // What distribution 2.8's token verification allows (60 s leeway on nbf and exp); a 60 s token
    // issued by a clock 90 s behind has been expired 30 s, one 150 s behind 90 s.
    const keyPem = await readFile(join(dir, 'signer.key'), 'utf8');
    const policy = parseAccessPolicy(HASHED_POLICY);
    const status = async (skewSeconds: number) => {
      const issuer = new RegistryTokenIssuer({ keyPem, issuer: ISSUER, service: SERVICE, ttlSeconds: 60 }, policy, () => Date.now() + skewSeconds * 1000);
      const { response } = await issuer.issue('', [{ type: 'repository', name: 'public/base', actions: ['pull'] }]);
      const res = await fetch(`${registry.url}/v2/public/base/tags/list`, { headers: { authorization: `Bearer ${response.token}` } });
      return res.status === 401 ? (res.headers.get('www-authenticate') ?? '').replace(/.*error="([^"]+)".*/, '$1') : res.status;
    };
    expect(await status(0)).toBe(200);
    expect(await status(50)).toBe(200);
    expect(await status(-90)).toBe(200);
    expect(await status(-150)).toBe('invalid_token');
    expect(await status(90)).toBe('invalid_token');
  });

  it('no password, Basic credential, issued token or refresh token reaches the trace-level log (GET, the OAuth2 form, refusals)', async () => {
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY);
    const proc = await startApiProcess({
      DATABASE_URL: api.databaseUrl,
      REGISTRY_TOKEN_KEY_FILE: join(dir, 'signer.key'),
      REGISTRY_TOKEN_ISSUER: ISSUER,
      REGISTRY_TOKEN_SERVICE: SERVICE,
      ACCESS_POLICY_FILE: policyFile,
      LOG_LEVEL: 'trace',
    });
    try {
      const url = `${proc.url}/registry/token`;
      const form = (body: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
      const issued: string[] = [];
      const got = await fetch(`${url}?service=${SERVICE}&account=bob&offline_token=true&client_id=docker&scope=repository:myproject/app:pull`, { headers: { authorization: basic('bob', 'bob-secret-pass') } });
      issued.push(await jwtOf(got));
      const posted = await form({ grant_type: 'password', username: 'alice', password: 'alice-secret-pass', service: SERVICE, client_id: 'containerd-client', scope: 'repository:myproject/app:pull,push' });
      expect(posted.status).toBe(200);
      issued.push(((await posted.json()) as { access_token: string }).access_token);
      expect((await fetch(`${url}?service=${SERVICE}`, { headers: { authorization: basic('bob', 'wrong-secret-guess') } })).status).toBe(401);
      expect((await form({ grant_type: 'password', username: 'alice', password: 'wrong-secret-guess', service: SERVICE, client_id: 'c' })).status).toBe(401);
      expect((await form({ grant_type: 'refresh_token', refresh_token: 'refresh-secret-value', service: SERVICE, client_id: 'c' })).status).toBe(400);
      const output = proc.output();
      expect(output).toContain('request completed');
      expect(output).toContain('/registry/token');
      const secrets = ['bob-secret-pass', 'alice-secret-pass', 'wrong-secret-guess', 'refresh-secret-value', ...issued];
      for (const secret of [...secrets, ...issued.map((t) => t.split('.')[2]!), basic('bob', 'bob-secret-pass').slice(6), basic('bob', 'wrong-secret-guess').slice(6)]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      await proc.stop();
    }
  });

  it('an RSA signing key: RS256 tokens with the libtrust kid of the RSA certificate are accepted by the registry', async () => {
    const { keyPem, certPath: rsaCert } = await makeTokenSigner(dir, 'conformance-rsa', 'rsa');
    const rsaApi = await startTestApi({
      registryToken: { keyPem, issuer: ISSUER, service: SERVICE, ttlSeconds: 120 },
      accessPolicy: parseAccessPolicy(HASHED_POLICY),
    });
    let rsaRegistry: RunningRegistry | undefined;
    try {
      rsaRegistry = await startRegistry({ tokenAuth: { realm: `${rsaApi.url}/registry/token`, service: SERVICE, issuer: ISSUER, rootCertBundle: rsaCert } });
      await skopeoCopy(layout.dir, 'v1', `docker://${rsaRegistry.host}/myproject/app:v1`, { destCreds: 'alice:alice-secret-pass' });
      const jwt = await jwtOf(await fetch(`${rsaApi.url}/registry/token?service=${SERVICE}&scope=repository:myproject/app:pull`, { headers: { authorization: basic('bob', 'bob-secret-pass') } }));
      expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')).alg).toBe('RS256');
      const tags = await fetch(`${rsaRegistry.url}/v2/myproject/app/tags/list`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(await tags.json()).toEqual({ name: 'myproject/app', tags: ['v1'] });
      // The EC server's token is signed by a key this registry does not trust.
      const ec = await jwtOf(await token(`service=${SERVICE}&scope=repository:myproject/app:pull`, basic('bob', 'bob-secret-pass')));
      const refused = await fetch(`${rsaRegistry.url}/v2/myproject/app/tags/list`, { headers: { authorization: `Bearer ${ec}` } });
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      await rsaRegistry?.stop();
      await rsaApi.close();
    }
  });
});
