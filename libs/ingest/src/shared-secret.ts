import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '@app/api-machinery';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** `Bearer <credentials>`: the scheme is case-insensitive and followed by one or more spaces (RFC 7235 §2.1). */
const BEARER = /^bearer +/i;

/**
 * The registry's static shared secret (distribution signs nothing: README §2). The configured header
 * must carry the secret itself or `Bearer <secret>`, the scheme in any case (registries usually send
 * `Authorization: Bearer …`).
 * Comparison is over SHA-256 digests with timingSafeEqual, so time depends on neither the length nor
 * the content of the secret; both forms are always compared.
 */
export class SharedSecret {
  private readonly secret: Buffer | null;

  constructor(
    readonly header: string,
    secret: string,
  ) {
    this.secret = secret ? digest(secret) : null;
  }

  get enabled(): boolean {
    return this.secret !== null;
  }

  matches(value: string | string[] | undefined): boolean {
    if (!this.secret) return false;
    const raw = Array.isArray(value) ? value.join(', ') : (value ?? '');
    const scheme = BEARER.exec(raw);
    // Both comparisons always run; without a Bearer scheme the second is against '' (never the secret).
    const credentials = scheme ? raw.slice(scheme[0].length) : '';
    const bare = timingSafeEqual(this.secret, digest(raw));
    const bearer = timingSafeEqual(this.secret, digest(credentials));
    return value !== undefined && (bare || bearer);
  }

  /** 404 when no secret is configured (the receiver is off), 401 on a missing or wrong secret. */
  check(headers: IncomingHttpHeaders): void {
    if (!this.enabled) {
      throw new ApiError(
        404,
        'NotFound',
        'the registry notification receiver is disabled: set REGISTRY_NOTIFY_SECRET to enable it',
        {},
      );
    }
    if (!this.matches(headers[this.header])) {
      throw ApiError.unauthorized(`missing or wrong shared secret in the ${this.header} header`);
    }
  }
}
