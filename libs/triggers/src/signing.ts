import { createHmac, timingSafeEqual } from 'node:crypto';

/** The prefix Standard Webhooks puts on symmetric secrets "for easy identification" (optional). */
export const SECRET_PREFIX = 'whsec_';
/**
 * Decoded key length bounds: the Standard Webhooks spec asks for "at least 24 bytes (192 bits,
 * 512 maximum)". Checked when a TriggerSecret is written; signing only needs the key to decode.
 */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

// Standard alphabet only (the reference decoder, @stablelib/base64, refuses `-` and `_`), padded
// or not; a length of 4n+1 characters cannot be base64 at all.
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * The HMAC key of a Standard Webhooks secret: base64, with or without the `whsec_` prefix, as the
 * reference library (`new Webhook(secret)`) reads it. Null when the text is not base64 (Node's own
 * decoder would silently skip the bad characters and sign with a different key than receivers use).
 */
export function decodeSecret(secret: string): Buffer | null {
  const text = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!text || !base64Text.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/** Why a secret cannot be stored (never echoes the secret), or null when it is usable. */
export function secretProblem(secret: unknown): string | null {
  if (typeof secret !== 'string') return 'must be a string';
  const key = decodeSecret(secret);
  if (!key) return `must be base64 (standard alphabet), optionally prefixed with ${SECRET_PREFIX}`;
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    return `must decode to ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (decodes to ${key.length})`;
  }
  return null;
}

export class SigningSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningSecretError';
  }
}

/** HMAC key bytes of a secret; throws SigningSecretError when it is not base64. */
export function secretBytes(secret: string): Buffer {
  const key = decodeSecret(secret);
  if (!key || key.length === 0) throw new SigningSecretError(`signing secret is not base64 (optionally prefixed with ${SECRET_PREFIX})`);
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>` (standardwebhooks.com spec). */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers. During a rotation both secrets sign, space-separated, so a
 * receiver holding either one accepts the message. Every delivery is signed: no secret is an error.
 */
export function signedHeaders(secrets: string[], id: string, timestamp: number, body: string): Record<string, string> {
  if (!secrets.length) throw new SigningSecretError('no signing secret: deliveries are always signed');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signature(s, id, timestamp, body)).join(' '),
  };
}

/** Receiver-side check (used by preview answers and unit tests; tests also carry their own verifier). */
export function verify(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !decodeSecret(secret)) return false;
  const expected = Buffer.from(signature(secret, headers.id, ts, body).slice(3), 'base64');
  return headers.signature.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
