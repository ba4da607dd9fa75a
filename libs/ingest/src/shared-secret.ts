import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '@app/api-machinery';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The registry's static shared secret (distribution signs nothing: README §2). The configured header
 * must carry the secret itself or `Bearer <secret>` (registries usually send `Authorization: Bearer …`).
 * Comparison is over SHA-256 digests with timingSafeEqual, so time depends on neither the length nor
 * the content of the secret; both forms are always compared.
 */
export class SharedSecret {
  private readonly accepted: Buffer[];

  constructor(
    readonly header: string,
    secret: string,
  ) {
    this.accepted = secret ? [digest(secret), digest(`Bearer ${secret}`)] : [];
  }

  get enabled(): boolean {
    return this.accepted.length > 0;
  }

  matches(value: string | string[] | undefined): boolean {
    const given = digest(Array.isArray(value) ? value.join(', ') : (value ?? ''));
    let ok = false;
    for (const a of this.accepted) ok = timingSafeEqual(a, given) || ok;
    return ok && value !== undefined;
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
