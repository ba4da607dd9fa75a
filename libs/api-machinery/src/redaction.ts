/** What stands for a secret value wherever one would otherwise be shown (answers, annotations, errors). */
export const REDACTED_VALUE = '<redacted>';

/**
 * A URL as a message may show it: whatever precedes its last `@` (userinfo: a password or token)
 * is masked, whether or not the text parses as a URL (a password with an unescaped `#`, `/` or `@`
 * is a common reason it does not).
 */
export function withoutUserinfo(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^[^:/?#@]*:\/\//.exec(url)?.[0] ?? '';
  return `${scheme}${REDACTED_VALUE}${url.slice(at)}`;
}

/**
 * A write's document as an error message quotes it (a patch that does not decode, a strategic
 * patch's map): `<redacted>` whole for a kind whose bodies hold secrets (a signing key, a Secret's
 * data: the answer may be printed or logged where the caller's own request never was), else the
 * JSON with the userinfo of every URL masked (a Trigger's delivery URL may carry a password).
 */
export function quotedDocument(secretBodies: boolean | undefined, doc: unknown): string {
  if (secretBodies) return REDACTED_VALUE;
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value) ? withoutUserinfo(value) : value));
}

/**
 * An error whose message quotes a patch's Go map (`… in map: map[…]`, `map: map[…] does not
 * contain …`), with each quoted map replaced by `<redacted>` (see quotedDocument).
 */
export function withoutQuotedMaps(message: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = message.indexOf('map[', i);
    if (start < 0) return out + message.slice(i);
    let depth = 0;
    let end = start + 3;
    for (; end < message.length; end++) {
      if (message[end] === '[') depth++;
      else if (message[end] === ']' && --depth === 0) break;
    }
    out += `${message.slice(i, start)}${REDACTED_VALUE}`;
    i = Math.min(end + 1, message.length);
  }
}
