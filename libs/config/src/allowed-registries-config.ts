import { ConfigError, type Env } from './env-readers';

/** One allowedRegistriesForImport entry (openshift/api openshiftcontrolplane/v1 RegistryLocation). */
export interface AllowedRegistryLocation {
  /** `host` or `host:port`; `*` and `?` match any run of characters / one character. */
  domainName: string;
  /** Without a port in domainName: false means 443, true means 80. */
  insecure: boolean;
}

const VARIABLE = 'IMPORT_ALLOWED_REGISTRIES';

/**
 * IMPORT_ALLOWED_REGISTRIES: a JSON list of `{domainName, insecure}`, e.g.
 * `[{"domainName":"quay.io"},{"domainName":"*.corp:5000","insecure":true}]`. Unset or `[]`: every
 * registry is allowed. Unknown keys are refused so that a misspelt one does not silently allow less.
 */
export function loadAllowedRegistries(env: Env): AllowedRegistryLocation[] {
  const raw = env[VARIABLE];
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(VARIABLE, `must be a JSON list of {"domainName": "host[:port]", "insecure": false}: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(VARIABLE, 'must be a JSON list of {"domainName": "host[:port]", "insecure": false}');
  return parsed.map((entry: unknown, i): AllowedRegistryLocation => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(VARIABLE, `[${i}] must be an object`);
    const { domainName, insecure, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new ConfigError(VARIABLE, `[${i}] has unknown field "${unknown[0]}" (allowed: domainName, insecure)`);
    if (typeof domainName !== 'string' || domainName === '') throw new ConfigError(VARIABLE, `[${i}].domainName must be a non-empty string`);
    // Upstream's wording for the one domainName it refuses (whitelister.go WhitelistRegistry).
    if (domainName.split(':').length > 2) throw new ConfigError(VARIABLE, `[${i}]: failed to parse allowed registry ${JSON.stringify(domainName)}: too many colons`);
    if (insecure !== undefined && typeof insecure !== 'boolean') throw new ConfigError(VARIABLE, `[${i}].insecure must be true or false`);
    return { domainName, insecure: insecure === true };
  });
}
