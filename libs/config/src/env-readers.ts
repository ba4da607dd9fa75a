/** Readers for one environment variable each: a missing or empty value gives the fallback. */

export type Env = Record<string, string | undefined>;

/** Raised at boot when an environment variable is malformed; names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, why: string) {
    super(`invalid configuration: ${variable} ${why}`);
    this.name = 'ConfigError';
  }
}

export function envString(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

/** `true` or `false` exactly: "1" or "yes" meant to switch something must not pass as false unnoticed. */
export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const v = envString(env, name, String(fallback));
  if (v !== 'true' && v !== 'false') throw new ConfigError(name, `must be true or false, got "${v}"`);
  return v === 'true';
}

/** A whole number within [min, max]. */
export function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}
