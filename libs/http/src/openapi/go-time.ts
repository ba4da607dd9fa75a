/**
 * Why Go's `time.Parse(time.RFC3339, value)` refuses a value, in its own words (the ParseError
 * text), or null when it takes it: what kube-apiserver's decoder answers for a metav1.Time field
 * (`creationTimestamp`, a condition's `lastTransitionTime`, a tag event's `created`) that is not
 * a time. Hand-written: the error texts are Go's, which no npm date parser gives; the walk follows
 * Go's parser over the layout's elements, byte by byte as Go indexes strings.
 */
export function goRfc3339ParseError(value: string): string | null {
  const bytes = Buffer.from(value, 'utf8').toString('latin1');
  const fail = (layoutElem: string, valueElem: string) =>
    `parsing time ${goQuote(bytes)} as ${goQuote(RFC3339)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`;
  const outOfRange = (what: string) => `parsing time ${goQuote(bytes)}: ${what} out of range`;
  let rest = bytes;
  const literal = (char: string): boolean => {
    if (rest[0] !== char) return false;
    rest = rest.slice(1);
    return true;
  };
  const isDigit = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';
  /** Go's getnum: two digits (one too when not fixed), or null. */
  const number = (fixed: boolean): number | null => {
    if (!isDigit(rest, 0)) return null;
    if (!isDigit(rest, 1)) {
      if (fixed) return null;
      const n = Number(rest[0]);
      rest = rest.slice(1);
      return n;
    }
    const n = Number(rest.slice(0, 2));
    rest = rest.slice(2);
    return n;
  };

  let hold = rest;
  if (rest.length < 4 || !isDigit(rest, 0) || !/^[0-9]{4}$/.test(rest.slice(0, 4))) return fail('2006', hold);
  const year = Number(rest.slice(0, 4));
  rest = rest.slice(4);
  if (!literal('-')) return fail('-', rest);
  hold = rest;
  const month = number(true);
  if (month === null) return fail('01', hold);
  if (month < 1 || month > 12) return outOfRange('month');
  if (!literal('-')) return fail('-', rest);
  hold = rest;
  const day = number(true);
  if (day === null) return fail('02', hold);
  if (!literal('T')) return fail('T', rest);
  hold = rest;
  const hour = number(false);
  if (hour === null) return fail('15', hold);
  if (hour > 23) return outOfRange('hour');
  if (!literal(':')) return fail(':', rest);
  hold = rest;
  const minute = number(true);
  if (minute === null) return fail('04', hold);
  if (minute > 59) return outOfRange('minute');
  if (!literal(':')) return fail(':', rest);
  hold = rest;
  const second = number(true);
  if (second === null) return fail('05', hold);
  if (second > 59) return outOfRange('second');
  // A fraction the layout does not name is taken after the seconds, as Go takes it.
  if (rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigit(rest, 1)) {
    let n = 2;
    while (isDigit(rest, n)) n++;
    rest = rest.slice(n);
  }
  hold = rest;
  if (rest[0] === 'Z') rest = rest.slice(1);
  else {
    if (rest.length < 6 || rest[3] !== ':') return fail('Z07:00', hold);
    const [sign, hh, mm] = [rest[0], rest.slice(1, 3), rest.slice(4, 6)];
    rest = rest.slice(6);
    const digits = /^[0-9]{2}$/;
    if (!digits.test(hh) || !digits.test(mm)) return fail('Z07:00', hold);
    // Go compares with > here: offsets of 24 hours or 60 minutes are written.
    if (Number(hh) > 24) return outOfRange('time zone offset hour');
    if (Number(mm) > 60) return outOfRange('time zone offset minute');
    if (sign !== '+' && sign !== '-') return fail('Z07:00', hold);
  }
  if (rest.length > 0) return `parsing time ${goQuote(bytes)}: extra text: ${goQuote(rest)}`;
  if (day < 1 || day > daysIn(month, year)) return outOfRange('day');
  return null;
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Go's time package quote(): `"` and `\` escaped, every byte of a non-ASCII or control character
 * as `\xNN`. `bytes` holds one character per byte (latin1 of the UTF-8).
 */
function goQuote(bytes: string): string {
  let out = '"';
  for (const c of bytes) {
    const code = c.charCodeAt(0);
    if (code >= 0x80 || code < 0x20) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}
