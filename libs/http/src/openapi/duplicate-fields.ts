/**
 * Keys that an object of a JSON text repeats, as dotted paths (`spec.lookupPolicy`,
 * `spec.tags[0].name`). JSON.parse keeps the last value silently, as Go's decoder does, but
 * kube-apiserver's strict decoder reports each repeated key: `fieldValidation=Strict` refuses the
 * write and Warn answers a `duplicate field "<path>"` warning. The text must be valid JSON
 * (it is scanned after JSON.parse accepted it).
 */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
  walkKeys(text, (repeated, path) => {
    if (!repeated) return;
    const p = path();
    if (!found.includes(p)) found.push(p);
  });
  return found;
}

/** A body's repeated keys, and (computed when asked) the offsets its strict-decoding messages sort by. */
export interface BodyKeys {
  repeated: string[];
  offsets?: () => KeyOffsets;
  /**
   * Set for a YAML body: its repeated keys, as go-yaml's strict decoding words them (`line 7: key
   * "a" already set in map`). kube-apiserver reports them before the unknown fields of the JSON it
   * converted the YAML to, which holds each object's keys sorted (YAMLToJSON marshals maps).
   */
  yaml?: string[];
}

/** A body without repeated keys (or one nobody scanned: JSON patches). */
export const NO_REPEATED_KEYS: BodyKeys = Object.freeze({ repeated: [] });

/** Where in a JSON text each key path first appears, and where each repeated one appears again. */
export interface KeyOffsets {
  first: Map<string, number>;
  repeated: Map<string, number>;
}

/**
 * The offsets that put a strict decoder's messages in the order Go's decoder meets them (it reads
 * the text once, reporting an unknown key where it first appears and a repeated key where it comes
 * again). Computed only when a body has both kinds of message.
 */
export function keyOffsets(text: string): KeyOffsets {
  const offsets: KeyOffsets = { first: new Map(), repeated: new Map() };
  walkKeys(text, (repeated, path, at) => {
    const p = path();
    const map = repeated ? offsets.repeated : offsets.first;
    if (!map.has(p)) map.set(p, at);
  });
  return offsets;
}

/**
 * Calls `onKey` for every object key of a valid JSON text, in text order: whether its object
 * already had that key, its dotted path (built on demand), and the key's offset. Hand-written:
 * JSON.parse gives no positions and keeps only a repeated key's last value.
 */
function walkKeys(text: string, onKey: (repeated: boolean, path: () => string, at: number) => void): void {
  type Frame = { kind: 'object'; path: string; keys: Set<string>; key: string } | { kind: 'array'; path: string; index: number };
  const stack: Frame[] = [];
  const pathOfValue = (): string => {
    const top = stack.at(-1);
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.key}` : top.key;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      let next = end;
      // JSON's whitespace: space, tab, line feed, carriage return (scanned per key of every write body).
      while (next < text.length && isJsonWhitespace(text.charCodeAt(next))) next++;
      const top = stack.at(-1);
      if (top?.kind === 'object' && text[next] === ':') {
        const quoted = text.slice(i, end);
        const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
        top.key = key;
        const repeated = top.keys.has(key);
        if (!repeated) top.keys.add(key);
        onKey(repeated, pathOfValue, i);
        i = next + 1;
      } else i = end;
      continue;
    }
    if (c === '{') stack.push({ kind: 'object', path: pathOfValue(), keys: new Set(), key: '' });
    else if (c === '[') stack.push({ kind: 'array', path: pathOfValue(), index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'array') top.index++;
    }
    i++;
  }
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** The index just past the closing quote of the string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return i;
}
