import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The key id distribution's registry derives from each certificate of its rootcertbundle (libtrust):
 * base32 of the first 240 bits of SHA-256 over the public key's DER SubjectPublicKeyInfo, in 12
 * colon-separated groups of 4. A token whose `kid` is not one of those is `invalid_token`.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const id = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return id.match(/.{4}/g)!.join(':');
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Signs registry tokens (compact JWS) with an EC P-256 (ES256) or RSA (RS256) private key. */
export class TokenSigner {
  private readonly key: KeyObject;
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;

  constructor(keyPem: string) {
    this.key = createPrivateKey(keyPem);
    const type = this.key.asymmetricKeyType;
    const curve = this.key.asymmetricKeyDetails?.namedCurve;
    if (type === 'ec' && curve === 'prime256v1') this.alg = 'ES256';
    else if (type === 'rsa') this.alg = 'RS256';
    else throw new Error(`the token key must be EC P-256 or RSA, got ${type}${curve ? ` (${curve})` : ''}`);
    this.kid = libtrustKeyId(createPublicKey(this.key));
  }

  sign(claims: object): string {
    const input = `${b64url(JSON.stringify({ typ: 'JWT', alg: this.alg, kid: this.kid }))}.${b64url(JSON.stringify(claims))}`;
    // distribution verifies ES256 as the raw 64-byte r||s form (JWS), not DER.
    const signature = this.alg === 'ES256' ? sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), this.key);
    return `${input}.${b64url(signature)}`;
  }
}
