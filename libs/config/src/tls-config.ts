import { readFileSync } from 'node:fs';
import { ConfigError, type Env, envString } from './env-readers';

/** PEM certificate chain and key the api serves HTTPS with. */
export interface TlsConfig {
  cert: string;
  key: string;
}

function read(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(name, `cannot be read: ${(e as Error).message}`);
  }
}

/**
 * TLS_CERT_FILE and TLS_KEY_FILE, both or neither: with them the api serves HTTPS only (what
 * kube-apiserver requires of admission webhooks), without them plain HTTP.
 */
export function loadTlsConfig(env: Env): TlsConfig | undefined {
  const certFile = envString(env, 'TLS_CERT_FILE', '');
  const keyFile = envString(env, 'TLS_KEY_FILE', '');
  if (certFile === '' && keyFile === '') return undefined;
  if (certFile === '') throw new ConfigError('TLS_CERT_FILE', 'is required with TLS_KEY_FILE');
  if (keyFile === '') throw new ConfigError('TLS_KEY_FILE', 'is required with TLS_CERT_FILE');
  return { cert: read('TLS_CERT_FILE', certFile), key: read('TLS_KEY_FILE', keyFile) };
}
