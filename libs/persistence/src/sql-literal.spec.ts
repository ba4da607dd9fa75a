import { escapeLiteral } from 'pg';
import { sqlLiteral } from './sql-literal';

describe('sqlLiteral', () => {
  it.each([
    '',
    'plain',
    "it's",
    "''",
    'back\\slash',
    "both \\' kinds",
    '\\',
    'sha256:0123456789abcdef',
    JSON.stringify({ metadata: { name: "o'brien", annotations: { a: 'x\\y "z"' } }, list: ['\n', '\t', 'ü', '😀'] }),
  ])('writes %j as pg escapeLiteral does', (s) => {
    expect(sqlLiteral(s)).toBe(escapeLiteral(s));
  });

  it('writes NULL for null and numbers as quoted text', () => {
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(42)).toBe("'42'");
    expect(sqlLiteral(10n ** 20n)).toBe("'100000000000000000000'");
  });
});
