/**
 * The order of one owner's fires at its receiver, within a worker process. Two fires of one
 * trigger from pushes evaluated in quick succession are sent by different batch jobs; their POSTs
 * overlapped and a receiver handling requests concurrently finished the older one last, moving the
 * dependent back to an older image (the older-image rule). Here a fire's POST waits for an
 * older fire of the same owner still in flight in this process, and a fire older than one already
 * started here is not sent at all (superseded).
 *
 * Per process, in memory: a POST lasts at most the delivery timeout, so a wait is bounded; across
 * worker replicas the database's rules apply (superseded-retry.ts for retries). The newest fire
 * started per owner is remembered for the most recent `capacity` owners (oldest forgotten first).
 */
export class OwnerSendOrder {
  /** owner uid → seq of the newest fire whose POST started here (Map order: least recently started first). */
  private readonly newest = new Map<string, bigint>();
  /** owner uid → the POST in flight (settles when it ends). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly capacity = 100_000) {}

  /** Whether a fire of `owner` newer than `seq` has started here (its outcome unknown to this class). */
  newerStarted(owner: string, seq: string): boolean {
    const started = this.newest.get(owner);
    return started !== undefined && started > BigInt(seq);
  }

  /**
   * Before the POST of fire `seq` of `owner`: 'superseded' when a newer fire of the owner already
   * started here (unless `mayBeSuperseded` is false: a retry, which the database's rule already
   * judged); else, once no other fire of the owner is in flight here, the function to call when the
   * POST ended.
   */
  async enter(owner: string, seq: string, mayBeSuperseded = true): Promise<'superseded' | (() => void)> {
    const mine = BigInt(seq);
    for (;;) {
      const started = this.newest.get(owner);
      if (mayBeSuperseded && started !== undefined && started > mine) return 'superseded';
      const busy = this.inFlight.get(owner);
      if (!busy) break;
      await busy;
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.inFlight.set(owner, done);
    const started = this.newest.get(owner);
    this.newest.delete(owner);
    this.newest.set(owner, started !== undefined && started > mine ? started : mine);
    if (this.newest.size > this.capacity) this.newest.delete(this.newest.keys().next().value!);
    return () => {
      if (this.inFlight.get(owner) === done) this.inFlight.delete(owner);
      release();
    };
  }
}
