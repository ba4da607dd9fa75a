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
