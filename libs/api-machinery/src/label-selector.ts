import { ApiError } from './api-error';
import { type FieldError, fieldErr, fieldErrorString, VerbatimValue } from './field-errors';
import { lexLabelSelector, type Token, type TokenKind } from './label-selector-lexer';
import { validateLabels, validateQualifiedName } from './name-validation';

/**
 * Kubernetes label selector syntax (`a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1,m<2`), read as
 * apimachinery's labels.Parse reads it (its lexer, recursive descent parser and NewRequirement
 * checks), so that a selector that does not parse gets kube-apiserver's 400 message word for word.
 * Hand-written because no maintained npm package implements the apimachinery grammar.
 */
export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' }
  /** `key>N` / `key<N`: the label's value read as a 64-bit integer (labels that are not one never match). */
  | { key: string; op: 'gt' | 'lt'; value: bigint };

export type LabelSelector = Requirement[];

const int64Max = 2n ** 63n - 1n;

/** The label value as Go's strconv.ParseInt(v, 10, 64) reads it; undefined when it does not. */
export function labelInt64(value: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n > int64Max || n < -int64Max - 1n ? undefined : n;
}

/** A selector that does not parse; `message` is apimachinery's error text. */
class SelectorError extends Error {}

/** Go counts string lengths in UTF-8 bytes: one code unit per byte, for the shared validators. */
const goBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const isPrintable = (ch: string): boolean => /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);

/** A string as Go's %q (strconv.Quote) prints it: printable runes as they are, others escaped. */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (isPrintable(ch)) out += ch;
    else if (named[ch]) out += named[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp < 0xe000) out += '\uFFFD'; // a lone surrogate reaches Go as U+FFFD
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** field.Invalid(path, value, detail) as Go prints it (`<nil>: Invalid value: "x": …`). */
const invalid = (path: string, value: string, problems: string[]): FieldError => fieldErr.invalid(path, new VerbatimValue(goQuote(value)), problems.join('; '));

/** labels validateLabelKey: IsQualifiedName's problems, joined. */
function keyError(key: string, path: string): FieldError | undefined {
  const problems = validateQualifiedName(goBytes(key), path).map((e) => e.detail ?? '');
  return problems.length ? invalid(path, key, problems) : undefined;
}

/** IsValidLabelValue's problems (through the shared label validator, under a key that is valid). */
function labelValueProblems(value: string): string[] {
  return validateLabels({ v: goBytes(value) }).map((e) => e.detail ?? '');
}

/** An ErrorList's ToAggregate().Error(): duplicates dropped, several in brackets. */
function aggregate(errors: FieldError[]): string {
  const messages = [...new Set(errors.map(fieldErrorString))];
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}

type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

/** Go's sort of strings: by UTF-8 bytes. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * labels.NewRequirement for what the parser found (the key is already checked): values are
 * `sets.String.List()`, sorted and distinct; every problem of them is reported at once.
 */
function newRequirement(key: string, op: Operator, found: Set<string>): Requirement {
  const values = [...found].sort(byBytes);
  const errors: FieldError[] = [];
  if (op === 'gt' || op === 'lt') {
    values.forEach((v, i) => {
      if (labelInt64(v) === undefined) errors.push(invalid(`values[${i}]`, v, ["for 'Gt', 'Lt' operators, the value must be an integer"]));
    });
  }
  values.forEach((v, i) => {
    const problems = labelValueProblems(v);
    if (problems.length) errors.push(invalid(`values[${i}][${key}]`, v, problems));
  });
  if (errors.length) throw new SelectorError(aggregate(errors));
  switch (op) {
    case 'exists':
      return { key, op: 'exists' };
    case '!':
      return { key, op: '!exists' };
    case 'in':
    case '=':
    case '==':
      return { key, op: 'in', values };
    case 'notin':
    case '!=':
      return { key, op: 'notin', values };
    case 'gt':
    case 'lt':
      return { key, op, value: labelInt64(values[0]!)! };
  }
}

const binaryOperators: ReadonlyMap<TokenKind, Operator> = new Map<TokenKind, Operator>([
  ['in', 'in'],
  ['notIn', 'notin'],
  ['equals', '='],
  ['doubleEquals', '=='],
  ['notEquals', '!='],
  ['greaterThan', 'gt'],
  ['lessThan', 'lt'],
]);

