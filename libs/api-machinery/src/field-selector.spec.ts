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
  it('matches', () => {
    const sel = parseFieldSelector('metadata.name=a', supported);
    expect(matchesFields(sel, { 'metadata.name': 'a' })).toBe(true);
    expect(matchesFields(sel, { 'metadata.name': 'b' })).toBe(false);
  });
});
