import { isRecord } from './json-shape';
import type { RegistrySubject } from './registry-errors';
import { parseWwwAuthenticate } from './www-authenticate';

/**
 * The codes distribution registers (registry/api/errcode/register.go and registry/api/v2/errors.go)
 * with their default messages. A code the client does not know is read as UNKNOWN.
 */
const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  UNKNOWN: 'unknown error',
  UNSUPPORTED: 'The operation is unsupported.',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNAVAILABLE: 'service unavailable',
  TOOMANYREQUESTS: 'too many requests',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  SIZE_INVALID: 'provided length did not match content length',
  RANGE_INVALID: 'invalid content range',
  NAME_INVALID: 'invalid repository name',
  TAG_INVALID: 'manifest tag did not match URI',
  NAME_UNKNOWN: 'repository name not known to registry',
  MANIFEST_UNKNOWN: 'manifest unknown',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNVERIFIED: 'manifest failed signature verification',
  MANIFEST_BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
};

/**
 * What distribution's client (registry/client errors.go HandleErrorResponse) makes of an error
 * answer: the error codes it carries and the text Go's error prints, which OpenShift's importer
 * puts in import statuses (`<ref>: <text>`) and decides NotFound/Unauthorized by (isDockerError).
 */
export interface RegistryErrorAnswer {
  statusCode: number;
  /** What the request asked for, when the client says. */
  subject?: RegistrySubject;
  /** Canonical codes of the errcode values, in order ([] when the body was not an error list). */
  codes: string[];
  /** Go's err.Error(). */
  text: string;
}

/** One errcode value: a bare ErrorCode prints `denied`, an errcode.Error `denied: <message>`. */
interface ErrcodeValue {
  code: string;
  message?: string;
}

const codeText = (code: string) => code.replace(/_/g, ' ').toLowerCase();
const valueText = (v: ErrcodeValue) => (v.message === undefined ? codeText(v.code) : `${codeText(v.code)}: ${v.message}`);

/** errcode.Errors.Error(): one error prints as itself, more as a list. */
function errorsText(values: (ErrcodeValue | string)[]): string {
  const texts = values.map((v) => (typeof v === 'string' ? v : valueText(v)));
  if (texts.length === 1) return texts[0]!;
  return `errors:\n${texts.map((t) => `${t}\n`).join('')}`;
}

/** encoding/json matches keys case-insensitively, an exact match first. */
function field(doc: Record<string, unknown>, name: string): unknown {
  if (name in doc) return doc[name];
  const key = Object.keys(doc).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : doc[key];
}

function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  return 'object';
}

