import type { RegistryErrorAnswer } from './registry-errcode';

/**
 * Error taxonomy of everything in @app/registry. Callers (import worker, webhook ingest) only need
 * `retryable` to choose between "retry with backoff" and "record a permanent failure".
 */
export abstract class RegistryError extends Error {
  abstract readonly retryable: boolean;
  /** The registry's error answer as distribution's client reads it, when the error is one. */
  answer?: RegistryErrorAnswer;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What a registry request asked for: a manifest, a blob, a repository's tag list, or the catalog. */
export type RegistrySubject = 'manifest' | 'blob' | 'tags' | 'catalog';

/** The registry answered 404 (MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN...). Permanent. */
export class RegistryNotFoundError extends RegistryError {
  readonly retryable = false;

  constructor(
    message: string,
    /** First error code of the registry's JSON body, when it sent one. */
    readonly code?: string,
    /** What was not found (a missing blob is not a missing image to OpenShift's importer). */
    readonly subject?: RegistrySubject,
  ) {
    super(message);
  }
}

/** Connection refused/reset, timeouts, 5xx and 429. Retryable. */
export class RegistryUnavailableError extends RegistryError {
  readonly retryable = true;

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 401/403 from the registry or its token service, or an unusable challenge. */
export class RegistryAuthError extends RegistryError {
  readonly retryable = false;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * A Basic challenge and no credentials to answer it, for the request to `url` (origin and path):
 * Go's http client reports it as a url.Error, `Get "<url>": no basic auth credentials`, which
 * upstream's repository import shows as it is.
 */
export class RegistryCredentialsRequiredError extends RegistryAuthError {
  constructor(readonly url: string) {
    super('registry requires credentials', 401);
  }

  /** The url.Error text of distribution's client. */
  get goText(): string {
    return `Get ${JSON.stringify(this.url)}: no basic auth credentials`;
  }
}

/**
 * The token service refused a token with a 4xx (not 429). distribution's token handler fails inside
 * the registry request's RoundTrip, so Go's http client reports a url.Error naming that request:
 * `Get "<url>": <the token answer as HandleErrorResponse words it>`. OpenShift's importer then
 * judges it by its text only (formatRepositoryError): it is no registry error code.
 */
export class RegistryTokenRefusedError extends RegistryAuthError {
  constructor(
    message: string,
    status: number,
    /** The registry request (origin and path) the token was for. */
    readonly url: string,
    /** distribution's text of the token service's answer (`unauthorized: …`). */
    public distributionText: string,
  ) {
    super(message, status);
  }

  /** The url.Error text of distribution's client. */
  get goText(): string {
    return `Get ${JSON.stringify(this.url)}: ${this.distributionText}`;
  }
}

/** Any other answer the v2 protocol does not allow here (unexpected 4xx, oversized body, bad header). */
export class RegistryProtocolError extends RegistryError {
  readonly retryable = false;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The registry's TLS certificate is not one to trust (expired, for another host, unknown issuer). Permanent. */
export class RegistryCertificateError extends RegistryError {
  readonly retryable = false;
}

/** A repository name, tag or digest the caller passed is not valid v2 syntax. Permanent. */
export class InvalidReferenceError extends RegistryError {
  readonly retryable = false;
}

/**
 * The endpoint answered `GET /v2/` without Docker-Distribution-API-Version and with a status a
 * registry does not give (library-go registryclient ping, ErrNotV2Registry). Permanent.
 */
export class NotV2RegistryError extends RegistryError {
  readonly retryable = false;

  constructor(
    /** The registry URL pinged (`http://host:port`). */
    readonly registry: string,
    /** The status line (`404 Not Found`). */
    readonly status: string,
  ) {
    super(`endpoint "${registry}" does not support v2 API (got ${status})`);
  }
}
