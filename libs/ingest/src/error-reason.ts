import { ApiError, makeStorable } from '@app/api-machinery';

/**
 * An error as the `reason` of a registry event: its message, prefixed with its class only when the
 * class says something (RegistryNotFoundError, UnsupportedManifestError, TypeError), not for a
 * plain Error or an ApiError, whose message already names the problem. A message may quote
 * registry content: NUL (which a Postgres text column refuses, so the event could never be
 * settled) and lone surrogates become U+FFFD, as in what ingestion stores of that content.
 */
export function errorReason(e: unknown): string {
  return makeStorable(messageOf(e), 'replace') as string;
}

function messageOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e instanceof ApiError || e.name === 'Error') return e.message;
  return `${e.name}: ${e.message}`;
}
