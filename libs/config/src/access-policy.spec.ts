import { createHash } from 'node:crypto';
import { loadAccessPolicy, parseAccessPolicy } from './access-policy';
import { loadConfig } from './load-config';
import { loadRegistryTokenConfig } from './registry-token-config';

describe('access policy', () => {
  it('hashes plain passwords at load and keeps given hashes', () => {
    const hash = createHash('sha256').update('b').digest('hex');
    const policy = parseAccessPolicy(`users: [{name: a, password: a-pass, tokens: [t1]}, {name: b, passwordSha256: ${hash.toUpperCase()}}]`);
    expect(policy.users).toEqual([
      { name: 'a', passwordSha256: createHash('sha256').update('a-pass').digest('hex'), tokenSha256s: [createHash('sha256').update('t1').digest('hex')] },
      { name: 'b', passwordSha256: hash, tokenSha256s: [] },
    ]);
    expect(policy).toMatchObject({ grants: [], catalog: [] });
  });

  it.each([
    ['a list', '[]', /mapping/],
    ['a user without password', 'users: [{name: a}]', /users\[0\] needs a password/],
    ['a system: user', 'users: [{name: "system:anonymous", password: x}]', /may not start with system:/],
    ['a user twice', 'users: [{name: a, password: x}, {name: a, password: y}]', /listed twice/],
    ['an unknown action', 'grants: [{subjects: [a], namespaces: ["*"], actions: [pull, write]}]', /unknown action write/],
    ['grants without namespaces', 'grants: [{subjects: [a], actions: [pull]}]', /grants\[0\].namespaces/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseAccessPolicy(text)).toThrow(message);
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
});
