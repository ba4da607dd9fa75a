import { duplicateFields, keyOffsets } from './duplicate-fields';

describe('duplicateFields', () => {
  it('names each repeated key by its path, once', () => {
    const text = '{"metadata":{"name":"a","labels":{"x":"1","x":"2"}},"spec":{"lookupPolicy":{"local":true},"lookupPolicy":{"local":false},"lookupPolicy":{}},"other":1,"other":2}';
    expect(duplicateFields(text)).toEqual(['metadata.labels.x', 'spec.lookupPolicy', 'other']);
  });

  it('indexes list items, and keys in different objects are not duplicates', () => {
    const text = '{"spec":{"tags":[{"name":"a"},{"name":"b","from":{"kind":"K"},"name":"c"}]}}';
    expect(duplicateFields(text)).toEqual(['spec.tags[1].name']);
    expect(duplicateFields('{"a":{"k":1},"b":{"k":1}}')).toEqual([]);
  });

  it('is not fooled by quotes, braces and colons inside strings', () => {
    const text = '{"a":"x\\":{\\"a\\":1,","b":["{\\"b\\":1}", "b"],"c":{"a":1}}';
    expect(duplicateFields(text)).toEqual([]);
    expect(duplicateFields(' { "k" : 1 , "k" : [ ] } ')).toEqual(['k']);
  });

  it('compares keys by their decoded text: an escaped key repeats its plain spelling', () => {
    expect(duplicateFields('{"ab":1,"a\\u0062":2}')).toEqual(['ab']);
    expect(duplicateFields('{"a\\"b":1,"a\\u0022b":2,"a\\\\":3}')).toEqual(['a"b']);
    expect(duplicateFields('{"x":{"k":1},\n\t"x"\r\n:\t{}}')).toEqual(['x']);
  });
});

describe('keyOffsets', () => {
  it('gives each key path its first offset, and each repeated one the offset where it comes again', () => {
    const text = '{"a":{"b":1},"c":[{"d":1,"d":2}],"a":3}';
    const { first, repeated } = keyOffsets(text);
    expect([...first.entries()]).toEqual([
      ['a', text.indexOf('"a"')],
      ['a.b', text.indexOf('"b"')],
      ['c', text.indexOf('"c"')],
      ['c[0].d', text.indexOf('"d"')],
    ]);
    expect([...repeated.entries()]).toEqual([
      ['c[0].d', text.lastIndexOf('"d"')],
      ['a', text.lastIndexOf('"a"')],
    ]);
  });
});
