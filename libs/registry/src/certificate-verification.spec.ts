import type { TLSSocket } from 'node:tls';
import { certificateVerificationError } from './certificate-verification';
import { RegistryCertificateError } from './registry-errors';

const now = new Date('2026-12-01T10:00:00Z');
const url = 'https://registry.example:5000/v2/';

/** What a TLS socket connected with rejectUnauthorized=false reports about the server's certificate. */
function socket(cert: Record<string, unknown>, authorizationError?: string): TLSSocket {
  const peer = { subject: { O: 'RedHat' }, valid_from: 'Dec  1 09:00:00 2026 GMT', valid_to: 'Dec  2 09:00:00 2026 GMT', ...cert };
  return { getPeerCertificate: () => peer, authorized: authorizationError === undefined, authorizationError } as unknown as TLSSocket;
}

const verdict = (s: TLSSocket, host: string) => certificateVerificationError(s, host, url, now)?.message ?? null;
const prefix = `Get "${url}": tls: failed to verify certificate: `;

describe('certificateVerificationError (Go crypto/x509 order and wording)', () => {
  it('a self-signed certificate naming no host fails on the host name first, as Go checks it before the chain', () => {
    const s = socket({}, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(verdict(s, 'image-registry.ns')).toBe(`${prefix}x509: certificate is not valid for any names, but wanted to match image-registry.ns`);
    expect(verdict(s, '127.0.0.1')).toBe(`${prefix}x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs`);
    expect(certificateVerificationError(s, 'image-registry.ns', url, now)).toBeInstanceOf(RegistryCertificateError);
  });

  it('names the hosts a certificate is valid for; wildcards cover one label; the Common Name is never a host name', () => {
    const s = socket({ subjectaltname: 'DNS:a.example, DNS:*.apps.example, IP Address:10.0.0.1' });
    expect(verdict(s, 'x.apps.example')).toBeNull();
    expect(verdict(s, 'A.Example')).toBeNull();
    expect(verdict(s, '10.0.0.1')).toBeNull();
    expect(verdict(s, 'x.y.apps.example')).toBe(`${prefix}x509: certificate is valid for a.example, *.apps.example, not x.y.apps.example`);
    expect(verdict(s, '10.0.0.2')).toBe(`${prefix}x509: certificate is valid for 10.0.0.1, not 10.0.0.2`);
    expect(verdict(socket({ subjectaltname: 'IP Address:0:0:0:0:0:0:0:1' }), '::1')).toBeNull();
    const legacy = socket({ subject: { CN: 'registry.example' } });
    expect(verdict(legacy, 'registry.example')).toBe(`${prefix}x509: certificate relies on legacy Common Name field, use SANs instead`);
  });

  it('an expired certificate is reported before its names; a valid one with an unknown issuer as an unknown authority', () => {
    const expired = socket({ valid_to: 'Nov 30 09:00:00 2026 GMT' }, 'CERT_HAS_EXPIRED');
    expect(verdict(expired, 'elsewhere')).toBe(
      `${prefix}x509: certificate has expired or is not yet valid: current time 2026-12-01T10:00:00Z is after 2026-11-30T09:00:00Z`,
    );
    const untrusted = socket({ subjectaltname: 'DNS:registry.example' }, 'SELF_SIGNED_CERT_IN_CHAIN');
    expect(verdict(untrusted, 'registry.example')).toBe(`${prefix}x509: certificate signed by unknown authority`);
    expect(verdict(socket({ subjectaltname: 'DNS:registry.example' }), 'registry.example')).toBeNull();
  });
});
