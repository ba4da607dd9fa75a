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

/**
 * Splits on commas that no backslash escapes; the escapes stay in the terms (apimachinery splitTerms).
 */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The first operator (`!=`, `==`, `=`, tried in that order at each position) splits the term; the field part has no escapes. */
function splitTerm(term: string): { field: string; op: '=' | '!='; rawValue: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const rest = term.slice(i);
    for (const op of ['!=', '==', '='] as const) {
      if (rest.startsWith(op)) return { field: term.slice(0, i), op: op === '!=' ? '!=' : '=', rawValue: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** apimachinery UnescapeValue: `\\`, `\,` and `\=` are the only escapes; a bare `,` or `=` is refused (Go prints the rune as a number). */
function unescapeValue(raw: string): string {
  if (!/[\\,=]/.test(raw)) return raw;
  let out = '';
  let inSlash = false;
  for (const c of raw) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw ApiError.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw ApiError.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw ApiError.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Reads a field selector's syntax as apimachinery fields.ParseSelector does (what kube-apiserver
 * does while decoding the query, 400 on failure): terms sorted, empty terms skipped, nothing
 * trimmed, values unescaped. Any field is accepted: see supportedFields.
 */
export function parseFieldSelectorSyntax(selector: string | undefined): FieldSelector {
  if (!selector) return [];
  const out: FieldSelector = [];
  // Go sorts the terms by their UTF-8 bytes (JavaScript's default sort is by UTF-16 code units).
  for (const part of splitTerms(selector).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw ApiError.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    out.push({ field: term.field, op: term.op, value: unescapeValue(term.rawValue) });
  }
  return out;
}

/**
 * The kind's field label conversion, which kube-apiserver applies after the list options are
 * validated: a field other than `supported` is 400 with `unknown`'s message, the first in sorted order.
 */
export function supportedFields(selector: FieldSelector, supported: readonly string[], unknown: (field: string) => string = unknownFieldSelector): FieldSelector {
  const unsupported = selector.find((r) => !supported.includes(r.field));
  if (unsupported) throw ApiError.badRequest(unknown(unsupported.field));
  return selector;
}

/** Both steps at once (parseFieldSelectorSyntax, then supportedFields). */
export function parseFieldSelector(selector: string | undefined, supported: readonly string[], unknown: (field: string) => string = unknownFieldSelector): FieldSelector {
  return supportedFields(parseFieldSelectorSyntax(selector), supported, unknown);
}

export function matchesFields(selector: FieldSelector, fields: Record<string, string>): boolean {
  return selector.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}
