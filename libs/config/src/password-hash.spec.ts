import { execFileSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPasswordHash, hashPasswordSync, parsePasswordHash, passwordMatches } from './password-hash';

/** The command README (Access control) gives for making a passwordHash: the password on stdin, not in ps or history. */
const README_COMMAND = /\| node -e '([^']+)'/.exec(readFileSync(join(__dirname, '../../../README.md'), 'utf8'))![1]!;

describe('scrypt password hashes', () => {
  it('the README command makes a hash that verifies the password and nothing else', async () => {
    const text = execFileSync(process.execPath, ['-e', README_COMMAND], { input: 'pa$$ wörd' }).toString().trim();
    expect(text).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const hash = parsePasswordHash(text);
    expect(formatPasswordHash(hash)).toBe(text);
    await expect(passwordMatches(hash, 'pa$$ wörd')).resolves.toBe(true);
    await expect(passwordMatches(hash, 'pa$$ word')).resolves.toBe(false);
    await expect(passwordMatches(hash, '')).resolves.toBe(false);
  });

  it('is scrypt over the salt with the given cost (a hash made elsewhere verifies)', async () => {
    const salt = Buffer.alloc(16, 7);
    const hash = scryptSync('secret', salt, 64, { N: 2 ** 14, r: 8, p: 1 });
    const text = `$scrypt$ln=14,r=8,p=1$${salt.toString('base64')}$${hash.toString('base64')}`.replace(/=+(?=\$|$)/g, '');
    await expect(passwordMatches(parsePasswordHash(text), 'secret')).resolves.toBe(true);
  });

  it('hashes with a fresh salt each time', () => {
    const [a, b] = [hashPasswordSync('x', { logN: 14, r: 8, p: 1 }), hashPasswordSync('x', { logN: 14, r: 8, p: 1 })];
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(a.hash.equals(b.hash)).toBe(false);
  });

  const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
  const hash = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
  it.each([
    ['a bcrypt hash', '$2y$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui', /bcrypt \(htpasswd\)/],
    ['a SHA-256 hex', 'a'.repeat(64), /must be \$scrypt\$/],
    ['a cost below 2^14', `$scrypt$ln=10,r=8,p=1$${salt}$${hash}`, /ln must be 14 to 24/],
    ['more than 1 GiB', `$scrypt$ln=24,r=8,p=1$${salt}$${hash}`, /out of range/],
    ['a short salt', `$scrypt$ln=14,r=8,p=1$AAAA$${hash}`, /salt must be at least 16 bytes/],
    ['a short hash', `$scrypt$ln=14,r=8,p=1$${salt}$AAAA`, /hash must be 32 to 64 bytes/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parsePasswordHash(text)).toThrow(message);
  });
});
