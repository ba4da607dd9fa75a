import { attemptClockIso, wallClockMs } from './attempt-clock';

describe('attempt clock', () => {
  it('writes microseconds after the milliseconds', () => {
    expect(attemptClockIso(Date.UTC(2026, 11, 5, 13, 18, 48, 170) + 0.687)).toBe('2026-12-05T13:18:48.170687Z');
    expect(attemptClockIso(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + 0.004)).toBe('2026-01-01T00:00:00.000004Z');
    expect(attemptClockIso(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('follows the wall clock now, to within a few milliseconds of Date', () => {
    const before = Date.now();
    const at = Date.parse(attemptClockIso());
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('keeps the monotonic clock\'s differences between two readings', () => {
    const t0 = performance.now();
    const t1 = t0 + 12.345;
    expect(wallClockMs(t1) - wallClockMs(t0)).toBeCloseTo(12.345, 3); // an epoch in ms is exact to about 0.25 µs as a double
  });

  it('follows a stepped wall clock instead of the clock it had at start', () => {
    const realNow = Date.now;
    try {
      const stepped = realNow() + 60_000;
      Date.now = () => stepped;
      expect(Math.abs(wallClockMs() - stepped)).toBeLessThan(5);
    } finally {
      Date.now = realNow;
    }
  });
});
