/** The whole of one delivery attempt took longer than the configured timeout. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * One deadline for every step of an attempt (address check, connect, headers, body). undici's own
 * timeouts each cover one phase, and above a second they run on its coarse 500 ms timer wheel, so
 * together they overshot the configured value by up to half a second per phase. One timer and one
 * AbortController per attempt (cheaper than AbortSignal.timeout, whose signals are tracked for GC).
 */
export class AttemptDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly expired: Promise<never>;

  constructor(readonly timeoutMs: number) {
    this.expired = new Promise<never>((_, reject) => {
      this.controller.signal.addEventListener('abort', () => reject(this.controller.signal.reason as Error), {
        once: true,
      });
    });
    // Only awaited through `race`; an unraced expiry must not be an unhandled rejection.
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => this.controller.abort(new AttemptTimeoutError(timeoutMs)), timeoutMs);
  }

  /** Aborts the request (undici) and its body when the deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * `work`, or an AttemptTimeoutError as soon as the deadline passes, whichever is first. Needed
   * beside `signal` because undici acts on an abort only once the request has a socket: a connect
   * that hangs would otherwise run until the connect timeout.
   */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  /** Stops the timer (the attempt is over). */
  clear(): void {
    clearTimeout(this.timer);
  }
}
