import { nowTimestamp } from './names';

describe('nowTimestamp', () => {
  it('gives RFC 3339 with second precision, as metav1.Time serialises', () => {
    expect(nowTimestamp(new Date('2026-12-03T08:15:46.789Z'))).toBe('2026-12-03T08:15:46Z');
    expect(nowTimestamp(new Date('1999-01-01T00:00:00.000Z'))).toBe('1999-01-01T00:00:00Z');
  });

  it('keeps years outside 0–9999 in their extended form, without milliseconds', () => {
    expect(nowTimestamp(new Date('+010000-01-01T00:00:00.123Z'))).toBe('+010000-01-01T00:00:00Z');
  });

  it('defaults to the current time', () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const stamp = Date.parse(nowTimestamp());
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });
});
