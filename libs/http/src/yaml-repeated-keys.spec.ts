import { yamlRepeatedKeys } from './yaml-repeated-keys';

describe('yamlRepeatedKeys (go-yaml v2 strict decoding: "key … already set in map")', () => {
  it.each<[string, string, string[]]>([
    ['no repeats', 'a: 1\nb: {a: 2}\nc: [{a: 1}, {a: 2}]\n', []],
    ['a top-level repeat, at its value', 'a: 1\nb: 2\na: 3\n', ['line 3: key "a" already set in map']],
    ['quoted and plain spellings of one key', 'a: 1\n"a": 2\n', ['line 2: key "a" already set in map']],
    ['an int key and a string key differ', '1: x\n"1": y\n', []],
    ['an int key, shown as Go shows it', '1: x\n1: y\n', ['line 2: key 1 already set in map']],
    [
      'a nested repeat comes before the repeat holding it',
      'm:\n  k: 1\nm:\n  k: 1\n  k: 2\n',
      ['line 5: key "k" already set in map', 'line 4: key "m" already set in map'],
    ],
    [
      'a block value starts at its first key',
      'spec: {}\nspec:\n\n  x: 1\n',
      ['line 4: key "spec" already set in map'],
    ],
    ['a block scalar at its indicator', 'a: x\na: |\n  text\n', ['line 2: key "a" already set in map']],
    ['an empty value on the key line', 'a: 1\na:\nb: 2\n', ['line 2: key "a" already set in map']],
    ['a flow mapping', '{a: 1, b: 2, a: 3}', ['line 1: key "a" already set in map']],
    ['inside a list item', 'l:\n- name: 1\n  name: 2\n', ['line 3: key "name" already set in map']],
    [
      'YAML 1.1 booleans, as go-yaml v2 resolves keys',
      'on: 1\ny: 2\n',
      ['line 2: key true already set in map'],
    ],
    [
      'an alias decodes its anchor again',
      'x: &p {k: 1, k: 2}\ny: *p\n',
      ['line 1: key "k" already set in map', 'line 1: key "k" already set in map'],
    ],
    ['CRLF line breaks', 'a: 1\r\nb: 2\r\na: 3\r\n', ['line 3: key "a" already set in map']],
  ])('%s', (_name, text, expected) => {
    expect(yamlRepeatedKeys(text)).toEqual(expected);
  });
});
