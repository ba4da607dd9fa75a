import { RegistryUnavailableError } from './registry-errors';

/** How long to wait before asking again after a temporary failure (library-go's waits). */
export interface TemporaryRetryDelays {
  /** 429 Too Many Requests: 2 s upstream. */
  tooManyRequestsMs: number;
  /** A request that timed out: 1 s upstream. */
  timeoutMs: number;
}

export const UPSTREAM_RETRY_DELAYS: TemporaryRetryDelays = { tooManyRequestsMs: 2000, timeoutMs: 1000 };

// Go's net.Error Timeout()/Temporary() for a client request: deadlines and EAGAIN/ETIMEDOUT/EMFILE,
// not refused or reset connections (those fail at once upstream too).
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'EAGAIN', 'EMFILE', 'ENFILE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isTimeout(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null) return false;
  const { name, code } = cause as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || name === 'AbortError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
}

/**
 * The wait before retrying a manifest, blob or tag request, or undefined when `err` is not worth a
 * retry. As library-go's retryRepository (isTemporaryHTTPError), which OpenShift's importer reads
 * registries through: a 429 and a timed-out request are temporary; other 5xx answers are not
 * retried (distribution's client reports them as UnexpectedHTTPStatusError, which it does not
 * match). Upstream skips a 429 whose body is a standard errors list (a Go type-switch miss on
 * errcode.Errors); here every 429 is retried, as the check evidently means.
 */
export function temporaryRetryDelay(err: unknown, delays: TemporaryRetryDelays): number | undefined {
  if (!(err instanceof RegistryUnavailableError)) return undefined;
  if (err.status === 429) return delays.tooManyRequestsMs;
  if (err.status === undefined && isTimeout(err.cause)) return delays.timeoutMs;
  return undefined;
}
