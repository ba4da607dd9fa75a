import { retryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs(['7', '9'], now)).toBe(7000);
  });

  it('reads an HTTP-date as the time left until it (none when it has passed)', () => {
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable value', () => {
    for (const v of [undefined, '', '-5', '1.5', '10s', 'soon', 'Xyz, 99 Foo 2026']) expect(retryAfterMs(v, now)).toBeNull();
  });
});
