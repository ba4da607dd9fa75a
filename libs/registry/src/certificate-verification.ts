/**
 * Server certificate checks for registry connections, judged in the order and worded as Go's
 * crypto/x509 (what openshift-apiserver's importer reports): validity period first, then the host
 * name (subjectAltName only: Go ignores the Common Name), then the chain. OpenSSL checks the chain
 * first, so a self-signed certificate that names no host would read "self-signed certificate"
 * where OpenShift says "certificate is not valid for any names".
 */
import { isIP } from 'node:net';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import { RegistryCertificateError } from './registry-errors';

interface CertificateNames {
  hasSubjectAltName: boolean;
  dnsNames: string[];
  ipAddresses: string[];
  commonName: string;
}

function namesOf(cert: PeerCertificate): CertificateNames {
  const entries = (cert.subjectaltname ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const commonName = cert.subject?.CN;
  return {
    hasSubjectAltName: cert.subjectaltname !== undefined,
    dnsNames: entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4)),
    ipAddresses: entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice(11)),
    commonName: Array.isArray(commonName) ? (commonName[0] ?? '') : (commonName ?? ''),
  };
}

/** Go's matchHostnames: case-insensitive, a `*` only as the whole leftmost label, matching one label. */
function matchHostname(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p || !h) return false;
  const pl = p.split('.');
  const hl = h.split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((label, i) => label === hl[i] || (i === 0 && label === '*' && hl[0] !== ''));
}

/** Equal addresses, whatever their spelling (the URL parser writes IPv6 in its canonical form). */
function sameIp(a: string, b: string): boolean {
  const canonical = (ip: string) => (isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname : ip);
  return isIP(a) !== 0 && canonical(a) === canonical(b);
}

/** x509.HostnameError's text, or null when the certificate is valid for `host`. */
function hostnameError(names: CertificateNames, host: string): string | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) {
    if (names.ipAddresses.some((ip) => sameIp(ip, bare))) return null;
  } else if (names.dnsNames.some((dns) => matchHostname(dns, bare))) {
    return null;
  }
  if (!names.hasSubjectAltName && matchHostname(names.commonName, bare)) {
    return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  }
  let valid: string;
  if (isIP(bare)) {
    if (!names.ipAddresses.length) return `x509: cannot validate certificate for ${bare} because it doesn't contain any IP SANs`;
    valid = names.ipAddresses.join(', ');
  } else {
    valid = names.dnsNames.join(', ');
  }
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${bare}`;
  return `x509: certificate is valid for ${valid}, not ${bare}`;
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

function validityError(cert: PeerCertificate, now: Date): string | null {
  const notBefore = new Date(cert.valid_from);
  const notAfter = new Date(cert.valid_to);
  if (now < notBefore) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is before ${rfc3339(notBefore)}`;
  if (now > notAfter) return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is after ${rfc3339(notAfter)}`;
  return null;
}

/** OpenSSL's chain verdicts that Go reports as an unknown authority. */
const unknownAuthority = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
]);

/**
 * Go's verdict on the certificate a TLS socket (connected without rejecting) was given, or null
 * when Go would accept it. `url` names the request as Go's client does (`Get "<url>": …`).
 */
export function certificateVerificationError(socket: TLSSocket, host: string, url: string, now = new Date()): RegistryCertificateError | null {
  const cert = socket.getPeerCertificate() as DetailedPeerCertificate | Record<string, never>;
  let reason: string | null;
  if (!cert || Object.keys(cert).length === 0) {
    reason = 'x509: certificate signed by unknown authority';
  } else {
    const peer = cert as PeerCertificate;
    reason = validityError(peer, now) ?? hostnameError(namesOf(peer), host);
    if (!reason && !socket.authorized) {
      const code = String(socket.authorizationError ?? '');
      reason = unknownAuthority.has(code) ? 'x509: certificate signed by unknown authority' : `x509: ${code.toLowerCase().replace(/_/g, ' ')}`;
    }
  }
  return reason ? new RegistryCertificateError(`Get "${url}": tls: failed to verify certificate: ${reason}`) : null;
}

/**
 * An undici connector that verifies server certificates as above: the handshake accepts any
 * certificate, then the socket is refused with Go's wording unless Go would have accepted it.
 */
export function goVerifyingConnector(): buildConnector.connector {
  const connect = buildConnector({ rejectUnauthorized: false });
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err || !socket || options.protocol !== 'https:') return err ? callback(err, null) : callback(null, socket);
      const tls = socket as TLSSocket;
      const port = options.port && options.port !== '443' ? `:${options.port}` : '';
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      const failure = certificateVerificationError(tls, host, `https://${host.includes(':') ? `[${host}]` : host}${port}/v2/`);
      if (failure) {
        tls.destroy();
        return callback(failure, null);
      }
      return callback(null, socket);
    });
}
