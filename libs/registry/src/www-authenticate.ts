/** One challenge of a WWW-Authenticate header, e.g. `Bearer realm="...",service="...",scope="..."`. */
export interface AuthChallenge {
  /** Lower-cased scheme: `bearer`, `basic`, ... */
  scheme: string;
  /** Lower-cased parameter names → unquoted values. */
  params: Record<string, string>;
}

// token68-free subset of RFC 7235: `scheme k=v, k="quoted \" value", ...`; a new scheme starts a new challenge.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Parses a WWW-Authenticate value (or several, as undici joins repeated headers into an array).
 * Malformed trailing input is ignored: a partial challenge is better than none for error messages.
 */
export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: AuthChallenge[] = [];
  for (const value of values) parseInto(value, out);
  return out;
}

function parseInto(value: string, out: AuthChallenge[]): void {
  let rest = value.trim();
  let current: AuthChallenge | undefined;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '');
    const name = TOKEN.exec(rest)?.[0];
    if (!name) return;
    rest = rest.slice(name.length).replace(/^\s+/, '');
    if (!rest.startsWith('=') || !current) {
      // A bare token is a scheme (`Bearer`), which may be followed by parameters.
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      continue;
    }
    rest = rest.slice(1).replace(/^\s+/, '');
    let parsed: string;
    if (rest.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!m) return;
      parsed = m[1]!.replace(/\\(.)/g, '$1');
      rest = rest.slice(m[0].length);
    } else {
      parsed = /^[^,\s]*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(parsed.length);
    }
    current.params[name.toLowerCase()] = parsed;
  }
}
