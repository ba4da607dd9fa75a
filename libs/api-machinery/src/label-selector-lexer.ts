/**
 * Tokens of a label selector, split where kube-apiserver's parser splits them, with the kinds and
 * literals its error texts name (`found 'b', expected: …`), so a malformed `labelSelector` gets
 * the same 400 message as from a cluster. Hand-written: no npm package parses Kubernetes
 * selectors with kube's semantics and wording.
 */
export type TokenKind =
  | 'error'
  | 'end'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

export interface Token {
  kind: TokenKind;
  literal: string;
}

/** Literals that are tokens of their own (string2token); anything else scanned as a word is an identifier. */
const literalTokens: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  [')', 'closedPar'],
  [',', 'comma'],
  ['!', 'doesNotExist'],
  ['==', 'doubleEquals'],
  ['=', 'equals'],
  ['>', 'greaterThan'],
  ['in', 'in'],
  ['<', 'lessThan'],
  ['!=', 'notEquals'],
  ['notin', 'notIn'],
  ['(', 'openPar'],
]);

/** Go's lexer reads bytes and takes a NUL byte, like the end of the input, as 0. */
const NUL = '\0';

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const specialSymbols = new Set(['=', '!', '(', ')', ',', '>', '<']);
const isSpecialSymbol = (ch: string): boolean => specialSymbols.has(ch);

/**
 * Scans a selector into tokens up to and including the end token. Every decision is on ASCII
 * characters, so scanning UTF-16 code units splits where Go's byte scanner does.
 */
export function lexLabelSelector(input: string): Token[] {
  let pos = 0;
  const read = (): string => (pos < input.length ? input[pos++]! : NUL);
  const unread = (): void => {
    pos--;
  };

  const scanIdOrKeyword = (): Token => {
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === NUL) break;
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        unread();
        break;
      }
      buffer += ch;
    }
    return { kind: literalTokens.get(buffer) ?? 'identifier', literal: buffer };
  };

  // The longest run of special symbols that is a token, extended one symbol at a time.
  const scanSpecialSymbol = (): Token => {
    let last: Token | undefined;
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === NUL) break;
      if (!isSpecialSymbol(ch)) {
        unread();
        break;
      }
      buffer += ch;
      const kind = literalTokens.get(buffer);
      if (kind) last = { kind, literal: buffer };
      else if (last) {
        unread();
        break;
      }
    }
    return last ?? { kind: 'error', literal: `error expected: keyword found '${buffer}'` };
  };

  const lex = (): Token => {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === NUL) return { kind: 'end', literal: '' };
    unread();
    return isSpecialSymbol(ch) ? scanSpecialSymbol() : scanIdOrKeyword();
  };

  const tokens: Token[] = [];
  for (;;) {
    const token = lex();
    tokens.push(token);
    if (token.kind === 'end') return tokens;
  }
}
