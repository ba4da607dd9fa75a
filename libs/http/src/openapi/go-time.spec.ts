import { goRfc3339ParseError } from './go-time';

const L = '"2006-01-02T15:04:05Z07:00"';

describe('goRfc3339ParseError (Go time.Parse(time.RFC3339, …) errors)', () => {
  it.each(['2026-12-07T05:19:40Z', '2026-12-07T05:19:40.123456Z', '2026-12-07T05:19:40+01:00', '2024-02-29T00:00:00-24:00', '2026-12-07T5:19:40Z'])('takes %s', (value) => {
    expect(goRfc3339ParseError(value)).toBeNull();
  });
  it.each([
    ['garbage', `parsing time "garbage" as ${L}: cannot parse "garbage" as "2006"`],
    ['', `parsing time "" as ${L}: cannot parse "" as "2006"`],
    ['2026/12/07', `parsing time "2026/12/07" as ${L}: cannot parse "/12/07" as "-"`],
    ['2026-12-07', `parsing time "2026-12-07" as ${L}: cannot parse "" as "T"`],
    ['2026-12-07 05:19:40Z', `parsing time "2026-12-07 05:19:40Z" as ${L}: cannot parse " 05:19:40Z" as "T"`],
    ['2026-1-07T05:19:40Z', `parsing time "2026-1-07T05:19:40Z" as ${L}: cannot parse "1-07T05:19:40Z" as "01"`],
    ['2026-13-07T05:19:40Z', 'parsing time "2026-13-07T05:19:40Z": month out of range'],
    ['2026-02-30T05:19:40Z', 'parsing time "2026-02-30T05:19:40Z": day out of range'],
    ['2026-12-07T24:00:00Z', 'parsing time "2026-12-07T24:00:00Z": hour out of range'],
    ['2026-12-07T05:19:40', `parsing time "2026-12-07T05:19:40" as ${L}: cannot parse "" as "Z07:00"`],
    ['2026-12-07T05:19:40Zjunk', 'parsing time "2026-12-07T05:19:40Zjunk": extra text: "junk"'],
    ['2026-12-07T05:19:40+0100', `parsing time "2026-12-07T05:19:40+0100" as ${L}: cannot parse "+0100" as "Z07:00"`],
    ['2026-12-07T05:19:40*01:00', `parsing time "2026-12-07T05:19:40*01:00" as ${L}: cannot parse "*01:00" as "Z07:00"`],
    ['é', `parsing time "\\xc3\\xa9" as ${L}: cannot parse "\\xc3\\xa9" as "2006"`],
  ])('refuses %j in Go\'s words', (value, message) => {
    expect(goRfc3339ParseError(value)).toBe(message);
  });
});
