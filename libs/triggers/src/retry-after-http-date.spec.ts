import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * RFC 9110 §5.6.7: an HTTP-date is always UTC, in one of three formats a recipient must accept
 * (IMF-fixdate, the obsolete RFC 850 form and asctime). asctime carries no zone name, and a worker
 * whose TZ is not UTC read it (through Date.parse) as local time: a receiver's pause was taken as
 * hours too long (then capped) or as already over.
 *
 * Jest's sandbox keeps its own copy of process.env, so TZ cannot be changed in this process: the
 * parser runs in a child process whose local time is 5 hours behind UTC (New York in November).
 */
function retryAfterInNewYork(cases: Array<[value: string, nowIso: string]>): Array<number | null> {
  const script = `
    const { retryAfterMs } = require('./libs/triggers/src/retry-after');
    const cases = JSON.parse(process.argv[1]);
    process.stdout.write(JSON.stringify(cases.map(([v, now]) => retryAfterMs(v, Date.parse(now)))));`;
  const out = execFileSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-e', script, JSON.stringify(cases)],
    {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, TZ: 'America/New_York' },
    },
  );
  return JSON.parse(out.toString()) as Array<number | null>;
}

describe('retryAfterMs: HTTP-dates are UTC whatever the process time zone', () => {
  it('reads the three formats as the same instant; an RFC 850 year over 50 years ahead is in the past; other forms are ignored', () => {
    const now = '1994-11-06T08:49:00Z';
    const in2030 = '2030-01-01T00:00:00Z';
    expect(
      retryAfterInNewYork([
        ['Sun, 06 Nov 1994 08:49:37 GMT', now],
        ['Sunday, 06-Nov-94 08:49:37 GMT', now],
        ['Sun Nov  6 08:49:37 1994', now],
        ['Sun Nov 06 08:49:37 1994', now],
        // RFC 850's two-digit year: "94" seen from 2030 is 1994 (passed), "31" is 2031.
        ['Sunday, 06-Nov-94 08:49:37 GMT', in2030],
        ['Wednesday, 01-Jan-31 00:00:00 GMT', in2030],
        // Not HTTP-dates, ignored as any unreadable value is: without GMT the IMF form would be
        // local time again; an offset is no form RFC 9110 allows; no 31 February, no hour 24.
        ['Sun, 06 Nov 1994 08:49:37', now],
        ['Sun, 06 Nov 1994 08:49:37 +0200', now],
        ['Thu, 31 Feb 1994 08:49:37 GMT', now],
        ['Sun, 06 Nov 1994 24:00:00 GMT', now],
      ]),
    ).toEqual([37_000, 37_000, 37_000, 37_000, 0, 365 * 86_400_000, null, null, null, null]);
  });
});
