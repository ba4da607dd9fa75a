import {
  canonicalQuantity,
  compareQuantities,
  isWholeQuantity,
  parseQuantity,
  QUANTITY_FORMAT_ERROR,
  quantityOf,
  formatQuantity,
} from './quantity';

describe('quantity', () => {
  it.each([
    ['2', '2'],
    [2, '2'],
    [0.5, '500m'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['50000', '50k'],
    ['1.5Gi', '1536Mi'],
    ['1024Mi', '1Gi'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['100M', '100M'],
    ['1Mi', '1Mi'],
    ['-1', '-1'],
    [' 3 ', '3'],
    ['0.0000000001', '1n'],
    ['0', '0'],
    ['.5', '500m'],
  ])('%p reads back as %p (Quantity.String())', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it.each(['abc', '', '1.2.3', 'Gi', '1Qi', {}, true, null])('%p is not a quantity', (input) => {
    expect(() => parseQuantity(input)).toThrow();
  });

  it('words the format error as ParseQuantity does', () => {
    expect(() => parseQuantity('abc')).toThrow(QUANTITY_FORMAT_ERROR);
  });

  it('compares across formats and scales', () => {
    expect(compareQuantities(parseQuantity('1Ki'), parseQuantity('1024'))).toBe(0);
    expect(compareQuantities(parseQuantity('1k'), parseQuantity('1Ki'))).toBe(-1);
    expect(compareQuantities(parseQuantity('2'), parseQuantity('1500m'))).toBe(1);
  });

  it('knows whole values', () => {
    expect(isWholeQuantity(parseQuantity('1.5'))).toBe(false);
    expect(isWholeQuantity(parseQuantity('2k'))).toBe(true);
  });

  it('writes byte counts as resource.NewQuantity(n, BinarySI).String() does', () => {
    expect(formatQuantity(quantityOf(5 * 1024 * 1024, 'BinarySI'))).toBe('5Mi');
    expect(formatQuantity(quantityOf(123456, 'BinarySI'))).toBe('123456');
    expect(formatQuantity(quantityOf(1000, 'BinarySI'))).toBe('1k');
  });
});
