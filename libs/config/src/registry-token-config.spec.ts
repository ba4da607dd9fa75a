import { createHash } from 'node:crypto';
import { loadRegistryTokenConfig, parseTokenPolicy } from './registry-token-config';

describe('registry token policy', () => {
  it('hashes plain passwords at load and keeps given hashes', () => {
    const hash = createHash('sha256').update('b').digest('hex');
    const policy = parseTokenPolicy(`users: [{name: a, password: a-pass}, {name: b, passwordSha256: ${hash.toUpperCase()}}]`);
    expect(policy.users).toEqual([
      { name: 'a', passwordSha256: createHash('sha256').update('a-pass').digest('hex') },
      { name: 'b', passwordSha256: hash },
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
    expect(() => parseTokenPolicy(text)).toThrow(message);
  });

  it('is off without REGISTRY_TOKEN_KEY_FILE and needs a policy file with it', () => {
    expect(loadRegistryTokenConfig({})).toBeUndefined();
    expect(() => loadRegistryTokenConfig({ REGISTRY_TOKEN_KEY_FILE: '/nonexistent.key' })).toThrow(/REGISTRY_TOKEN_POLICY_FILE is required/);
    expect(() => loadRegistryTokenConfig({ REGISTRY_TOKEN_KEY_FILE: '/nonexistent.key', REGISTRY_TOKEN_POLICY_FILE: '/nonexistent.yaml' })).toThrow(/REGISTRY_TOKEN_POLICY_FILE cannot be read/);
  });
});
