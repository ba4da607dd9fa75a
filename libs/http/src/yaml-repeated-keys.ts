import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from 'js-yaml';

/**
 * go-yaml v2's strict-decoding messages for the keys a YAML text repeats within one mapping
 * (`line 7: key "a" already set in map`), in its order: what kube-apiserver's strict YAML decode
 * reports (sigs.k8s.io/yaml's YAMLToJSONStrict / UnmarshalStrict). The text must be YAML the
 * parser accepted and whose aliases were bounded (it is scanned after the body decoded): an alias
 * repeats its anchor's messages.
 *
 * As go-yaml's decoder (setMapIndex): the line is the repeated entry's value's first line (its
 * anchor, tag, indicator or first key), and a message is recorded once that value is decoded, so
 * repeats inside it come first. Keys compare as go-yaml resolves them (`1` is an int, `"1"` a
 * string); an alias decodes its anchored node again, with its repeats.
 */
export function yamlRepeatedKeys(text: string): string[] {
  const lines = lineStarts(text);
  const lineOf = (offset: number) => lineAt(lines, offset);
  const messages: string[] = [];
  const anchored = new Map<string, string[]>();
  const stack: Frame[] = [];

  /** A mapping entry's value is decoded: record the repeat, ready the mapping for its next key. */
  const valueDone = (map: MapFrame, line: number) => {
    const key = map.key;
    if (key) {
      if (map.seen.has(key.id)) messages.push(`line ${line}: key ${key.shown} already set in map`);
      else map.seen.add(key.id);
    }
    map.key = undefined;
    map.expectKey = true;
  };
  /** A node was read in full; `line` is where it starts. */
  const nodeDone = (line: number, key?: ScalarKey) => {
    const parent = stack.at(-1);
    if (parent?.kind !== 'map') return;
    if (parent.expectKey) {
      parent.key = key;
      parent.keyEnd = line;
      parent.expectKey = false;
    } else valueDone(parent, line);
  };

  for (const event of parseEvents(text, {})) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        stack.push({ kind: 'document', line: 0, from: messages.length });
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const line = lineOf(firstOffset(event.start, event.anchorStart, event.tagStart));
        const anchor = event.anchorStart >= 0 ? text.slice(event.anchorStart, event.anchorEnd) : undefined;
        const base = { line, anchor, from: messages.length };
        stack.push(
          event.type === EVENT_ID.MAPPING
            ? { kind: 'map', ...base, seen: new Set(), expectKey: true, keyEnd: line }
            : { kind: 'seq', ...base },
        );
        break;
      }
      case EVENT_ID.POP: {
        const done = stack.pop();
        if (!done || done.kind === 'document') break;
        if (done.anchor !== undefined) anchored.set(done.anchor, messages.slice(done.from));
        nodeDone(done.line);
        break;
      }
      case EVENT_ID.ALIAS: {
        messages.push(...(anchored.get(text.slice(event.anchorStart, event.anchorEnd)) ?? []));
        nodeDone(lineOf(event.anchorStart));
        break;
      }
      case EVENT_ID.SCALAR: {
        const parent = stack.at(-1);
        const isKey = parent?.kind === 'map' && parent.expectKey;
        nodeDone(scalarLine(event, parent, lineOf), isKey ? scalarKey(text, event) : undefined);
        break;
      }
    }
  }
  return messages;
}

type MapFrame = {
  kind: 'map';
  line: number;
  anchor?: string;
  from: number;
  seen: Set<string>;
  expectKey: boolean;
  key?: ScalarKey;
  keyEnd: number;
};
type Frame =
  | MapFrame
  | { kind: 'seq'; line: number; anchor?: string; from: number }
  | { kind: 'document'; line: number; from: number };

/** A key as go-yaml's map holds it: `id` tells keys apart, `shown` is Go's `%#v` of it. */
interface ScalarKey {
  id: string;
  shown: string;
}

/**
 * Where go-yaml's node for a scalar starts: its anchor or tag, else its text; a block scalar at its
 * `|`/`>` indicator (the line before its content); an empty value where the `:` before it ends
 * (here: the key's line).
 */
function scalarLine(
  event: ScalarEvent,
  parent: Frame | undefined,
  lineOf: (offset: number) => number,
): number {
  const props = firstOffset(-1, event.anchorStart, event.tagStart);
  if (props >= 0) return lineOf(props);
  if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK)
    return lineOf(Math.max(0, event.valueStart - 1));
  if (event.valueStart >= 0) return lineOf(event.valueStart);
  return parent?.kind === 'map' && !parent.expectKey ? parent.keyEnd : (parent?.line ?? 1);
}

/** go-yaml v2 (YAML 1.1) resolution of a plain scalar key: null, bool, int, else a string. */
function scalarKey(text: string, event: ScalarEvent): ScalarKey {
  const value = getScalarValue(text, event);
  const tag = event.tagStart >= 0 ? text.slice(event.tagStart, event.tagEnd) : '';
  if (event.style === SCALAR_STYLE.PLAIN && (tag === '' || tag === '!')) {
    if (tag === '' && /^(~|null|Null|NULL)?$/.test(value)) return { id: 'nil', shown: '<nil>' };
    if (tag === '' && /^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(value))
      return { id: 'bool:true', shown: 'true' };
    if (tag === '' && /^(n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(value))
      return { id: 'bool:false', shown: 'false' };
    if (tag === '' && /^[-+]?(0|[1-9][0-9_]*)$/.test(value)) {
      const n = BigInt(value.replace(/_/g, ''));
      return { id: `int:${n}`, shown: String(n) };
    }
  }
  return { id: `str:${value}`, shown: goQuote(value) };
}

/** Go's `%q` of a string (strconv.Quote) for the characters keys hold. */
function goQuote(s: string): string {
  const named: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (named[c]) out += named[c];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** The smallest of the offsets that are present (>= 0), or -1. */
function firstOffset(...offsets: number[]): number {
  const present = offsets.filter((o) => o >= 0);
  return present.length ? Math.min(...present) : -1;
}

/** Offsets where each line starts; a line ends at `\n`, `\r\n` or a lone `\r`, as YAML's line breaks. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) starts.push(i + 1);
  }
  return starts;
}

/** The 1-based line of an offset. */
function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
