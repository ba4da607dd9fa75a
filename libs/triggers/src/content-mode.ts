/**
 * CloudEvents HTTP content modes (HTTP protocol binding §3). `structured` (the default) POSTs the
 * whole event as `application/cloudevents+json`; `binary` POSTs only `data`, with its own content
 * type, and carries every other attribute in a `ce-<name>` header, which suits receivers that
 * route on headers without parsing the body (and ones that already take plain JSON).
 */
export const contentModes = ['structured', 'binary'] as const;
export type ContentMode = (typeof contentModes)[number];

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/**
 * A header value as the binding writes a string attribute (§3.1.3.2): UTF-8, with space, `"`, `%`
 * and every byte outside printable ASCII percent-encoded.
 */
export function encodeHeaderValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The headers of a binary-mode message for an event's attributes (the event without `data`):
 * `datacontenttype` becomes Content-Type (§3.1.1), every other attribute a `ce-` header (§3.1.3).
 */
export function binaryModeHeaders(attributes: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'data' || value === undefined || value === null) continue;
    // Our attributes are strings; an integer or boolean extension would print as JSON does.
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (name === 'datacontenttype') headers['content-type'] = text;
    else headers[`ce-${name}`] = encodeHeaderValue(text);
  }
  headers['content-type'] ??= 'application/json';
  return headers;
}
