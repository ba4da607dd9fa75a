import { createHmac, randomBytes } from 'node:crypto';
import { decodeSecret, secretProblem, signature, signedHeaders, SigningSecretError, verify } from './signing';

/** The reference construction, written out here (standardwebhooks `new Webhook(secret)`: strip `whsec_`, base64-decode). */
function referenceSignature(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

describe('Standard Webhooks secrets', () => {
  const raw = randomBytes(32);
  const b64 = raw.toString('base64');

  it('decodes base64 with or without the whsec_ prefix, as the reference library does', () => {
    expect(decodeSecret(`whsec_${b64}`)).toEqual(raw);
    expect(decodeSecret(b64)).toEqual(raw);
    expect(decodeSecret(b64.replace(/=+$/, ''))).toEqual(raw);
    expect(signature(b64, 'msg_1', 1700000000, '{}')).toBe(
      referenceSignature(b64, 'msg_1', 1700000000, '{}'),
    );
    expect(signature(b64, 'msg_1', 1700000000, '{}')).toBe(
      signature(`whsec_${b64}`, 'msg_1', 1700000000, '{}'),
    );
  });

  it.each([
    ['whsec_!!!notbase64'],
    ['not base64 at all'],
    ['whsec_'],
    [''],
    // URL-safe alphabet: Node would decode it, the reference decoder refuses it.
    [`whsec_${raw.toString('base64url')}-_`],
    // 4n+1 characters cannot be base64.
    ['abcdeabcdeabcdeabcdeabcde'],
  ])('refuses %j instead of signing with whatever a lenient decoder yields', (secret) => {
    expect(decodeSecret(secret)).toBeNull();
    expect(secretProblem(secret)).toMatch(/base64/);
    expect(() => signature(secret, 'msg_1', 1, 'b')).toThrow(SigningSecretError);
  });

  it('checks the decoded key length (24 to 64 bytes), not the text length', () => {
    expect(secretProblem(`whsec_${randomBytes(24).toString('base64')}`)).toBeNull();
    expect(secretProblem(randomBytes(64).toString('base64'))).toBeNull();
    // 20 characters of text, 15 bytes of key.
    expect(secretProblem(randomBytes(15).toString('base64'))).toBe(
      'must decode to 24 to 64 bytes (decodes to 15)',
    );
    expect(secretProblem(`whsec_${randomBytes(65).toString('base64')}`)).toMatch(/decodes to 65/);
    expect(secretProblem(42)).toBe('must be a string');
  });

  it('always signs: no secret is an error, not an unsigned delivery', () => {
    expect(() => signedHeaders([], 'msg_1', 1, 'b')).toThrow(SigningSecretError);
    const h = signedHeaders([`whsec_${b64}`], 'msg_1', 1700000000, 'b');
    expect(h['webhook-signature']).toBe(referenceSignature(b64, 'msg_1', 1700000000, 'b'));
  });

  it('verify refuses an undecodable secret instead of throwing', () => {
    const h = signedHeaders([b64], 'msg_1', 1700000000, 'b');
    expect(
      verify(
        'whsec_!!!',
        { id: 'msg_1', timestamp: h['webhook-timestamp']!, signature: h['webhook-signature']! },
        'b',
        1700000000,
      ),
    ).toBe(false);
  });
});
