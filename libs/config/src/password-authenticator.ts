import { createHmac, randomBytes } from 'node:crypto';
import type { AccessUser } from './access-policy';
import { onePerPolicy } from './one-per-policy';
import { DEFAULT_SCRYPT_COST, type PasswordHash, passwordMatches } from './password-hash';

export interface VerifiedCredentialCache {
  /** Most credentials remembered; the least recently used goes first. */
  entries: number;
  /** How long a verified credential is trusted without hashing it again. */
  ttlMs: number;
}

const DEFAULT_CACHE: VerifiedCredentialCache = { entries: 1024, ttlMs: 10 * 60_000 };

/**
 * Slow hashes one client may have running at once. Hashes run on libuv's four threads: without a
 * cap, one client sending many made-up names at once (each pays a full hash, and the failed-login
 * throttle counts per name) queued every other user's first login behind them for tens of seconds.
 */
export const DEFAULT_HASHES_PER_CLIENT = 2;

/** A client already has its share of password checks running: answer 429 and let it retry. */
export class PasswordChecksBusyError extends Error {
  constructor() {
    super('too many password checks in flight from this client');
  }
}

/**
 * The cost most users' hashes have: the decoy takes it, so an unknown name cannot be told from
 * most users by time (a file whose hashes all share one cost, as the README command makes them,
 * hides every user).
 */
function mostCommonCost(users: readonly AccessUser[]): Pick<PasswordHash, 'logN' | 'r' | 'p'> {
  const counts = new Map<string, { cost: Pick<PasswordHash, 'logN' | 'r' | 'p'>; n: number }>();
  for (const { password: { logN, r, p } } of users) {
    const key = `${logN},${r},${p}`;
    const entry = counts.get(key) ?? { cost: { logN, r, p }, n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  let best: { cost: Pick<PasswordHash, 'logN' | 'r' | 'p'>; n: number } = { cost: DEFAULT_SCRYPT_COST, n: 0 };
  for (const entry of counts.values()) if (entry.n > best.n) best = entry;
  return best.cost;
}

/**
 * Checks a user name and password against the policy's scrypt hashes. A slow hash on every API
 * request would cost tens of milliseconds and 32 MiB each, so a credential that verified is
 * remembered for a while, keyed by an HMAC of it under a key made at start (never the password;
 * an HMAC key that dies with the process). Only successes are remembered, so a guess always pays
 * the full hash; identical checks in flight share one hash. An unknown name is hashed against a
 * decoy of the most common cost (mostCommonCost), so its answer takes as long as a wrong password's.
 */
export class PasswordAuthenticator {
  private readonly hashes = new Map<string, PasswordHash>();
  private readonly decoy: PasswordHash;
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, { user: string; until: number }>();
  private readonly inFlight = new Map<string, Promise<string | null>>();
  /** Slow hashes running per client (address), for the per-client cap. */
  private readonly hashing = new Map<string, number>();

  constructor(
    users: readonly AccessUser[],
    private readonly cache: VerifiedCredentialCache = DEFAULT_CACHE,
    private readonly now: () => number = Date.now,
    /** The slow hash check (scrypt); a parameter so tests can count how often it runs. */
    private readonly matches: (expected: PasswordHash, password: string) => Promise<boolean> = passwordMatches,
    private readonly hashesPerClient: number = DEFAULT_HASHES_PER_CLIENT,
  ) {
    for (const u of users) this.hashes.set(u.name, u.password);
    const cost = mostCommonCost(users);
    this.decoy = { ...cost, salt: randomBytes(16), hash: randomBytes(32) };
  }

  /**
   * The user's name when `password` is theirs, else null. `client` (the caller's address) gets at
   * most `hashesPerClient` slow checks at once; beyond that this rejects with
   * PasswordChecksBusyError. A remembered credential, or one already being checked, costs no hash.
   */
  authenticate(name: string, password: string, client = ''): Promise<string | null> {
    const key = createHmac('sha256', this.cacheKey).update(`${name.length}:${name}:${password}`).digest('base64');
    const hit = this.verified.get(key);
    if (hit) {
      this.verified.delete(key);
      if (hit.until > this.now()) {
        this.verified.set(key, hit);
        return Promise.resolve(hit.user);
      }
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      const running = this.hashing.get(client) ?? 0;
      if (running >= this.hashesPerClient) return Promise.reject(new PasswordChecksBusyError());
      this.hashing.set(client, running + 1);
      pending = this.verify(key, name, password).finally(() => {
        this.inFlight.delete(key);
        const left = (this.hashing.get(client) ?? 1) - 1;
        if (left > 0) this.hashing.set(client, left);
        else this.hashing.delete(client);
      });
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** How many verified credentials are remembered (for tests of the bound). */
  get cachedCredentials(): number {
    return this.verified.size;
  }

  private async verify(key: string, name: string, password: string): Promise<string | null> {
    const expected = this.hashes.get(name);
    const matches = await this.matches(expected ?? this.decoy, password);
    if (!expected || !matches) return null;
    if (this.cache.entries > 0) {
      this.verified.set(key, { user: name, until: this.now() + this.cache.ttlMs });
      while (this.verified.size > this.cache.entries) this.verified.delete(this.verified.keys().next().value!);
    }
    return name;
  }
}

/**
 * The one PasswordAuthenticator of a policy in this process: API authentication and the registry
 * token endpoint share its per-client cap on slow checks and its remembered credentials (two
 * would let a client run twice the hashes at once, and make a user pay the slow check twice).
 */
export const passwordAuthenticatorOf = onePerPolicy((policy) => new PasswordAuthenticator(policy.users));
