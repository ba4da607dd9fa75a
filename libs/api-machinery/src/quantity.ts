/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): parsing with the
 * grammar and errors of ParseQuantity, comparison, and the canonical text Quantity.String()
 * writes (what kube-apiserver stores and echoes: `1.5Gi` reads back as `1536Mi`, `0.5` as
 * `500m`). A value is kept exactly as `digits × 10^scale`; like Go, precision below 1n is
 * rounded up.
 */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value is `digits × 10^scale` (digits may be negative). */
  digits: bigint;
  scale: number;
  format: QuantityFormat;
}

/** ParseQuantity's ErrFormatWrong: what a value that is not a quantity decodes to. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** ParseQuantity's ErrSuffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {}

const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const pattern = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

/**
 * Parses a quantity as the JSON decoder does: a string (surrounding spaces trimmed) or a JSON
 * number. Throws QuantityError with upstream's message when it is not one.
 */
export function parseQuantity(input: unknown): Quantity {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
    input = String(input);
  }
  if (typeof input !== 'string') throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const text = input.trim();
  const m = pattern.exec(text);
  if (!text || !m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const [, sign, whole = '', fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (!/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  let digits = BigInt(`${whole}${fraction}` || '0');
  let scale = -fraction.length;
  let format: QuantityFormat;
  if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    scale += decimalSuffixes[suffix]!;
  } else if (suffix in binarySuffixes) {
    format = 'BinarySI';
    digits *= 1n << BigInt(binarySuffixes[suffix]!);
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000)
      throw new QuantityError(QUANTITY_SUFFIX_ERROR);
    scale += exponent;
  } else {
    throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  }
  if (sign === '-') digits = -digits;
  return normalise({ digits, scale, format });
}

/** Rounds up below nano precision (as Go does) and strips trailing zeros into the scale. */
function normalise(q: Quantity): Quantity {
  let { digits, scale } = q;
  if (scale < -9) {
    const divisor = 10n ** BigInt(-9 - scale);
    const rounded = digits / divisor;
    // Away from zero (Go rounds the magnitude up).
    digits = digits % divisor === 0n ? rounded : digits > 0n ? rounded + 1n : rounded - 1n;
    scale = -9;
  }
  if (digits === 0n) return { digits: 0n, scale: 0, format: q.format };
  while (digits % 10n === 0n) {
    digits /= 10n;
    scale += 1;
  }
  return { digits, scale, format: q.format };
}

/** A quantity of whole units (e.g. bytes), in the given format (resource.NewQuantity). */
export function quantityOf(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return normalise({ digits: BigInt(value), scale: 0, format });
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const scale = Math.min(a.scale, b.scale);
  const x = a.digits * 10n ** BigInt(a.scale - scale);
  const y = b.digits * 10n ** BigInt(b.scale - scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when the value is a whole number (Quantity.MilliValue() % 1000 == 0, for values in range). */
export function isWholeQuantity(q: Quantity): boolean {
  return q.scale >= 0 || q.digits % 10n ** BigInt(-q.scale) === 0n;
}

/** The value as an integer, rounded up (Quantity.Value()). */
export function quantityValue(q: Quantity): bigint {
  if (q.scale >= 0) return q.digits * 10n ** BigInt(q.scale);
  const divisor = 10n ** BigInt(-q.scale);
  const whole = q.digits / divisor;
  return q.digits % divisor === 0n || q.digits < 0n ? whole : whole + 1n;
}

/** The canonical text (Quantity.String()). */
export function formatQuantity(q: Quantity): string {
  if (q.digits === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    // Small values and values that are not whole are written in decimal, as upstream does.
    const small = compareQuantities(q, quantityOf(-1024)) > 0 && compareQuantities(q, quantityOf(1024)) < 0;
    if (small || q.scale < 0) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let value = quantityValue(q);
    let exponent = 0;
    while (exponent < 60 && value % 1024n === 0n && value !== 0n) {
      value /= 1024n;
      exponent += 10;
    }
    const suffix = Object.entries(binarySuffixes).find(([, e]) => e === exponent)?.[0] ?? '';
    return `${value}${suffix}`;
  }
  // Decimal: the largest exponent that is a multiple of 3 and keeps the mantissa whole.
  let exponent = q.scale >= 0 ? q.scale - (q.scale % 3) : -Math.ceil(-q.scale / 3) * 3;
  if (format === 'DecimalSI') exponent = Math.max(-9, Math.min(18, exponent));
  const mantissa = q.digits * 10n ** BigInt(q.scale - exponent);
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = Object.entries(decimalSuffixes).find(([, e]) => e === exponent)?.[0] ?? '';
  return `${mantissa}${suffix}`;
}

/** The canonical text of a quantity as sent (throws QuantityError when it is not one). */
export function canonicalQuantity(input: unknown): string {
  return formatQuantity(parseQuantity(input));
}
