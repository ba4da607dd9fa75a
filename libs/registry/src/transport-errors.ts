import { RegistryUnavailableError } from './registry-errors';

// Node system errors and undici transport errors that mean "the other side is not reachable right now".
const UNDICI_NON_TRANSPORT = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
]);

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

// Duck-typed: AbortSignal.timeout() rejects with a DOMException, which may come from another realm.
function nameOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('name' in err)) return undefined;
  return typeof err.name === 'string' ? err.name : undefined;
}

function messageOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('message' in err)) return undefined;
  return typeof err.message === 'string' ? err.message : undefined;
}

/** True for connection refused/reset, DNS failures, connect/headers/body timeouts and aborts. */
export function isTransportError(err: unknown): boolean {
  const name = nameOf(err);
  if (name === 'AbortError' || name === 'TimeoutError') return true;
  const code = codeOf(err);
  if (code === undefined) return false;
  if (code.startsWith('UND_ERR_')) return !UNDICI_NON_TRANSPORT.has(code);
  return /^E[A-Z_]+$/.test(code); // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, EPIPE, ...
}

/** Wraps transport failures as retryable RegistryUnavailableError; anything else is rethrown as is. */
export function rethrowTransportError(err: unknown, what: string): never {
  if (isTransportError(err)) {
    const code = codeOf(err);
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (code === 'EPROTO' && /wrong version number/.test(messageOf(err) ?? ''))) {
      // OpenSSL's text names its own source files; say what happened, as Go's client does.
      throw new RegistryUnavailableError(`${what}: http: server gave HTTP response to HTTPS client (set importPolicy.insecure to use plain HTTP)`, undefined, { cause: err });
    }
    const detail = code ?? nameOf(err) ?? 'error';
    const message = messageOf(err)?.trim();
    throw new RegistryUnavailableError(`${what}: ${detail}${message ? ` (${message})` : ''}`, undefined, {
      cause: err,
    });
  }
  throw err;
}
