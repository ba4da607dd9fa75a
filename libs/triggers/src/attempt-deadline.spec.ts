import { AttemptDeadline, AttemptTimeoutError } from './attempt-deadline';

describe('AttemptDeadline (one bound for the whole delivery attempt)', () => {
  it('ends a step that never finishes at the deadline, and aborts the signal', async () => {
    const deadline = new AttemptDeadline(150);
    const t0 = performance.now();
    await expect(deadline.race(new Promise(() => undefined))).rejects.toBeInstanceOf(AttemptTimeoutError);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(140);
    // The step never settles: ending at all is the point; the bound only allows for a loaded machine's late timers.
    expect(took).toBeLessThan(10000);
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('timed out after 150 ms');
  });

  it('covers consecutive steps together, not each on its own', async () => {
    const deadline = new AttemptDeadline(200);
    const step = () => new Promise((r) => setTimeout(r, 120));
    await deadline.race(step());
    await expect(deadline.race(step())).rejects.toBeInstanceOf(AttemptTimeoutError);
  });

  it('passes results through and stops its timer when cleared', async () => {
    const deadline = new AttemptDeadline(50);
    await expect(deadline.race(Promise.resolve(7))).resolves.toBe(7);
    deadline.clear();
    await new Promise((r) => setTimeout(r, 80));
    expect(deadline.signal.aborted).toBe(false);
  });
});
