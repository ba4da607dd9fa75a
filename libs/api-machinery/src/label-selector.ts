import { ApiError } from './api-error';

/**
 * Kubernetes label selector syntax (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1,m<2`).
 * Hand-written because no maintained npm package implements the apimachinery grammar; it is a
 * small tokenizer over a regular language, and the unit tests pin it to upstream behaviour.
 */
export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' }
  /** `key>N` / `key<N`: the label's value read as a 64-bit integer (labels that are not one never match). */
  | { key: string; op: 'gt' | 'lt'; value: bigint };

export type LabelSelector = Requirement[];

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function bad(selector: string, why: string): ApiError {
  return ApiError.badRequest(`unable to parse requirement: ${why} (in selector "${selector}")`);
}

function checkKey(selector: string, key: string): string {
  if (!keyPattern.test(key) || key.length > 316) throw bad(selector, `invalid label key "${key}"`);
  return key;
}

const int64Max = 2n ** 63n - 1n;

/** The label value as Go's strconv.ParseInt(v, 10, 64) reads it; undefined when it does not. */
export function labelInt64(value: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n > int64Max || n < -int64Max - 1n ? undefined : n;
}

function checkValue(selector: string, value: string): string {
  if (value.length > 63 || !valuePattern.test(value)) throw bad(selector, `invalid label value: "${value}"`);
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector || selector.trim() === '') return [];
  const result: LabelSelector = [];
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '') throw bad(selector, 'empty requirement');
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (setMatch) {
      // Empty items are the empty value, and `()` is the set of it, as apimachinery's parser reads them.
      const values = [...new Set(setMatch[3]!.split(',').map((v) => v.trim()))];
      values.forEach((v) => checkValue(selector, v));
      result.push({ key: checkKey(selector, setMatch[1]!), op: setMatch[2] as 'in' | 'notin', values });
      continue;
    }
    const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (eqMatch) {
      const key = checkKey(selector, eqMatch[1]!);
      const value = checkValue(selector, eqMatch[3]!.trim());
      result.push({ key, op: eqMatch[2] === '!=' ? 'notin' : 'in', values: [value] });
      continue;
    }
    const compareMatch = /^([^<>=!\s]+)\s*([<>])\s*(.*)$/.exec(part);
    if (compareMatch) {
      const key = checkKey(selector, compareMatch[1]!);
      const written = checkValue(selector, compareMatch[3]!.trim());
      const value = labelInt64(written);
      if (value === undefined) throw bad(selector, `for 'Gt', 'Lt' operators, the value must be an integer: "${written}"`);
      result.push({ key, op: compareMatch[2] === '>' ? 'gt' : 'lt', value });
      continue;
    }
    if (part.startsWith('!')) {
      result.push({ key: checkKey(selector, part.slice(1).trim()), op: '!exists' });
      continue;
    }
    if (/\s/.test(part) || /[()=<>]/.test(part)) throw bad(selector, `unexpected token in "${part}"`);
    result.push({ key: checkKey(selector, part), op: 'exists' });
  }
  return result;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined | null): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(l[r.key]!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(l[r.key]!)) return false;
        break;
      case 'gt':
      case 'lt': {
        const n = has ? labelInt64(l[r.key]!) : undefined;
        if (n === undefined || (r.op === 'gt' ? n <= r.value : n >= r.value)) return false;
        break;
      }
    }
  }
  return true;
}

/**
 * A metav1.LabelSelector (matchLabels, matchExpressions) as labels.Selector prints it:
 * requirements in key order, values sorted (`app=web,tier in (a,b)`); empty for no requirement.
 */
export function labelSelectorText(selector: unknown): string {
  const s = (selector ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const parts: [string, string][] = Object.entries(s.matchLabels ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of s.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push([e.key, `${e.key} in (${values})`]);
    else if (e.operator === 'NotIn') parts.push([e.key, `${e.key} notin (${values})`]);
    else if (e.operator === 'Exists') parts.push([e.key, e.key]);
    else if (e.operator === 'DoesNotExist') parts.push([e.key, `!${e.key}`]);
  }
  parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.map(([, text]) => text).join(',');
}
