const STANDARD_ALPHABET = /^[A-Za-z0-9+/]$/;

/** A byte that counts for decoding (CR and LF are skipped) and where it sits in the UTF-8 input. */
interface Significant {
  char: string;
  offset: number;
}

/**
 * Where Go's standard padded base64 decoding (what encoding/json applies to a `[]byte` field)
 * reports `illegal base64 data at input byte N` for `text`, or null when the text decodes.
 * Node's Buffer decoder accepts almost anything, so the check is our own: groups of four
 * characters of the standard alphabet, the last one padded with one or two `=`, nothing
 * after the padding, CR/LF ignored anywhere. Offsets count UTF-8 bytes, as Go sees the string.
 */
export function goBase64ErrorOffset(text: string): number | null {
  const input = Buffer.from(text, 'utf8');
  const significant: Significant[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte !== 0x0a && byte !== 0x0d) significant.push({ char: String.fromCharCode(byte), offset: i });
  }
  const firstOther = significant.findIndex((s) => !STANDARD_ALPHABET.test(s.char));
  if (firstOther === -1) {
    const incomplete = significant.length % 4;
    // A group cut short by the end of the input: reported at the group's first character.
    return incomplete === 0 ? null : significant[significant.length - incomplete]!.offset;
  }
  const other = significant[firstOther]!;
  const place = firstOther % 4;
  // Not a pad, or a pad where a group cannot end (after zero or one character).
  if (other.char !== '=' || place < 2) return other.offset;
  let end = firstOther + 1;
  if (place === 2) {
    // One character short of a group: two pads are needed.
    const second = significant[end];
    if (!second) return input.length;
    if (second.char !== '=') return other.offset;
    end++;
  }
  return end < significant.length ? significant[end]!.offset : null;
}
