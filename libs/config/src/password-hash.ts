import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Passwords in ACCESS_POLICY_FILE are kept as scrypt hashes in the PHC string format (as passlib
 * and the PHC spec write them): `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`, salt and hash in
 * base64 without padding.
 *
 * Why scrypt and not bcrypt (distribution's htpasswd `$2y$`): scrypt is in Node's own crypto
 * (OpenSSL), so the authentication path takes no third-party dependency; it is memory-hard, which
 * costs a GPU or ASIC attacker far more than bcrypt's 4 KiB; and it has no 72-byte password
 * limit. The price is that htpasswd files cannot be pasted in: README shows a one-line node
 * command that makes a hash.
 */
export interface PasswordHash {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** OWASP's scrypt minimum in its 32 MiB form (N=2^15, r=8, p=3); used for `password` hashed at load and by the README command. */
export const DEFAULT_SCRYPT_COST = { logN: 15, r: 8, p: 3 } as const;

// Bounds on what a policy file may ask of each verification: at least 2^14 (weaker is no better
// than a fast hash), at most 1 GiB of memory and a p that keeps one check under seconds.
const MAX_MEMORY = 1024 * 1024 * 1024;
const memoryOf = (logN: number, r: number) => 128 * 2 ** logN * r;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Reads `$scrypt$ln=..,r=..,p=..$salt$hash`; throws a message saying what is wrong. */
export function parsePasswordHash(text: string): PasswordHash {
  if (/^\$2[aby]\$/.test(text)) throw new Error('is a bcrypt (htpasswd) hash: only $scrypt$ hashes are read (README, Access control, shows how to make one)');
  const m = PHC.exec(text);
  if (!m) throw new Error('must be $scrypt$ln=<log2 N>,r=<r>,p=<p>$<base64 salt>$<base64 hash>');
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 14 || logN > 24) throw new Error(`ln must be 14 to 24, got ${logN}`);
  if (r < 1 || p < 1 || p > 16 || memoryOf(logN, r) > MAX_MEMORY) throw new Error(`r=${r}, p=${p} out of range (r ≥ 1, 1 ≤ p ≤ 16, 128·N·r ≤ 1 GiB)`);
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 16) throw new Error('the salt must be at least 16 bytes');
  if (hash.length < 32 || hash.length > 64) throw new Error('the hash must be 32 to 64 bytes');
  return { logN, r, p, salt, hash };
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export function formatPasswordHash(h: PasswordHash): string {
  return `$scrypt$ln=${h.logN},r=${h.r},p=${h.p}$${b64(h.salt)}$${b64(h.hash)}`;
}

const options = (h: Pick<PasswordHash, 'logN' | 'r' | 'p'>) => ({ N: 2 ** h.logN, r: h.r, p: h.p, maxmem: 2 * memoryOf(h.logN, h.r) });

/** Hashes a password with a fresh 16-byte salt (synchronous: used once per plain `password` at load). */
export function hashPasswordSync(password: string, cost: Pick<PasswordHash, 'logN' | 'r' | 'p'> = DEFAULT_SCRYPT_COST): PasswordHash {
  const salt = randomBytes(16);
  return { ...cost, salt, hash: scryptSync(password, salt, 32, options(cost)) };
}

/** Whether `password` is the one `expected` was made from; compared in constant time, off the event loop. */
export function passwordMatches(expected: PasswordHash, password: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    scrypt(password, expected.salt, expected.hash.length, options(expected), (err, derived) => {
      if (err) reject(err);
      else resolve(timingSafeEqual(derived, expected.hash));
    });
  });
}
