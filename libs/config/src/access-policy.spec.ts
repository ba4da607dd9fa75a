import { createHash } from 'node:crypto';
import { grantedRepositoryActions, groupsOfUser, loadAccessPolicy, parseAccessPolicy } from './access-policy';
import { DEFAULT_SCRYPT_COST, formatPasswordHash, hashPasswordSync, passwordMatches } from './password-hash';
import { loadConfig } from './load-config';
import { loadRegistryTokenConfig } from './registry-token-config';

describe('access policy', () => {
  it('hashes plain passwords at load (scrypt, salted), reads passwordHash, hashes tokens', async () => {
    const given = formatPasswordHash(hashPasswordSync('b-pass', { logN: 14, r: 8, p: 1 }));
    const policy = parseAccessPolicy(`users: [{name: a, password: a-pass, tokens: [t1]}, {name: b, passwordHash: "${given}"}]`);
    expect(policy.users.map((u) => u.name)).toEqual(['a', 'b']);
    expect(policy.users[0]!.tokenSha256s).toEqual([createHash('sha256').update('t1').digest('hex')]);
    expect(policy.users[0]!.password).toMatchObject(DEFAULT_SCRYPT_COST);
    expect(JSON.stringify(policy)).not.toContain('a-pass');
    await expect(passwordMatches(policy.users[0]!.password, 'a-pass')).resolves.toBe(true);
    expect(formatPasswordHash(policy.users[1]!.password)).toBe(given);
    expect(policy).toMatchObject({ grants: [], catalog: [], failedLogins: { burst: 5, intervalSeconds: 10 } });
    expect(parseAccessPolicy('failedLogins: {burst: 0}').failedLogins).toEqual({ burst: 0, intervalSeconds: 10 });
  });

  it.each([
    ['a list', '[]', /mapping/],
    ['a user without password', 'users: [{name: a}]', /users\[0\] needs a passwordHash/],
    ['an unsalted SHA-256 (passwordSha256 is not read)', `users: [{name: a, passwordSha256: ${'0'.repeat(64)}}]`, /users\[0\] needs a passwordHash/],
    ['a malformed passwordHash', 'users: [{name: a, passwordHash: "$2y$05$abc"}]', /users\[0\].passwordHash is a bcrypt/],
    ['both password and passwordHash', 'users: [{name: a, password: x, passwordHash: y}]', /both password and passwordHash/],
    ['a negative failedLogins.burst', 'failedLogins: {burst: -1}', /failedLogins.burst must be/],
    ['a failedLogins interval of 0', 'failedLogins: {intervalSeconds: 0}', /failedLogins.intervalSeconds must be/],
    ['a system: user', 'users: [{name: "system:anonymous", password: x}]', /may not start with system:/],
    ['a user twice', 'users: [{name: a, password: x}, {name: a, password: y}]', /listed twice/],
    ['an unknown action', 'grants: [{subjects: [a], namespaces: ["*"], actions: [pull, write]}]', /unknown action write/],
    ['grants without namespaces', 'grants: [{subjects: [a], actions: [pull]}]', /grants\[0\].namespaces/],
    ['an unknown role', 'grants: [{subjects: [a], namespaces: [p], roles: [view, cluster-admin]}]', 'grants[0].roles: unknown role cluster-admin (use view, edit, admin)'],
    ['a grant of nothing', 'grants: [{subjects: [a], namespaces: [p]}]', 'grants[0] needs actions (registry) or roles (API), or both'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseAccessPolicy(text)).toThrow(message);
  });

  it('a file that is not YAML is named by reason and place only: the lines around the error hold passwords and tokens', () => {
    const text = 'users:\n  - {name: alice, password: pw-7Q, tokens: [tok-9Z]}\n   bad: [\n';
    let message = '';
    try {
      parseAccessPolicy(text);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('not valid YAML: bad indentation of a sequence entry at line 3, column 4');
    expect(() => parseAccessPolicy('users: [{name: a, password: pw-1}]\nusers: []\n')).toThrow(/^not valid YAML: duplicated mapping key at line 2, column 1$/);
  });

  it('is read from ACCESS_POLICY_FILE; the token endpoint needs it', () => {
    expect(loadAccessPolicy({})).toBeUndefined();
    expect(() => loadAccessPolicy({ ACCESS_POLICY_FILE: '/nonexistent.yaml' })).toThrow(/ACCESS_POLICY_FILE cannot be read/);
    expect(loadRegistryTokenConfig({}, undefined)).toBeUndefined();
    expect(() => loadRegistryTokenConfig({ REGISTRY_TOKEN_KEY_FILE: '/nonexistent.key' }, undefined)).toThrow(/ACCESS_POLICY_FILE is required with REGISTRY_TOKEN_KEY_FILE/);
    expect(() => loadRegistryTokenConfig({ REGISTRY_TOKEN_KEY_FILE: '/nonexistent.key' }, parseAccessPolicy('{}'))).toThrow(/REGISTRY_TOKEN_KEY_FILE cannot be read/);
  });

  it('API_AUTHENTICATION is true or false and needs the policy', () => {
    expect(loadConfig({}).apiAuthentication).toBe(false);
    expect(() => loadConfig({ API_AUTHENTICATION: 'true' })).toThrow('invalid configuration: ACCESS_POLICY_FILE is required with API_AUTHENTICATION=true');
    expect(() => loadConfig({ API_AUTHENTICATION: 'yes' })).toThrow('invalid configuration: API_AUTHENTICATION must be true or false, got "yes"');
  });

  it('grants may give roles, actions or both', () => {
    const policy = parseAccessPolicy('grants: [{subjects: [a], namespaces: [p], roles: [view]}, {subjects: [b], namespaces: ["*"], actions: [pull], roles: [edit, admin]}]');
    expect(policy.grants).toEqual([
      { subjects: ['a'], namespaces: ['p'], actions: [], roles: ['view'] },
      { subjects: ['b'], namespaces: ['*'], actions: ['pull'], roles: ['edit', 'admin'] },
    ]);
  });

  it('repository actions come from actions and from the edit and admin roles (pull, push; never delete), not from view', () => {
    const policy = parseAccessPolicy(`
grants:
  - {subjects: [viewer], namespaces: [p], roles: [view]}
  - {subjects: [editor], namespaces: [p], roles: [edit]}
  - {subjects: [admin], namespaces: ['*'], roles: [admin]}
  - {subjects: [deleter], namespaces: [p], roles: [edit], actions: [delete]}
`);
    const actions = (subject: string, namespace: string) => [...grantedRepositoryActions(policy, [subject], namespace)].sort();
    expect(actions('viewer', 'p')).toEqual([]);
    expect(actions('editor', 'p')).toEqual(['pull', 'push']);
    expect(actions('editor', 'q')).toEqual([]);
    expect(actions('editor', '')).toEqual([]);
    expect(actions('admin', 'q')).toEqual(['pull', 'push']);
    expect(actions('admin', '')).toEqual(['pull', 'push']);
    expect(actions('deleter', 'p')).toEqual(['delete', 'pull', 'push']);
  });

  it('API_AUTHORIZATION is AlwaysAllow (default) or Policy, which needs API authentication and the policy', () => {
    expect(loadConfig({}).apiAuthorization).toBe('AlwaysAllow');
    expect(() => loadConfig({ API_AUTHORIZATION: 'RBAC' })).toThrow('invalid configuration: API_AUTHORIZATION must be one of AlwaysAllow, Policy, got "RBAC"');
    expect(() => loadConfig({ API_AUTHORIZATION: 'Policy' })).toThrow('invalid configuration: API_AUTHORIZATION Policy requires API_AUTHENTICATION=true');
    expect(() => loadConfig({ API_AUTHORIZATION: 'Policy', API_AUTHENTICATION: 'true' })).toThrow('invalid configuration: ACCESS_POLICY_FILE is required with API_AUTHENTICATION=true');
  });
});

describe('groupsOfUser', () => {
  it.each([
    ['alice', ['system:authenticated']],
    ['system:serviceaccount:demo:builder', ['system:serviceaccounts', 'system:serviceaccounts:demo', 'system:authenticated']],
    ['system:serviceaccount:demo', ['system:authenticated']],
  ])('%s is in %p', (user, groups) => {
    expect(groupsOfUser(user)).toEqual(groups);
  });
});
