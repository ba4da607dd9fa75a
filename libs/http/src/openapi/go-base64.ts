const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const decodable = new Set([...alphabet].map((c) => c.charCodeAt(0)));
const PAD = 0x3d; // '='
const isNewline = (b: number | undefined) => b === 0x0a || b === 0x0d;

/**
 * Where Go's `base64.StdEncoding.Decode` (what encoding/json uses for a `[]byte` field) stops on
 * `text`: the byte offset its CorruptInputError names, or null when the text decodes. Padding is
 * required, CR and LF are skipped, anything after the padding is an error; offsets count UTF-8
 * bytes, as Go reads the string.
 */
export function goBase64ErrorOffset(text: string): number | null {
  const src = Buffer.from(text, 'utf8');
  let si = 0;
  while (si < src.length) {
    const quantum = decodeQuantum(src, si);
    if (quantum.error !== null) return quantum.error;
    si = quantum.next;
  }
  return null;
}

/** One 4-character group, as Go's decodeQuantum reads it from `si`. */
function decodeQuantum(src: Buffer, start: number): { next: number; error: number | null } {
  let si = start;
  for (let j = 0; j < 4; j++) {
    if (si === src.length) {
      // End of input inside a group: a standard encoding needs padding there.
      return { next: si, error: j === 0 ? null : si - j };
    }
    const c = src[si]!;
    si++;
    if (decodable.has(c)) continue;
    if (isNewline(c)) {
      j--;
      continue;
    }
    if (c !== PAD) return { next: si, error: si - 1 };
    // Padding: only after two or three characters of the group.
    if (j < 2) return { next: si, error: si - 1 };
    if (j === 2) {
      while (si < src.length && isNewline(src[si])) si++;
      if (si === src.length) return { next: si, error: src.length };
      if (src[si] !== PAD) return { next: si, error: si - 1 };
      si++;
    }
    while (si < src.length && isNewline(src[si])) si++;
    return { next: si, error: si < src.length ? si : null };
  }
  return { next: si, error: null };
}
