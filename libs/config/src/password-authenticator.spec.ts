import { parseAccessPolicy } from './access-policy';
import { PasswordAuthenticator } from './password-authenticator';
import { formatPasswordHash, hashPasswordSync } from './password-hash';

const cost = { logN: 14, r: 8, p: 1 };
const policy = parseAccessPolicy(`
users:
  - {name: alice, passwordHash: "${formatPasswordHash(hashPasswordSync('alice-pass', cost))}"}
  - {name: bob, passwordHash: "${formatPasswordHash(hashPasswordSync('bob-pass', cost))}"}
  - {name: carol, passwordHash: "${formatPasswordHash(hashPasswordSync('carol-pass', cost))}"}
`);

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const start = process.hrtime.bigint();
  const value = await f();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
};

describe('PasswordAuthenticator', () => {
  it('knows each user by their password only', async () => {
    const auth = new PasswordAuthenticator(policy.users);
    await expect(auth.authenticate('alice', 'alice-pass')).resolves.toBe('alice');
    await expect(auth.authenticate('alice', 'bob-pass')).resolves.toBeNull();
    await expect(auth.authenticate('bob', 'bob-pass')).resolves.toBe('bob');
    await expect(auth.authenticate('mallory', 'alice-pass')).resolves.toBeNull();
    await expect(auth.authenticate('alice', 'alice-pass ')).resolves.toBeNull();
  });

  it('hashes a credential once, then answers from the cache until it expires; a wrong one always pays the hash', async () => {
    let now = 0;
    const auth = new PasswordAuthenticator(policy.users, { entries: 10, ttlMs: 1000 }, () => now);
    const [, first] = await timed(() => auth.authenticate('alice', 'alice-pass'));
    const [user, cached] = await timed(() => auth.authenticate('alice', 'alice-pass'));
    expect(user).toBe('alice');
    expect(cached).toBeLessThan(first / 5);
    const [, wrong1] = await timed(() => auth.authenticate('alice', 'nope'));
    const [, wrong2] = await timed(() => auth.authenticate('alice', 'nope'));
    expect(Math.min(wrong1, wrong2)).toBeGreaterThan(first / 3);
    expect(auth.cachedCredentials).toBe(1);
    now = 1001;
    const [again, expired] = await timed(() => auth.authenticate('alice', 'alice-pass'));
    expect(again).toBe('alice');
    expect(expired).toBeGreaterThan(first / 3);
  });

  it('an unknown name takes as long as a wrong password (no user enumeration by timing)', async () => {
    const auth = new PasswordAuthenticator(policy.users);
    const [, wrong] = await timed(() => auth.authenticate('alice', 'nope'));
    const [, unknown] = await timed(() => auth.authenticate('mallory', 'nope'));
    expect(unknown).toBeGreaterThan(wrong / 3);
  });

  it('with hashes of several costs, the decoy takes the most common one', async () => {
    const mixed = parseAccessPolicy(`
users:
  - {name: cheap, passwordHash: "${formatPasswordHash(hashPasswordSync('x', cost))}"}
  - {name: plain1, password: p1}
  - {name: plain2, password: p2}
`);
    const auth = new PasswordAuthenticator(mixed.users);
    const [, cheapWrong] = await timed(() => auth.authenticate('cheap', 'nope'));
    const [, plainWrong] = await timed(() => auth.authenticate('plain1', 'nope'));
    const [, unknown] = await timed(() => auth.authenticate('mallory', 'nope'));
    // The plain passwords were hashed at the default cost, about six times the cheap one's.
    expect(plainWrong).toBeGreaterThan(cheapWrong * 2);
    expect(unknown).toBeGreaterThan(cheapWrong * 2);
  });

  it('keeps at most `entries` credentials, the least recently used going first, and never the password', async () => {
    const auth = new PasswordAuthenticator(policy.users, { entries: 2, ttlMs: 60000 });
    for (const u of ['alice', 'bob', 'alice', 'carol']) await auth.authenticate(u, `${u}-pass`);
    expect(auth.cachedCredentials).toBe(2);
    const remembered = JSON.stringify([...(auth as unknown as { verified: Map<string, unknown> }).verified]);
    expect(remembered).not.toMatch(/-pass/);
    // alice was used after bob, so bob went: alice is still answered from the cache.
    const [, aliceTime] = await timed(() => auth.authenticate('alice', 'alice-pass'));
    const [, bobTime] = await timed(() => auth.authenticate('bob', 'bob-pass'));
    expect(aliceTime).toBeLessThan(bobTime / 5);
  });
});
