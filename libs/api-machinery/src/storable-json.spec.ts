import { ApiError } from './api-error';
import { makeStorable, MAX_BODY_DEPTH } from './storable-json';

const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

describe('makeStorable', () => {
  it('keeps ordinary bodies as they are', () => {
    const body = { metadata: { name: 'a', annotations: { 'ü/x': 'snow ☃ 🐳' } }, spec: { tags: [{ name: 'v1' }] } };
    expect(makeStorable(structuredClone(body))).toEqual(body);
  });

  it('replaces lone surrogates in values and keys by U+FFFD, as Go decodes them', () => {
    expect(makeStorable({ ['k\uD800']: ['a\uDC00b', 'ok \uD83D\uDC33'] })).toEqual({ ['k\uFFFD']: ['a\uFFFDb', 'ok \uD83D\uDC33'] });
  });

  it('refuses NUL with 400, or replaces it when asked', () => {
    expect(() => makeStorable({ a: ['x\u0000'] })).toThrow(ApiError);
    expect(() => makeStorable({ ['k\u0000']: 1 })).toThrow('NUL');
    expect(makeStorable({ a: 'x\u0000' }, 'replace')).toEqual({ a: 'x\uFFFD' });
  });

  it('allows MAX_BODY_DEPTH levels and refuses one more, without recursion', () => {
    expect(() => makeStorable(nested(MAX_BODY_DEPTH))).not.toThrow();
    expect(() => makeStorable(nested(MAX_BODY_DEPTH + 1))).toThrow('nested more than');
    expect(() => makeStorable(nested(200_000))).toThrow('nested more than');
  });
});
