import { ago, humanDuration } from './human-duration';

describe('humanDuration (docker/go-units)', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [s, '1 second'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [2 * m, '2 minutes'],
    [59 * m, '59 minutes'],
    [60 * m, 'About an hour'],
    [89 * m, 'About an hour'],
    [90 * m, '2 hours'],
    [47 * h, '47 hours'],
    [48 * h, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('formats "ago" from RFC3339 and ignores missing or bad times', () => {
    const now = new Date('2025-03-01T10:05:00Z');
    expect(ago('2025-03-01T10:00:00Z', now)).toBe('5 minutes ago');
    expect(ago('2025-03-01T10:06:00Z', now)).toBe('Less than a second ago');
    expect(ago(undefined, now)).toBe('');
    expect(ago('garbage', now)).toBe('');
  });
});
