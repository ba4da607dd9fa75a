import { ApiError } from '@app/api-machinery';

/**
 * An error as the `reason` of a registry event: its message, prefixed with its class only when the
 * class says something (RegistryNotFoundError, UnsupportedManifestError, TypeError), not for a
 * plain Error or an ApiError, whose message already names the problem.
 */
export function errorReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e instanceof ApiError || e.name === 'Error') return e.message;
  return `${e.name}: ${e.message}`;
}
