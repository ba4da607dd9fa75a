import { createHash } from 'node:crypto';
import { DigestMismatchError } from './manifest-errors';

/** Algorithms the OCI spec registers, with their hex lengths. */
const HEX_LENGTHS = { sha256: 64, sha384: 96, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof HEX_LENGTHS;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

function isAlgorithm(value: string): value is DigestAlgorithm {
  return Object.prototype.hasOwnProperty.call(HEX_LENGTHS, value);
}

/** `sha256:<64 lower-case hex>` (and sha384/sha512); null for anything else. */
export function parseDigest(digest: string): ParsedDigest | null {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!m) return null;
  const algorithm = m[1]!;
  const hex = m[2]!;
  if (!isAlgorithm(algorithm) || hex.length !== HEX_LENGTHS[algorithm]) return null;
  return { algorithm, hex };
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && parseDigest(value) !== null;
}

/** Digest of raw bytes. Manifests are hashed exactly as received: re-serialising changes the digest. */
export function digestOf(raw: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(raw).digest('hex')}`;
}

/** True when `raw` hashes to `digest` with the digest's own algorithm; false for unparsable digests. */
export function verifyDigest(raw: Uint8Array | string, digest: string): boolean {
  const parsed = parseDigest(digest);
  return parsed !== null && digestOf(raw, parsed.algorithm) === digest;
}

/** Throws DigestMismatchError unless `raw` hashes to `expected`. */
export function assertDigest(raw: Uint8Array | string, expected: string, what?: string): void {
  const parsed = parseDigest(expected);
  const actual = digestOf(raw, parsed?.algorithm ?? 'sha256');
  if (!parsed || actual !== expected) throw new DigestMismatchError(expected, actual, what);
}
