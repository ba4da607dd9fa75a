import { goFormat } from './go-format';

describe('goFormat (Go fmt %v / %s of decoded JSON)', () => {
  it.each([
    [{ b: 1, a: 'x', c: { z: [] } }, 'map[a:x b:1 c:map[z:[]]]'],
    [[null, true, -3, 0.25], '[<nil> true -3 0.25]'],
    [1e6 + 0.5, '1.0000005e+06'],
    [0.00001, '1e-05'],
    [123456.5, '123456.5'],
  ])('%%v of %j', (value, text) => {
    expect(goFormat(value, 'v')).toBe(text);
  });
  it.each([
    ['bogus', 'bogus'],
    [1, '%!s(int64=1)'],
    [1.5, '%!s(float64=1.5)'],
    [false, '%!s(bool=false)'],
    [null, '%!s(<nil>)'],
    [{ a: 1 }, 'map[a:%!s(int64=1)]'],
  ])('%%s of %j', (value, text) => {
    expect(goFormat(value, 's')).toBe(text);
  });
});
