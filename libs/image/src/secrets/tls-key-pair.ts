import { createPrivateKey, X509Certificate } from 'node:crypto';

interface PemBlock {
  type: string;
  body: string;
}

/** The PEM blocks of `text`, in order (Go's pem.Decode loop over the input). */
function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) blocks.push({ type: m[1]!, body: m[0] });
  return blocks;
}

const skipped = (types: string[]) => `[${types.join(' ')}]`;

/**
 * What Go's tls.X509KeyPair says about a `kubernetes.io/tls` Secret's `tls.crt` and `tls.key`
 * (kube-apiserver warns with it on create and update; the Secret is stored anyway), or null when
 * they form a pair. The checks and messages follow crypto/tls: PEM found, the first CERTIFICATE
 * and the first *PRIVATE KEY block parsed, and the key matching the certificate.
 */
export function tlsKeyPairProblem(certBytes: Buffer, keyBytes: Buffer): string | null {
  const certBlocks = pemBlocks(certBytes.toString('latin1'));
  const certificates = certBlocks.filter((b) => b.type === 'CERTIFICATE');
  if (certificates.length === 0) {
    if (certBlocks.length === 0) return 'tls: failed to find any PEM data in certificate input';
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: ${skipped(certBlocks.map((b) => b.type))}`;
  }
  const keyBlocks = pemBlocks(keyBytes.toString('latin1'));
  const keyBlock = keyBlocks.find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (!keyBlock) {
    if (keyBlocks.length === 0) return 'tls: failed to find any PEM data in key input';
    if (keyBlocks.some((b) => b.type === 'CERTIFICATE')) return 'tls: found a certificate rather than a key in the PEM for the private key';
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: ${skipped(keyBlocks.map((b) => b.type))}`;
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificates[0]!.body);
  } catch {
    return 'x509: malformed certificate';
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyBlock.body);
  } catch {
    return 'tls: failed to parse private key';
  }
  if (certificate.publicKey.asymmetricKeyType !== key.asymmetricKeyType) return 'tls: private key type does not match public key type';
  return certificate.checkPrivateKey(key) ? null : 'tls: private key does not match public key';
}
