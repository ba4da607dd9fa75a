import { attemptClockIso } from './attempt-clock';

describe('attemptClockIso', () => {
  it('writes microseconds after the milliseconds', () => {
    expect(attemptClockIso(Date.UTC(2026, 11, 5, 13, 18, 48, 170) + 0.687)).toBe('2026-12-05T13:18:48.170687Z');
    expect(attemptClockIso(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + 0.004)).toBe('2026-01-01T00:00:00.000004Z');
    expect(attemptClockIso(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000000Z');
  });

  it('follows the clock now, to within a few milliseconds of Date', () => {
    const before = Date.now();
    const at = Date.parse(attemptClockIso());
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
  });
});
