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

function stringField(err: unknown, key: string): string | undefined {
  if (typeof err !== 'object' || err === null || !(key in err)) return undefined;
  const value = (err as Record<string, unknown>)[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * What Go's net package says for the same failure (`dial tcp 127.0.0.1:1: connect: connection
 * refused`), as OpenShift's importer reports it in import conditions; undefined when there is no
 * close equivalent. Off the registry's own origin Node's code follows it in the message.
 */
function goNetText(err: unknown, code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const address = stringField(err, 'address');
  const port = stringField(err, 'port');
  const peer = address ? (port ? `${address.includes(':') ? `[${address}]` : address}:${port}` : address) : undefined;
  const dial = peer ? `dial tcp ${peer}` : 'dial tcp';
  switch (code) {
    case 'ECONNREFUSED':
      return `${dial}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${dial}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${dial}: connect: network is unreachable`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'ENOTFOUND': {
      const host = stringField(err, 'hostname');
      return host ? `dial tcp: lookup ${host}: no such host` : undefined;
    }
  }
  return undefined;
}

/**
 * Wraps transport failures as retryable RegistryUnavailableError; anything else is rethrown as is.
 * `registryRoot` (`https://host:port`): the registry the request went to, for failures Go's client
 * meets on first contact, which OpenShift's importer reports for its `GET /v2/` ping.
 */
export function rethrowTransportError(err: unknown, what: string, registryRoot?: string): never {
  if (isTransportError(err)) {
    const code = codeOf(err);
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (code === 'EPROTO' && /wrong version number/.test(messageOf(err) ?? ''))) {
      // OpenSSL's text names its own source files; say it as Go's client does (http.ErrSchemeMismatch
      // in a url.Error): `Get "https://host/v2/": http: server gave HTTP response to HTTPS client`.
      const text = 'http: server gave HTTP response to HTTPS client';
      throw new RegistryUnavailableError(registryRoot ? `Get "${registryRoot}/v2/": ${text}` : `${what}: ${text}`, undefined, { cause: err });
    }
    const detail = code ?? nameOf(err) ?? 'error';
    const goText = goNetText(err, code);
    if (goText && registryRoot) {
      // Go's client fails the same way on its first contact, the importer's ping: a url.Error.
      throw new RegistryUnavailableError(`Get "${registryRoot}/v2/": ${goText}`, undefined, { cause: err });
    }
    const message = messageOf(err)?.trim();
    const text = goText ? `${goText} (${detail})` : `${detail}${message ? ` (${message})` : ''}`;
    throw new RegistryUnavailableError(`${what}: ${text}`, undefined, {
      cause: err,
    });
  }
  throw err;
}
