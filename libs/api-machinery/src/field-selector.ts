import { ApiError } from './api-error';

/** A parsed `fieldSelector`: each term is `field=value`, `field==value` or `field!=value`. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/**
 * apimachinery's DefaultMetaV1FieldSelectorConversion wording, which every kind without its own
 * conversion answers, and those whose conversion falls back to it (ImageStream).
 */
export const unknownFieldSelector = (field: string): string => `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`;

/** The wording of the core kinds' own conversions (Namespace, Event). */
export const fieldLabelNotSupported = (field: string): string => `field label not supported: ${field}`;

/** Parses a field selector, accepting only the fields a resource supports (others → 400 with `unknown`'s message). */
export function parseFieldSelector(selector: string | undefined, supported: readonly string[], unknown: (field: string) => string = unknownFieldSelector): FieldSelector {
  if (!selector || selector.trim() === '') return [];
  const out: FieldSelector = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw ApiError.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw ApiError.badRequest(unknown(field));
    out.push({ field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() });
  }
  return out;
}

export function matchesFields(selector: FieldSelector, fields: Record<string, string>): boolean {
  return selector.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}
