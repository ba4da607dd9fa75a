/**
 * Per-target (URL origin) isolation inside one worker: an in-flight cap, a token-bucket rate,
 * and a pause the receiver asked for (Retry-After). A delivery whose target has no slot does not
 * wait in a worker slot: it is put back as a delayed job, so a slow or dead receiver holds at most
 * `concurrency` slots and never delays deliveries to other targets. All of it is this process's
 * own view: other workers learn a receiver's Retry-After from their own POSTs.
 */
export class TargetLimiter {
  private readonly inFlight = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    private readonly concurrency: number,
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot; returns a release function, or null with the ms to wait before trying again. */
  tryAcquire(target: string): { release: () => void } | { retryInMs: number } {
    const paused = this.pausedMs(target);
    if (paused > 0) return { retryInMs: paused };
    const n = this.inFlight.get(target) ?? 0;
    if (n >= this.concurrency) return { retryInMs: 50 };
    if (this.ratePerSecond > 0) {
      const t = this.now();
      const b = this.buckets.get(target) ?? { tokens: this.ratePerSecond, at: t };
      b.tokens = Math.min(this.ratePerSecond, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
      b.at = t;
      this.buckets.set(target, b);
      if (b.tokens < 1) return { retryInMs: Math.ceil(((1 - b.tokens) / this.ratePerSecond) * 1000) };
      b.tokens -= 1;
    }
    this.inFlight.set(target, n + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(target) ?? 1) - 1;
        if (left <= 0) this.inFlight.delete(target);
        else this.inFlight.set(target, left);
      },
    };
  }

  /** 0 when tryAcquire would succeed now, else the ms to wait; takes nothing. */
  wouldWait(target: string): number {
    const paused = this.pausedMs(target);
    if (paused > 0) return paused;
    if ((this.inFlight.get(target) ?? 0) >= this.concurrency) return 50;
    if (this.ratePerSecond <= 0) return 0;
    const b = this.buckets.get(target);
    if (!b) return 0;
    const tokens = Math.min(this.ratePerSecond, b.tokens + ((this.now() - b.at) / 1000) * this.ratePerSecond);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.ratePerSecond) * 1000);
  }

  /** No slots of `target` for `ms` from now (a pause already running longer is kept). */
  pause(target: string, ms: number): void {
    if (ms <= 0) return;
    const until = this.now() + ms;
    if (until > (this.pausedUntil.get(target) ?? 0)) this.pausedUntil.set(target, until);
  }

  /** The ms left of `target`'s pause, 0 when it has none. */
  pausedMs(target: string): number {
    const until = this.pausedUntil.get(target);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left > 0) return left;
    this.pausedUntil.delete(target);
    return 0;
  }

  active(target: string): number {
    return this.inFlight.get(target) ?? 0;
  }
}

/** Exponential backoff with jitter: attempt n (1-based, the one that failed) waits in [d/2, d], d = min(max, base·2^(n-1)). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

/**
 * How long a failed answer pauses its whole target: a 429 or 503 with Retry-After for that long
 * (RFC 9110 §10.2.3, Standard Webhooks: the receiver asks the sender to wait), up to the longest
 * backoff as a delivery's own delay is; a 429 without one for the base backoff (it says the sender
 * as a whole sends too much, but not for how long). Anything else pauses nothing: a 503 without a
 * time, a 5xx or a timeout is that delivery's failure, retried with its own backoff.
 */
export function targetPauseMs(statusCode: number | null, retryAfterMs: number | null, baseMs: number, maxMs: number): number {
  if (statusCode !== 429 && statusCode !== 503) return 0;
  if (retryAfterMs !== null) return Math.min(retryAfterMs, maxMs);
  return statusCode === 429 ? Math.min(baseMs, maxMs) : 0;
}

/** The target key: scheme://host:port of the delivery URL. */
export function targetKeyOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
