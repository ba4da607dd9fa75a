/** RFC 3339 date-times as metav1.Time decodes them (fractional seconds allowed, an offset or Z). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isZero);
  return false;
}

function sameInstant(a: string, b: string): boolean {
  if (!RFC3339.test(a) || !RFC3339.test(b)) return false;
  const ta = Date.parse(a);
  return !Number.isNaN(ta) && ta === Date.parse(b);
}

/**
 * Equality of two JSON values as kube's `equality.Semantic.DeepEqual` sees the Go objects they
 * decode to: a missing key, null and the zero value (`""`, 0, false, an empty list or object) are
 * the same (decoding gives each field its zero value, and nil and empty slices are equal there),
 * and two date-times are equal when they are the same instant (`…:11Z` and `…:11.000Z`, as
 * metav1.Time compares). For comparing what a client sent back with what it read (a PUT's status).
 */
export function goSemanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') return sameInstant(a, b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => goSemanticEqual(v, other[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!goSemanticEqual(ao[k], bo[k])) return false;
  return true;
}
