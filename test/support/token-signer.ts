import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A registry token signing key and a self-signed certificate of it (openssl), written into `dir`
 * as `<name>.key` and `<name>.crt`: the key for REGISTRY_TOKEN_KEY_FILE, the certificate for the
 * registry's `auth.token.rootcertbundle`. EC P-256 (ES256) by default, or RSA 2048 (RS256).
 */
export async function makeTokenSigner(dir: string, name: string, algorithm: 'ec' | 'rsa' = 'ec'): Promise<{ keyPem: string; certPath: string }> {
  const key = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  if (algorithm === 'ec') await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  else await run('openssl', ['genrsa', '-out', key, '2048']);
  await run('openssl', ['req', '-new', '-x509', '-key', key, '-out', certPath, '-days', '1', '-subj', `/CN=imagestreamd-${name}`]);
  return { keyPem: await readFile(key, 'utf8'), certPath };
}