/** labels.Parser over the scanned tokens; each method throws a SelectorError worded as upstream's. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  /** The next token; where a value is expected (`asValue`), `in` and `notin` are identifiers. */
  private lookahead(asValue = true): Token {
    const token = this.tokens[Math.min(this.position, this.tokens.length - 1)]!;
    return asValue && (token.kind === 'in' || token.kind === 'notIn') ? { kind: 'identifier', literal: token.literal } : token;
  }

  private consume(asValue = true): Token {
    const token = this.lookahead(asValue);
    this.position++;
    return token;
  }

  parse(): LabelSelector {
    const requirements: LabelSelector = [];
    for (;;) {
      const { kind, literal } = this.lookahead();
      if (kind === 'end') return requirements;
      if (kind !== 'identifier' && kind !== 'doesNotExist') throw new SelectorError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.parseRequirement());
      } catch (e) {
        throw e instanceof SelectorError ? new SelectorError(`unable to parse requirement: ${e.message}`) : e;
      }
      const next = this.consume();
      if (next.kind === 'end') return requirements;
      if (next.kind !== 'comma') throw new SelectorError(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.lookahead();
      if (after.kind !== 'identifier' && after.kind !== 'doesNotExist') throw new SelectorError(`found '${after.literal}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): Requirement {
    const { key, op } = this.parseKeyAndInferOperator();
    if (op) return newRequirement(key, op, new Set());
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, values);
  }

  /** `[!] KEY`; with nothing after the key (end or comma) the operator is exists (or does-not-exist). */
  private parseKeyAndInferOperator(): { key: string; op?: 'exists' | '!' } {
    let token = this.consume();
    const negated = token.kind === 'doesNotExist';
    if (negated) token = this.consume();
    if (token.kind !== 'identifier') throw new SelectorError(`found '${token.literal}', expected: identifier`);
    const error = keyError(token.literal, '<nil>');
    if (error) throw new SelectorError(fieldErrorString(error));
    if (negated) return { key: token.literal, op: '!' };
    const next = this.lookahead().kind;
    return next === 'end' || next === 'comma' ? { key: token.literal, op: 'exists' } : { key: token.literal };
  }

  private parseOperator(): Operator {
    const { kind, literal } = this.consume(false);
    const op = binaryOperators.get(kind);
    if (!op) throw new SelectorError(`found '${literal}', expected: in, notin, =, ==, !=, gt, lt`);
    return op;
  }

  /** `( VALUE, … )`: `()` is the set of the empty value. */
  private parseValues(): Set<string> {
    const open = this.consume();
    if (open.kind !== 'openPar') throw new SelectorError(`found '${open.literal}' expected: '('`);
    const { kind, literal } = this.lookahead();
    if (kind === 'closedPar') {
      this.consume();
      return new Set(['']);
    }
    if (kind !== 'identifier' && kind !== 'comma') throw new SelectorError(`found '${literal}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume().kind !== 'closedPar') throw new SelectorError(`found '${literal}', expected: ')'`);
    return values;
  }

  /** Comma-separated, possibly empty values (an empty item is the empty value); stops before `)`. */
  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const token = this.consume();
      if (token.kind === 'identifier') {
        values.add(token.literal);
        const next = this.lookahead();
        if (next.kind === 'closedPar') return values;
        if (next.kind !== 'comma') throw new SelectorError(`found '${next.literal}', expected: ',' or ')'`);
      } else if (token.kind === 'comma') {
        if (values.size === 0) values.add('');
        const next = this.lookahead().kind;
        if (next === 'closedPar') {
          values.add('');
          return values;
        }
        if (next === 'comma') {
          this.consume();
          values.add('');
        }
      } else throw new SelectorError(`found '${token.literal}', expected: ',', or identifier`);
    }
  }

  /** The one value of `=`, `==`, `!=`, `>` and `<`; nothing before the end or a comma is the empty value. */
  private parseExactValue(): Set<string> {
    const next = this.lookahead().kind;
    if (next === 'end' || next === 'comma') return new Set(['']);
    const token = this.consume();
    if (token.kind !== 'identifier') throw new SelectorError(`found '${token.literal}', expected: identifier`);
    return new Set([token.literal]);
  }
}

/** Parses a `labelSelector`; one that does not parse is a 400 with apimachinery's message. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector) return [];
  try {
    return new Parser(lexLabelSelector(selector)).parse();
  } catch (e) {
    throw e instanceof SelectorError ? ApiError.badRequest(e.message) : e;
  }
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
