/**
 * Go's fmt verbs `%v` and `%s` over a decoded JSON value, for messages that print one as
 * kube-apiserver does (`unknown patch type: x in map: map[$patch:x name:a]`). The value is what
 * sigs.k8s.io/json decodes a patch to: maps (keys sorted by bytes, as fmt prints them), slices,
 * strings, bools, nil, int64 for integers and float64 for other numbers.
 */
export function goFormat(value: unknown, verb: 'v' | 's'): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map((item) => goFormat(item, verb)).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const entries = keys.map((k) => `${k}:${goFormat((value as Record<string, unknown>)[k], verb)}`);
    return `map[${entries.join(' ')}]`;
  }
  const [type, text] = goScalar(value);
  // `%s` of a non-string is fmt's bad-verb form, `%!s(int64=1)`.
  return verb === 'v' ? text : `%!s(${type === 'nil' ? text : `${type}=${text}`})`;
}

function goScalar(value: unknown): [string, string] {
  if (value === null || value === undefined) return ['nil', '<nil>'];
  if (typeof value === 'boolean') return ['bool', String(value)];
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? ['int64', BigInt(value).toString()] : ['float64', goFloat(value)];
  }
  return ['string', typeof value === 'string' ? value : JSON.stringify(value) ?? ''];
}

/** `%v` of a float64 (strconv's shortest `%g`): exponent form (`1.5e+06`) below 1e-4 or from 1e6 on. */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  if (exp >= -4 && exp < 6) return String(n);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
