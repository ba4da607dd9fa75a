import { contentHash, ifNoneMatchHits } from './conditional-get';

describe('conditional GET (OpenAPI documents, aggregated discovery)', () => {
  it('hashes as kube-openapi does (upper-case hex SHA-512)', () => {
    expect(contentHash('{}')).toBe('27C74670ADB75075FAD058D5CEAF7B20C4E7786C83BAE8A32F626F9782AF34C9A33C2046EF60FD2A7878D378E29FEC851806BBD9A67878F3A9F1CDA4830763FD');
  });

  it.each([
    [undefined, false],
    ['"A"', true],
    ['W/"A"', true],
    ['"B", "A"', true],
    ['*', true],
    ['"B"', false],
    ['A', false],
  ])('If-None-Match %p against "A" → %p', (header, hit) => {
    expect(ifNoneMatchHits(header, '"A"')).toBe(hit);
  });
});
