import { fieldLabelNotSupported, matchesFields, parseFieldSelector } from './field-selector';

describe('parseFieldSelector', () => {
  const supported = ['metadata.name', 'metadata.namespace'];
  it('parses =, == and !=', () => {
    expect(parseFieldSelector('metadata.name=a,metadata.namespace!=b', supported)).toEqual([
      { field: 'metadata.name', op: '=', value: 'a' },
      { field: 'metadata.namespace', op: '!=', value: 'b' },
    ]);
    expect(parseFieldSelector('metadata.name==a', supported)).toEqual([{ field: 'metadata.name', op: '=', value: 'a' }]);
  });
  it('rejects unknown fields with the upstream message (apimachinery default, or a kind conversion wording)', () => {
    expect(() => parseFieldSelector('spec.foo=x', supported)).toThrow('"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(() => parseFieldSelector('spec.foo=x', [...supported, 'status.dockerImageRepository'])).toThrow('"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(() => parseFieldSelector('spec.foo=x', supported, fieldLabelNotSupported)).toThrow('field label not supported: spec.foo');
  });
  it('rejects terms without an operator', () => {
    expect(() => parseFieldSelector('metadata.name', supported)).toThrow(expect.objectContaining({ code: 400 }));
  });
  it('reads terms as apimachinery does: escaped commas, sorted terms, empty terms skipped, nothing trimmed', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', supported)).toEqual([{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]);
    expect(parseFieldSelector('metadata.name=a,', supported)).toEqual([{ field: 'metadata.name', op: '=', value: 'a' }]);
    expect(parseFieldSelector('metadata.namespace=b,metadata.name= a', supported)).toEqual([
      { field: 'metadata.name', op: '=', value: ' a' },
      { field: 'metadata.namespace', op: '=', value: 'b' },
    ]);
    expect(parseFieldSelector('metadata.name=!a', supported)).toEqual([{ field: 'metadata.name', op: '=', value: '!a' }]);
    expect(() => parseFieldSelector('metadata.name =a', supported)).toThrow('"metadata.name " is not a known field selector');
    expect(() => parseFieldSelector('=x', supported)).toThrow('"" is not a known field selector');
  });
  it('words bad escapes and bare separators in values as apimachinery UnescapeValue, and parses every term before checking fields (sorted)', () => {
    expect(() => parseFieldSelector('metadata.name=a\\b', supported)).toThrow('invalid field selector: invalid escape sequence: \\b');
    expect(() => parseFieldSelector('metadata.name=a\\', supported)).toThrow('invalid field selector: invalid escape sequence: \\');
    expect(() => parseFieldSelector('metadata.name=a=b', supported)).toThrow('invalid field selector: unescaped character in value: 61');
    expect(() => parseFieldSelector('spec.x=y,zzz', supported)).toThrow("invalid selector: 'spec.x=y,zzz'; can't understand 'zzz'");
    expect(() => parseFieldSelector('spec.z=y,spec.a=b', supported)).toThrow('"spec.a" is not a known field selector');
  });
  it('takes the terms in Go string order (UTF-8 bytes): U+FFFF comes before U+1F600', () => {
    expect(() => parseFieldSelector('a=b,\u{1F600},\uFFFF', supported)).toThrow("invalid selector: 'a=b,\u{1F600},\uFFFF'; can't understand '\uFFFF'");
    expect(() => parseFieldSelector('\u{1F600}=x,\uFFFF=y', supported)).toThrow('"\uFFFF" is not a known field selector');
  });
  it('matches', () => {
    const sel = parseFieldSelector('metadata.name=a', supported);
    expect(matchesFields(sel, { 'metadata.name': 'a' })).toBe(true);
    expect(matchesFields(sel, { 'metadata.name': 'b' })).toBe(false);
  });
});
