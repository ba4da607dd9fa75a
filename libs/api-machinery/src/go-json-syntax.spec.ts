import { goJsonSyntaxError } from './go-json-syntax';

/** Messages as Go's encoding/json (checkValid) words them for the same bytes. */
describe('goJsonSyntaxError', () => {
  it.each([
    ['{"metadata":{"name":"x"}}', null],
    [' [1, -0.5e+3, true, false, null, "a\\u00e9\\n"] ', null],
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a":"b', 'unexpected end of JSON input'],
    ['{]', "invalid character ']' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['[01]', "invalid character '1' after array element"],
    ['{} x', "invalid character 'x' after top-level value"],
    ['imastring!', "invalid character 'i' looking for beginning of value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1e+', 'unexpected end of JSON input'],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['tru', 'unexpected end of JSON input'],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul1', "invalid character '1' in literal null (expecting 'l')"],
    ['fx', "invalid character 'x' in literal false (expecting 'a')"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['\u0001', "invalid character '\\x01' looking for beginning of value"],
  ])('%j', (body, message) => {
    expect(goJsonSyntaxError(Buffer.from(body, 'utf8'))).toBe(message);
  });

  it('quotes a byte above ASCII as Go converts it to a rune (U+00XX)', () => {
    expect(goJsonSyntaxError(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe("invalid character 'ï' looking for beginning of value");
    expect(goJsonSyntaxError(Buffer.from([0x85]))).toBe("invalid character '\\u0085' looking for beginning of value");
  });
});
