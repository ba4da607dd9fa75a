import { createHash } from 'node:crypto';
import { assertDigest, digestOf, isDigest, parseDigest, verifyDigest } from './digest';
import { DigestMismatchError } from './manifest-errors';

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('digests', () => {
  it('hashes raw bytes, not re-serialised JSON', () => {
    expect(digestOf('')).toBe(EMPTY_SHA256);
    expect(digestOf('{"a":1}')).not.toBe(digestOf('{ "a": 1 }'));
  });

  it.each(['sha256', 'sha384', 'sha512'] as const)('verifies %s', (algorithm) => {
    const digest = `${algorithm}:${createHash(algorithm).update('blob').digest('hex')}`;
    expect(digestOf('blob', algorithm)).toBe(digest);
    expect(verifyDigest(Buffer.from('blob'), digest)).toBe(true);
    expect(verifyDigest('blob!', digest)).toBe(false);
    expect(() => assertDigest('blob', digest)).not.toThrow();
  });

  it.each([
    ['sha256:abc'],
    [`md5:${'a'.repeat(32)}`],
    [`sha256:${'A'.repeat(64)}`],
    [`sha384:${'a'.repeat(64)}`],
    ['sha256'],
    [''],
  ])('rejects malformed digest %j', (digest) => {
    expect(parseDigest(digest)).toBeNull();
    expect(isDigest(digest)).toBe(false);
    expect(verifyDigest('x', digest)).toBe(false);
    expect(() => assertDigest('x', digest)).toThrow(DigestMismatchError);
  });

  it('reports both digests on mismatch', () => {
    expect(() => assertDigest('x', EMPTY_SHA256, 'blob')).toThrow(
      `blob digest mismatch: expected ${EMPTY_SHA256}, got ${digestOf('x')}`,
    );
    expect(parseDigest(EMPTY_SHA256)).toEqual({ algorithm: 'sha256', hex: EMPTY_SHA256.slice(7) });
  });
});
