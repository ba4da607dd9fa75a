import { ApiError } from './api-error';
import { goJsonSyntaxError } from './go-json-syntax';

/** Opaque list continuation: the snapshot resourceVersion and the last key returned. */
export interface ContinueToken {
  /** Membership: objects created at or below this version. */
  rv: string;
  /** The resourceVersion the first page reported. */
  listRv?: string;
  namespace: string;
  name: string;
  /** The list is resourceVersionMatch=Exact: every page shows the objects as they were at `rv`. */
  exact?: boolean;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, ...token })).toString('base64url');
}

export function decodeContinue(raw: string): ContinueToken {
  const base64Error = goBase64UrlError(raw);
  if (base64Error) throw invalidContinue(base64Error);
  const bytes = Buffer.from(raw, 'base64url');
  const syntax = goJsonSyntaxError(bytes);
  if (syntax) throw invalidContinue(syntax);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    // Only what Go's scanner gave up on (nesting too deep for it): no wording of Go's to give.
    throw invalidContinue(undefined);
  }
  const token = ourToken(parsed);
  if (token) return token;
  throw invalidContinue(notOurToken(parsed));
}

function ourToken(value: unknown): ContinueToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const parsed = value as Partial<ContinueToken> & { v?: unknown };
  if (parsed.v !== 1 || typeof parsed.rv !== 'string' || !/^\d+$/.test(parsed.rv) || typeof parsed.name !== 'string' || typeof parsed.namespace !== 'string') return undefined;
  const listRv = typeof parsed.listRv === 'string' && /^\d+$/.test(parsed.listRv) ? parsed.listRv : undefined;
  return { rv: parsed.rv, ...(listRv ? { listRv } : {}), namespace: parsed.namespace, name: parsed.name, ...(parsed.exact === true ? { exact: true } : {}) };
}

/**
 * kube's storage.ValidateListOptions over DecodeContinue: 400 `invalid continue token: continue
 * key is not valid: <why>`, before any list work (the watch cache's delegator checks first).
 */
function invalidContinue(why: string | undefined): ApiError {
  return ApiError.badRequest(`invalid continue token: continue key is not valid${why === undefined ? '' : `: ${why}`}`);
}

/**
 * Why kube's json.Unmarshal into its continueToken struct would fail on JSON that is no token
 * of ours: a scalar or list cannot be that struct, and `null` leaves its version empty. Our
 * tokens are laid out otherwise, so any other object gets ErrGenericInvalidKey's text alone.
 */
function notOurToken(value: unknown): string | undefined {
  if (value === null) return 'server does not recognize this encoded version ';
  if (typeof value === 'object' && !Array.isArray(value)) return undefined;
  const type = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
  return `json: cannot unmarshal ${type} into Go value of type storage.continueToken`;
}

const base64UrlAlphabet = /^[A-Za-z0-9_-]$/;

/**
 * Go's base64.RawURLEncoding refusal (`illegal base64 data at input byte N`), or undefined when
 * it decodes: a byte outside the URL alphabet (`=` included: no padding), or one character left
 * over after the last full group. Line breaks are skipped, as Go skips them.
 */
function goBase64UrlError(raw: string): string | undefined {
  const bytes = Buffer.from(raw, 'utf8');
  let count = 0;
  for (const [i, byte] of bytes.entries()) {
    if (byte === 0x0a || byte === 0x0d) continue;
    if (!base64UrlAlphabet.test(String.fromCharCode(byte))) return `illegal base64 data at input byte ${i}`;
    count++;
  }
  return count % 4 === 1 ? `illegal base64 data at input byte ${bytes.length - 1}` : undefined;
}

export const continueTooOldMessage =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
