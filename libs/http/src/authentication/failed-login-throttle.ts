import { type FailedLoginLimit, onePerPolicy } from '@app/config';

/** Clients remembered at most; the oldest is forgotten first (a flood of addresses cannot grow memory). */
const MAX_CLIENTS = 10000;

/**
 * Slows password guessing: each (client address, user name) pair may fail `burst` times, then
 * once per `intervalSeconds` (a token bucket that only failures drain). While its bucket is empty
 * the pair is answered 429 with Retry-After before its credentials are even checked, so a right
 * guess cannot be told from a wrong one and a guess costs no slow hash. Keyed by the pair, not the
 * address alone, so clients behind one proxy do not throttle each other's users, and not the user
 * alone, so anyone cannot lock a user out. Per replica, in memory: N replicas allow N times the
 * guesses, still a rate instead of none. One per policy in a process (failedLoginThrottleOf), so
 * the API and the registry token endpoint count the same failures.
 */
export class FailedLoginThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: FailedLoginLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the client must wait before trying this user again; 0 = may try now. */
  retryAfterSeconds(address: string, user: string): number {
    if (this.limit.burst === 0) return 0;
    const tokens = this.tokensOf(`${address} ${user}`);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.limit.intervalSeconds);
  }

  recordFailure(address: string, user: string): void {
    if (this.limit.burst === 0) return;
    const key = `${address} ${user}`;
    const tokens = Math.max(0, this.tokensOf(key) - 1);
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: this.now() });
    if (this.buckets.size > MAX_CLIENTS) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /** The bucket refilled to now; a full one is forgotten. */
  private tokensOf(key: string): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.limit.burst;
    const now = this.now();
    const tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) / (this.limit.intervalSeconds * 1000));
    if (tokens >= this.limit.burst) this.buckets.delete(key);
    else {
      bucket.tokens = tokens;
      bucket.at = now;
    }
    return tokens;
  }
}

/**
 * The one throttle of a policy in this process: API authentication and the registry token
 * endpoint both check and feed it, so failures at either throttle both (two throttles would give
 * a guesser twice the tries, and admit at one place a pair throttled at the other).
 */
export const failedLoginThrottleOf = onePerPolicy((policy) => new FailedLoginThrottle(policy.failedLogins));