/** Go's %q of a body (strconv.Quote): printable text as is, quotes, backslashes and controls escaped. */
export function goQuote(text: string): string {
  const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (escapes[ch]) out += escapes[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (ch === '\ufffd') out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/** The error encoding/json gives for text that is not one JSON value (the common cases). */
function goJsonSyntaxError(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'unexpected end of JSON input';
  const first = trimmed[0]!;
  if (!/[{["tfn\-0-9]/.test(first)) return `invalid character ${goCharQuote(first)} looking for beginning of value`;
  // A value followed by more text ("404 page not found"): the first character after the value.
  const prefix = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\s*(.)/s.exec(trimmed);
  if (prefix) return `invalid character ${goCharQuote(prefix[2]!)} after top-level value`;
  return 'unexpected end of JSON input';
}

function goCharQuote(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return "'\"'";
  return `'${ch}'`;
}

type Parsed = { values: ErrcodeValue[] } | { unexpected: string };

/** registry/client parseHTTPErrorResponse over the body alone. */
function parseErrorBody(statusCode: number, body: Buffer): Parsed {
  const text = body.toString('utf8');
  const unexpected = (why: string): Parsed => ({ unexpected: `error parsing HTTP ${statusCode} response body: ${why}: ${goQuote(text)}` });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return unexpected(goJsonSyntaxError(text));
  }
  // Irregular answers with a top-level "details" string (older registries, some proxies).
  const details = isRecord(doc) ? field(doc, 'details') : undefined;
  if (typeof details === 'string' && details !== '') {
    const code = statusCode === 401 ? 'UNAUTHORIZED' : statusCode === 403 ? 'DENIED' : statusCode === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN';
    return { values: [{ code, message: details }] };
  }
  if (doc !== null && !isRecord(doc)) {
    return unexpected(`json: cannot unmarshal ${goJsonKind(doc)} into Go value of type struct { Errors []errcode.Error }`);
  }
  const list = doc === null ? null : field(doc, 'errors');
  if (list !== null && list !== undefined && !Array.isArray(list)) {
    return unexpected(`json: cannot unmarshal ${goJsonKind(list)} into Go struct field .Errors of type []errcode.Error`);
  }
  const values: ErrcodeValue[] = [];
  for (const entry of (list as unknown[] | null | undefined) ?? []) {
    if (entry !== null && !isRecord(entry)) {
      return unexpected(`json: cannot unmarshal ${goJsonKind(entry)} into Go struct field .Errors of type errcode.Error`);
    }
    const rawCode = entry === null ? undefined : field(entry, 'code');
    const rawMessage = entry === null ? undefined : field(entry, 'message');
    const detail = entry === null ? undefined : field(entry, 'detail');
    if ((rawCode !== undefined && rawCode !== null && typeof rawCode !== 'string') || (rawMessage !== undefined && rawMessage !== null && typeof rawMessage !== 'string')) {
      return unexpected(`json: cannot unmarshal ${goJsonKind(typeof rawCode === 'string' ? rawMessage : rawCode)} into Go struct field Error.Errors.${typeof rawCode === 'string' ? 'message' : 'code'} of type ${typeof rawCode === 'string' ? 'string' : 'errcode.ErrorCode'}`);
    }
    const code = typeof rawCode === 'string' && rawCode in DEFAULT_MESSAGES ? rawCode : 'UNKNOWN';
    const message = typeof rawMessage === 'string' ? rawMessage : '';
    // errcode.Errors UnmarshalJSON: without detail, the code's own message (or none) leaves a bare ErrorCode.
    const bare = (detail === undefined || detail === null) && (message === '' || message === DEFAULT_MESSAGES[code]);
    values.push(bare ? { code } : { code, message });
  }
  if (values.length === 0) return unexpected('no error details found in HTTP response body');
  return { values };
}

/**
 * HandleErrorResponse for one answer: a 4xx is read for its bearer challenge error and its body's
 * error list; anything else is `received unexpected HTTP status: <status line>`.
 */
export function registryErrorAnswer(
  statusCode: number,
  statusText: string | undefined,
  wwwAuthenticate: string | string[] | undefined,
  body: Buffer,
): RegistryErrorAnswer {
  if (statusCode < 400 || statusCode >= 500) {
    const status = statusText ? `${statusCode} ${statusText}` : `${statusCode}`;
    return { statusCode, codes: [], text: `received unexpected HTTP status: ${status}` };
  }
  const parsed = parseErrorBody(statusCode, body);
  for (const challenge of parseWwwAuthenticate(wwwAuthenticate)) {
    if (challenge.scheme !== 'bearer') continue;
    const error = challenge.params['error'];
    const code = error === 'invalid_token' ? 'UNAUTHORIZED' : error === 'insufficient_scope' ? 'DENIED' : undefined;
    if (!code) continue;
    const first: ErrcodeValue = { code, message: challenge.params['error_description'] || DEFAULT_MESSAGES[code] };
    const rest = 'values' in parsed ? parsed.values : [parsed.unexpected];
    return { statusCode, codes: [code, ...rest.flatMap((v) => (typeof v === 'string' ? [] : [v.code]))], text: errorsText([first, ...rest]) };
  }
  if ('unexpected' in parsed) {
    if (statusCode === 401) return { statusCode, codes: ['UNAUTHORIZED'], text: `unauthorized: ${DEFAULT_MESSAGES['UNAUTHORIZED']}` };
    return { statusCode, codes: [], text: parsed.unexpected };
  }
  return { statusCode, codes: parsed.values.map((v) => v.code), text: errorsText(parsed.values) };
}
