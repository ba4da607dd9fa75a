import { ApiError } from './api-error';

/** A parsed `fieldSelector`: each term is `field=value`, `field==value` or `field!=value`. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Parses a field selector, accepting only the fields a resource supports (others → 400). */
export function parseFieldSelector(selector: string | undefined, supported: readonly string[]): FieldSelector {
  if (!selector || selector.trim() === '') return [];
  const out: FieldSelector = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw ApiError.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) {
      throw ApiError.badRequest(
        `"${field}" is not a known field selector: only ${supported.map((f) => `"${f}"`).join(', ')}`,
      );
    }
    out.push({ field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() });
  }
  return out;
}

export function matchesFields(selector: FieldSelector, fields: Record<string, string>): boolean {
  return selector.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}
