/**
 * The syntax error Go's encoding/json reports for a body that is not JSON, worded as its scanner
 * words it (`invalid character '}' looking for beginning of object key string`, `unexpected end of
 * JSON input`), or null when the body is well-formed. kube-apiserver's decoder passes that text on,
 * so a client sees the same message here as from a cluster. Works on bytes, as Go's scanner does.
 * Hand-written because no JSON library words its errors as Go's does (JSON.parse gives V8's text);
 * it runs only on a body JSON.parse has already refused, and never decides what is accepted.
 */
export function goJsonSyntaxError(data: Buffer): string | null {
  try {
    return new Scanner(data).run();
  } catch (e) {
    // Nesting deeper than the stack holds (the scanner recurses per level): no Go wording, and the
    // caller answers JSON.parse's own 400 instead. Matched by name, not instanceof: a stack
    // overflow's RangeError may come from another realm (seen under Jest's module sandbox).
    if ((e as { name?: unknown } | null)?.name === 'RangeError') return null;
    throw e;
  }
}

type Context = 'object-key' | 'object-value' | 'array';

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

class SyntaxFailure extends Error {}

class Scanner {
  private i = 0;
  private readonly stack: Context[] = [];

  constructor(private readonly data: Buffer) {}

  run(): string | null {
    try {
      this.skipSpace();
      this.value();
      this.skipSpace();
      if (this.i < this.data.length) this.fail('after top-level value');
      return null;
    } catch (e) {
      if (e instanceof SyntaxFailure) return e.message;
      throw e;
    }
  }

  private peek(): number | undefined {
    return this.data[this.i];
  }

  /** The next byte; the end of the input is Go's "unexpected end of JSON input". */
  private next(): number {
    const c = this.data[this.i];
    if (c === undefined) throw new SyntaxFailure('unexpected end of JSON input');
    return c;
  }

  private fail(context: string): never {
    throw new SyntaxFailure(`invalid character ${quoteChar(this.next())} ${context}`);
  }

  private skipSpace(): void {
    while (this.i < this.data.length && isSpace(this.data[this.i]!)) this.i++;
  }

  private value(): void {
    const c = this.next();
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || isDigit(c)) return this.number();
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    this.fail('looking for beginning of value');
  }

  /**
   * An object or array: elements separated by commas up to `close` (an empty one closes at once);
   * `afterElement` words what the scanner expected after an element, as Go's does.
   */
  private container(close: number, element: () => void, afterElement: string): void {
    this.i++;
    this.skipSpace();
    if (this.next() === close) {
      this.i++;
      return;
    }
    for (;;) {
      element();
      this.skipSpace();
      const c = this.next();
      if (c === close) {
        this.i++;
        return;
      }
      if (c !== 0x2c) this.fail(afterElement);
      this.i++;
      this.skipSpace();
    }
  }

  private object(): void {
    this.container(
      0x7d,
      () => {
        if (this.next() !== 0x22) this.fail('looking for beginning of object key string');
        this.string();
        this.skipSpace();
        if (this.next() !== 0x3a) this.fail('after object key');
        this.i++;
        this.skipSpace();
        this.value();
      },
      'after object key:value pair',
    );
  }

  private array(): void {
    this.container(0x5d, () => this.value(), 'after array element');
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.next();
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) this.fail('in string literal');
      this.i++;
      if (c !== 0x5c) continue;
      const e = this.next();
      if (e === 0x75) {
        this.i++;
        for (let k = 0; k < 4; k++) {
          if (!isHex(this.next())) this.fail('in \\u hexadecimal character escape');
          this.i++;
        }
        continue;
      }
      if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail('in string escape code');
      this.i++;
    }
  }

  private number(): void {
    if (this.peek() === 0x2d) {
      this.i++;
      if (!isDigit(this.next())) this.fail('in numeric literal');
    }
    if (this.next() === 0x30) this.i++;
    else while (this.i < this.data.length && isDigit(this.peek()!)) this.i++;
    if (this.peek() === 0x2e) {
      this.i++;
      if (!isDigit(this.next())) this.fail('after decimal point in numeric literal');
      while (this.i < this.data.length && isDigit(this.peek()!)) this.i++;
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const s = this.next();
      if (s === 0x2b || s === 0x2d) this.i++;
      if (!isDigit(this.next())) this.fail('in exponent of numeric literal');
      while (this.i < this.data.length && isDigit(this.peek()!)) this.i++;
    }
  }

  private literal(word: 'true' | 'false' | 'null'): void {
    this.i++;
    for (let k = 1; k < word.length; k++) {
      if (this.next() !== word.charCodeAt(k)) this.fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
      this.i++;
    }
  }
}

/** Go's quoteChar: a byte as a single-quoted Go literal (`'x'`, `'\n'`, `'\x01'`, `'\u0080'`). */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const escapes: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (escapes[c]) return `'${escapes[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // Go converts the byte to the rune U+00XX: U+0080–U+009F, U+00A0 and U+00AD are not printable.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}
