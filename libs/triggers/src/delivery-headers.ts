import { binaryModeHeaders, STRUCTURED_CONTENT_TYPE } from './content-mode';
import type { DeliveryRow } from './delivery-claim';
import { decodeSecret, signedHeaders, SigningSecretError } from './signing';
import { SECRET_HEADER_PREFIX } from './trigger.types';

/**
 * The headers of a delivery's POST, signed for `body` at `timestampSeconds`. Throws
 * SigningSecretError when the delivery cannot be signed (see signingKeysOf).
 */
export function deliveryRequestHeaders(d: DeliveryRow, body: string, timestampSeconds: number): Record<string, string> {
  return {
    'user-agent': 'imagestreamd-triggers/1',
    // Lower-cased, so a trigger's `User-Agent` replaces ours instead of being sent beside it.
    ...lowerCaseKeys(d.delivery?.headers ?? {}),
    // A receiver's credentials live in the secret, never served; they win over a spec header of the same name.
    ...secretHeadersOf(d.secret),
    // Structured mode: the event is the body; binary mode: `data` is, the attributes are ce-* headers.
    ...(d.attributes ? binaryModeHeaders(d.attributes) : { 'content-type': STRUCTURED_CONTENT_TYPE }),
    // Standard Webhooks signs the body sent, whichever mode.
    ...signedHeaders(signingKeysOf(d), d.id, timestampSeconds, body),
  };
}

/**
 * The owner's signing keys, current first. Deliveries are always signed: a trigger without a
 * secretRef (stored before it was required), a missing secret or a gone trigger is a permanent
 * failure, never an unsigned POST.
 */
function signingKeysOf(d: DeliveryRow): string[] {
  const secretName = d.delivery?.secretRef?.name;
  if (!secretName) throw new SigningSecretError(`no signing secret: ${d.owner_kind} ${d.namespace}/${d.owner_name} ${d.delivery ? 'has no spec.delivery.secretRef' : 'is gone'}`);
  if (!d.secret?.key) throw new SigningSecretError(`signing secret ${d.namespace}/${secretName} not found`);
  const { key, previousKey } = d.secret;
  // A previousKey that is the key again (an old manifest applied once more) signs nothing new.
  return previousKey && !sameKey(previousKey, key) ? [key, previousKey] : [key];
}

/** The same HMAC key, written with or without the `whsec_` prefix. */
function sameKey(a: string, b: string): boolean {
  const [x, y] = [decodeSecret(a), decodeSecret(b)];
  return x !== null && y !== null && x.equals(y);
}

/** Header names are case-insensitive; undici sends `User-Agent` and `user-agent` as two headers. */
function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The delivery headers the signing secret holds (`header.<name>` keys), names lower-cased. */
function secretHeadersOf(secret: DeliveryRow['secret']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret ?? {})) {
    if (k.startsWith(SECRET_HEADER_PREFIX) && typeof v === 'string') headers[k.slice(SECRET_HEADER_PREFIX.length).toLowerCase()] = v;
  }
  return headers;
}
