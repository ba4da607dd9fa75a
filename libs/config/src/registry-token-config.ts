import type { AccessPolicy } from './access-policy';
import { readConfigFile } from './access-policy';
import { ConfigError, type Env, envInt, envString } from './env-readers';

/** The registry token endpoint (`/registry/token`); absent = endpoint off. Users and grants: the access policy. */
export interface RegistryTokenConfig {
  /** PEM private key (EC P-256 → ES256, RSA → RS256) whose certificate is the registry's rootcertbundle. */
  keyPem: string;
  /** The registry's `auth.token.issuer`. */
  issuer: string;
  /** The registry's `auth.token.service`; a request for another service is refused. */
  service: string;
  ttlSeconds: number;
}

/** REGISTRY_TOKEN_* variables; undefined when REGISTRY_TOKEN_KEY_FILE is not set (endpoint off). */
export function loadRegistryTokenConfig(env: Env, policy: AccessPolicy | undefined): RegistryTokenConfig | undefined {
  const keyFile = envString(env, 'REGISTRY_TOKEN_KEY_FILE', '');
  if (keyFile === '') return undefined;
  if (!policy) throw new ConfigError('ACCESS_POLICY_FILE', 'is required with REGISTRY_TOKEN_KEY_FILE (it names the users and what they may do)');
  return {
    keyPem: readConfigFile('REGISTRY_TOKEN_KEY_FILE', keyFile),
    issuer: envString(env, 'REGISTRY_TOKEN_ISSUER', 'imagestreamd'),
    service: envString(env, 'REGISTRY_TOKEN_SERVICE', 'imagestreamd-registry'),
    ttlSeconds: envInt(env, 'REGISTRY_TOKEN_TTL_SECONDS', 300, 60, 86400),
  };
}
