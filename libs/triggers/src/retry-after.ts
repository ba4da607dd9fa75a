/**
 * How long a receiver asked the sender to wait before the next attempt, from its `Retry-After`
 * header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), in ms; null when absent or unreadable.
 * Standard Webhooks: a response carrying it (a 429 or 503) "should be taken into consideration when
 * scheduling the next attempt".
 */
export function retryAfterMs(header: string | string[] | undefined, nowMs = Date.now()): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = httpDateMs(value, nowMs);
  return at === null ? null : Math.max(0, at - nowMs);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const day = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const longDay = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const month = `(${months.join('|')})`;
const time = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7's three forms, all UTC. Date.parse is not used: it reads asctime (which names no
// zone) as the process's local time, and takes many forms that are no HTTP-date (offsets, 31 Feb).
const imfFixdate = new RegExp(`^${day}, (\\d{2}) ${month} (\\d{4}) ${time} GMT$`);
const rfc850Date = new RegExp(`^${longDay}, (\\d{2})-${month}-(\\d{2}) ${time} GMT$`);
const asctimeDate = new RegExp(`^${day} ${month} ( ?\\d{1,2}) ${time} (\\d{4})$`);

/** An HTTP-date as ms since the epoch, or null when `value` is none (or names no real instant). */
function httpDateMs(value: string, nowMs: number): number | null {
  let m = imfFixdate.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  m = rfc850Date.exec(value);
  if (m) {
    // A two-digit year more than 50 years ahead is the most recent past year ending in those digits.
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!);
  }
  m = asctimeDate.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, m[2]!, m[3]!, m[4]!, m[5]!);
  return null;
}

function utc(
  year: number,
  monthName: string,
  dayText: string,
  hh: string,
  mm: string,
  ss: string,
): number | null {
  const [mon, d, h, min, s] = [
    months.indexOf(monthName),
    Number(dayText.trim()),
    Number(hh),
    Number(mm),
    Number(ss),
  ];
  const at = Date.UTC(year, mon, d, h, min, s);
  const check = new Date(at);
  // Date.UTC rolls 31 Feb over into March and hour 24 into the next day: such a date names nothing.
  // A leap second (:60) is not representable either and is refused the same way.
  if (
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== min ||
    check.getUTCSeconds() !== s
  )
    return null;
  return at;
}
