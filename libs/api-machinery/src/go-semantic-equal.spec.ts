import { goSemanticEqual } from './go-semantic-equal';

describe('goSemanticEqual (kube equality.Semantic over the decoded objects)', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['a missing list and null', { tag: 'a' }, { tag: 'a', items: null }, true],
    ['null and an empty list', { items: null }, { items: [] }, true],
    ['zero values and missing keys', { generation: 0, message: '', ok: false }, {}, true],
    ['the same instant, with and without milliseconds', { created: '2026-01-01T00:00:11Z' }, { created: '2026-01-01T00:00:11.000Z' }, true],
    ['the same instant in another offset', { t: '2026-01-01T01:00:00+01:00' }, { t: '2026-01-01T00:00:00Z' }, true],
    ['another instant', { t: '2026-01-01T00:00:11Z' }, { t: '2026-01-01T00:00:12Z' }, false],
    ['another string', { tag: 'a' }, { tag: 'b' }, false],
    ['a list item more', { items: [{ image: 'x' }] }, { items: [{ image: 'x' }, { image: 'y' }] }, false],
    ['a value against nothing', { tag: 'a' }, null, false],
    ['a number as a string', { n: 1 }, { n: '1' }, false],
  ])('%s', (_name, a, b, equal) => {
    expect(goSemanticEqual(a, b)).toBe(equal);
    expect(goSemanticEqual(b, a)).toBe(equal);
  });
});
