import { goBase64ErrorOffset } from './go-base64';

describe('goBase64ErrorOffset (Go base64.StdEncoding.Decode, as encoding/json reads []byte)', () => {
  it.each(['', 'YQ==', 'YWI=', 'YWJj', 'YWJjZA==', 'YW\nJj', 'YWJj\r\n', 'YQ=\n='])('decodes %j', (text) => {
    expect(goBase64ErrorOffset(text)).toBeNull();
  });

  it.each<[string, number]>([
    ['!!', 0], // not in the alphabet
    ['YWJj!', 4],
    ['YQ', 0], // end of input inside a group: the group's start
    ['YWJjZA', 4],
    ['Y', 0],
    ['YQ=', 3], // "==" expected, input ends
    ['YQ=x', 2], // second pad is not a pad: the first one's offset
    ['=', 0], // padding too early
    ['Y===', 1],
    ['YWI=YWJj', 4], // anything after the padding
    ['YWJj-_', 4], // URL alphabet is not the standard one
    ['é', 0],
  ])('refuses %j at byte %d', (text, offset) => {
    expect(goBase64ErrorOffset(text)).toBe(offset);
  });
});
