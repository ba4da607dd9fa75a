import { parseAccessPolicy } from './access-policy';
import { PasswordAuthenticator, PasswordChecksBusyError } from './password-authenticator';
import { DEFAULT_SCRYPT_COST, formatPasswordHash, hashPasswordSync, type PasswordHash, passwordMatches } from './password-hash';

const cost = { logN: 14, r: 8, p: 1 };
const policy = parseAccessPolicy(`
users:
  - {name: alice, passwordHash: "${formatPasswordHash(hashPasswordSync('alice-pass', cost))}"}
  - {name: bob, passwordHash: "${formatPasswordHash(hashPasswordSync('bob-pass', cost))}"}
  - {name: carol, passwordHash: "${formatPasswordHash(hashPasswordSync('carol-pass', cost))}"}
`);

/** The real scrypt check, recording which hash each call checked against (no timing: the machine may be loaded). */
function countingMatches() {
  const checked: PasswordHash[] = [];
  const matches = (expected: PasswordHash, password: string) => {
    checked.push(expected);
    return passwordMatches(expected, password);
  };
  return { checked, matches };
}

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
    const { checked, matches } = countingMatches();
    const auth = new PasswordAuthenticator(policy.users, { entries: 10, ttlMs: 1000 }, () => now, matches);
    await expect(auth.authenticate('alice', 'alice-pass')).resolves.toBe('alice');
    await expect(auth.authenticate('alice', 'alice-pass')).resolves.toBe('alice');
    expect(checked).toHaveLength(1);
    await expect(auth.authenticate('alice', 'nope')).resolves.toBeNull();
    await expect(auth.authenticate('alice', 'nope')).resolves.toBeNull();
    expect(checked).toHaveLength(3);
    expect(auth.cachedCredentials).toBe(1);
    now = 1001;
    await expect(auth.authenticate('alice', 'alice-pass')).resolves.toBe('alice');
    expect(checked).toHaveLength(4);
  });

  it('identical checks in flight share one hash', async () => {
    const { checked, matches } = countingMatches();
    const auth = new PasswordAuthenticator(policy.users, undefined, undefined, matches);
    const answers = await Promise.all([1, 2, 3].map(() => auth.authenticate('bob', 'bob-pass')));
    expect(answers).toEqual(['bob', 'bob', 'bob']);
    expect(checked).toHaveLength(1);
  });

  it('an unknown name is hashed too, against a decoy of the users\' cost (no user enumeration by timing)', async () => {
    const { checked, matches } = countingMatches();
    const auth = new PasswordAuthenticator(policy.users, undefined, undefined, matches);
    await expect(auth.authenticate('mallory', 'nope')).resolves.toBeNull();
    expect(checked).toHaveLength(1);
    expect(checked[0]).toMatchObject(cost);
    expect(checked[0]).not.toBe(policy.users[0]!.password);
  });

  it('with hashes of several costs, the decoy takes the most common one', async () => {
    const mixed = parseAccessPolicy(`
users:
  - {name: cheap, passwordHash: "${formatPasswordHash(hashPasswordSync('x', cost))}"}
  - {name: plain1, password: p1}
  - {name: plain2, password: p2}
`);
    const { checked, matches } = countingMatches();
    const auth = new PasswordAuthenticator(mixed.users, undefined, undefined, matches);
    await expect(auth.authenticate('mallory', 'nope')).resolves.toBeNull();
    // The plain passwords were hashed at the default cost: two users against one.
    expect(checked[0]).toMatchObject(DEFAULT_SCRYPT_COST);
  });

  it('keeps at most `entries` credentials, the least recently used going first, and never the password', async () => {
    const { checked, matches } = countingMatches();
    const auth = new PasswordAuthenticator(policy.users, { entries: 2, ttlMs: 60000 }, undefined, matches);
    for (const u of ['alice', 'bob', 'alice', 'carol']) await auth.authenticate(u, `${u}-pass`);
    expect(auth.cachedCredentials).toBe(2);
    const remembered = JSON.stringify([...(auth as unknown as { verified: Map<string, unknown> }).verified]);
    expect(remembered).not.toMatch(/-pass/);
    expect(checked).toHaveLength(3);
    // alice was used after bob, so bob went: alice is still answered from the cache, bob is hashed again.
    await auth.authenticate('alice', 'alice-pass');
    expect(checked).toHaveLength(3);
    await auth.authenticate('bob', 'bob-pass');
    expect(checked).toHaveLength(4);
  });

  it('runs at most hashesPerClient slow checks per client at once; remembered and shared checks cost none; other clients go on', async () => {
    // Hashes held until the test releases them.
    const held: (() => void)[] = [];
    const matches = (expected: PasswordHash, password: string) =>
      new Promise<boolean>((resolve) => held.push(() => void passwordMatches(expected, password).then(resolve)));
    const auth = new PasswordAuthenticator(policy.users, { entries: 10, ttlMs: 60_000 }, () => 0, matches, 2);
    const first = auth.authenticate('alice', 'alice-pass', '10.0.0.1');
    const second = auth.authenticate('nobody', 'x', '10.0.0.1');
    await expect(auth.authenticate('nobody-else', 'y', '10.0.0.1')).rejects.toBeInstanceOf(PasswordChecksBusyError);
    // The same credential already in flight shares its hash; another client has its own share.
    const shared = auth.authenticate('alice', 'alice-pass', '10.0.0.1');
    const other = auth.authenticate('bob', 'bob-pass', '10.0.0.2');
    expect(held).toHaveLength(3);
    held.splice(0).forEach((release) => release());
    await expect(Promise.all([first, second, shared, other])).resolves.toEqual(['alice', null, 'alice', 'bob']);
    // Slots are given back; a remembered credential needs none even while the client is at its cap.
    const third = auth.authenticate('carol', 'carol-pass', '10.0.0.1');
    const fourth = auth.authenticate('nobody', 'z', '10.0.0.1');
    await expect(auth.authenticate('alice', 'alice-pass', '10.0.0.1')).resolves.toBe('alice');
    await expect(auth.authenticate('carol', 'wrong', '10.0.0.1')).rejects.toBeInstanceOf(PasswordChecksBusyError);
    held.splice(0).forEach((release) => release());
    await expect(Promise.all([third, fourth])).resolves.toEqual(['carol', null]);
  });
});
