import { BatchSendQueue, type SlotSource } from './batch-send-queue';

/** Slots per target: `limits` in flight at most (no rate), released by the test. */
function slotsOf(limits: Record<string, number>): SlotSource & { inFlight: Map<string, number>; paused: Map<string, number> } {
  const inFlight = new Map<string, number>();
  const paused = new Map<string, number>();
  return {
    inFlight,
    paused,
    pausedMs: (target: string) => paused.get(target) ?? 0,
    tryAcquire(target: string) {
      if (paused.has(target)) return { retryInMs: paused.get(target)! };
      const n = inFlight.get(target) ?? 0;
      if (n >= (limits[target] ?? 1)) return { retryInMs: 50 };
      inFlight.set(target, n + 1);
      return { release: () => inFlight.set(target, (inFlight.get(target) ?? 1) - 1) };
    },
  };
}

const row = (id: string, target: string) => ({ id, target_key: target });

describe('BatchSendQueue', () => {
  it('skips the rows of a busy target, so rows of other targets behind them go first', () => {
    const slots = slotsOf({ slow: 1, ok: 10 });
    const queue = new BatchSendQueue([row('s1', 'slow'), row('s2', 'slow'), row('s3', 'slow'), row('o1', 'ok'), row('o2', 'ok')], slots, 1000, () => undefined, () => 0);
    const taken = [queue.next(), queue.next(), queue.next()].map((n) => (typeof n === 'string' ? n : n.row.id));
    expect(taken).toEqual(['s1', 'o1', 'o2']);
    expect(queue.next()).toBe('wait');
  });

  it('hands a busy target its slot again once one is released', () => {
    const slots = slotsOf({ slow: 1 });
    const queue = new BatchSendQueue([row('s1', 'slow'), row('s2', 'slow')], slots, 1000, () => undefined, () => 0);
    const first = queue.next();
    expect(queue.next()).toBe('wait');
    if (typeof first === 'string') throw new Error('expected a row');
    first.slot.release();
    const second = queue.next();
    expect(typeof second === 'string' ? second : second.row.id).toBe('s2');
    expect(queue.next()).toBe('done');
  });

  it('gives up the rows of a target busy for giveUpMs, and of a stopped one', () => {
    let now = 0;
    const given: string[] = [];
    const slots = slotsOf({ slow: 1, failing: 5, ok: 5 });
    const queue = new BatchSendQueue(
      [row('s1', 'slow'), row('s2', 'slow'), row('f1', 'failing'), row('f2', 'failing'), row('o1', 'ok')],
      slots,
      1000,
      (r) => given.push(r.id),
      () => now,
    );
    const order = [queue.next(), queue.next()].map((n) => (typeof n === 'string' ? n : n.row.id));
    expect(order).toEqual(['s1', 'f1']);
    queue.stop('failing');
    expect(given).toEqual(['f2']);
    const third = queue.next();
    expect(typeof third === 'string' ? third : third.row.id).toBe('o1');
    expect(queue.next()).toBe('wait');
    now = 999;
    expect(queue.next()).toBe('wait');
    now = 1000;
    expect(queue.next()).toBe('done');
    expect(given).toEqual(['f2', 's2']);
  });

  it('takes rows added later (a batch claimed in parts); a stopped target\'s go to onGiveUp at once', () => {
    const given: string[] = [];
    const slots = slotsOf({ ok: 5, failing: 5 });
    const queue = new BatchSendQueue([row('o1', 'ok'), row('f1', 'failing')], slots, 1000, (r) => given.push(r.id), () => 0);
    const taken = [queue.next(), queue.next()].map((n) => (typeof n === 'string' ? n : n.row.id));
    expect(taken).toEqual(['o1', 'f1']);
    expect(queue.next()).toBe('done');
    queue.stop('failing');
    queue.add([row('f2', 'failing'), row('o2', 'ok')]);
    expect(given).toEqual(['f2']);
    const next = queue.next();
    expect(typeof next === 'string' ? next : next.row.id).toBe('o2');
    expect(queue.next()).toBe('done');
  });

  it('a paused target (its receiver sent Retry-After) gives up its rows at once, each with the pause left', () => {
    const given: [string, number][] = [];
    const slots = slotsOf({ limited: 5, ok: 5 });
    const queue = new BatchSendQueue(
      [row('l1', 'limited'), row('l2', 'limited'), row('l3', 'limited'), row('o1', 'ok')],
      slots,
      1000,
      (r, delayMs) => given.push([r.id, delayMs]),
      () => 0,
    );
    const first = queue.next();
    expect(typeof first === 'string' ? first : first.row.id).toBe('l1');
    // l1's answer paused the target; the runner stops the target for this batch.
    slots.paused.set('limited', 2000);
    queue.stop('limited');
    expect(given).toEqual([['l2', 2000], ['l3', 2000]]);
    queue.add([row('l4', 'limited')]);
    expect(given).toEqual([['l2', 2000], ['l3', 2000], ['l4', 2000]]);
    const next = queue.next();
    expect(typeof next === 'string' ? next : next.row.id).toBe('o1');
    expect(queue.next()).toBe('done');
  });

  it('another batch\'s rows of a target paused meanwhile go at once to their own jobs, delayed by the pause', () => {
    const given: [string, number][] = [];
    const slots = slotsOf({ limited: 5, ok: 5 });
    slots.paused.set('limited', 1500);
    const queue = new BatchSendQueue([row('l1', 'limited'), row('o1', 'ok'), row('l2', 'limited')], slots, 1000, (r, delayMs) => given.push([r.id, delayMs]), () => 0);
    const next = queue.next();
    expect(typeof next === 'string' ? next : next.row.id).toBe('o1');
    // Not after giveUpMs of waiting: at once.
    expect(given).toEqual([['l1', 1500], ['l2', 1500]]);
    expect(queue.next()).toBe('done');
  });

  it('hands out rows only for handOutForMs: a target freeing a slot now and then does not keep its rows past the lease', () => {
    const given: string[] = [];
    let t = 0;
    const slots = slotsOf({ slow: 1 });
    const queue = new BatchSendQueue([row('s1', 'slow'), row('s2', 'slow'), row('s3', 'slow')], slots, 1000, (r) => given.push(r.id), () => t, 1500);
    const first = queue.next();
    if (typeof first === 'string') throw new Error('expected a row');
    t = 900; // busy for less than giveUpMs, then free again
    expect(queue.next()).toBe('wait');
    first.slot.release();
    const second = queue.next();
    expect(typeof second === 'string' ? second : second.row.id).toBe('s2');
    if (typeof second !== 'string') second.slot.release();
    t = 1500;
    expect(queue.next()).toBe('done');
    expect(given).toEqual(['s3']);
    queue.add([row('s4', 'slow')]);
    expect(given).toEqual(['s3', 's4']);
  });
});
