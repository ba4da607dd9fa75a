/**
 * A small Docker Registry HTTP API v2 client over undici: manifests and blobs, read-only.
 *
 * Hand-written on purpose: there is no maintained npm v2 client for Node (the existing ones are
 * abandoned, Docker-daemon oriented, or pull in request/axios stacks), and the part we need —
 * GET/HEAD with the right Accept list, Basic/Bearer challenge handling, digest verification and a
 * clean retryable/permanent error split — is a few hundred lines we can test end to end.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Pool, request } from 'undici';
import { goVerifyingConnector } from './certificate-verification';
import { assertDigest, digestOf, isDigest } from './digest';
import { readErrorBody, readLimitedBody, registryErrorDetail } from './http-body';
import { isRecord } from './json-shape';
import { MANIFEST_ACCEPT, normalizeMediaType } from './media-types';
import { type BasicCredentials, RegistryAuthenticator } from './registry-auth';
import { registryErrorAnswer } from './registry-errcode';
import {
  NotV2RegistryError,
  RegistryAuthError,
  RegistryError,
  RegistryNotFoundError,
  RegistryProtocolError,
  RegistryTokenRefusedError,
  RegistryUnavailableError,
  type RegistrySubject,
} from './registry-errors';
import { assertDigestReference, assertReference, assertRepository } from './repository-name';
import { temporaryRetryDelay, type TemporaryRetryDelays, UPSTREAM_RETRY_DELAYS } from './temporary-retry';
import { rethrowTransportError } from './transport-errors';
import { parseWwwAuthenticate } from './www-authenticate';

export interface RegistryClientOptions {
  /** `http(s)://host[:port]` of the registry. */
  baseUrl: string;
  credentials?: BasicCredentials;
  /** Per HTTP request (connect + headers + body), default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** distribution refuses manifests over 4 MiB; so do we. */
  maxManifestBytes?: number;
  /** getBlob() buffers in memory: it is meant for config blobs, not layers. Default 16 MiB. */
  maxBlobBytes?: number;
  /** Pool size for the registry origin, default 8. */
  connections?: number;
  /** Skip TLS certificate verification (imports with importPolicy.insecure). */
  tlsInsecure?: boolean;
  /**
   * Retries of a manifest, blob or tag request after a temporary failure (see temporary-retry.ts);
   * default 0. Imports use 2, as library-go's registry client.
   */
  temporaryRetries?: number;
  temporaryRetryDelays?: TemporaryRetryDelays;
}

export interface FetchedManifest {
  raw: Buffer;
  /** Content-Type without parameters ('' when the registry sent none). */
  mediaType: string;
  /** Verified digest of `raw` (Docker-Content-Digest, the requested digest, or computed sha256). */
  digest: string;
}

interface Exchange {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface ExchangeRequest {
  method: 'GET' | 'HEAD';
  /** The token scope asked for: `repository:<name>:pull`, or the catalog's `registry:catalog:*`. */
  scope: string;
  /** Path and query, e.g. `/v2/ns/app/tags/list?n=100`. */
  path: string;
  accept?: string;
  maxBytes: number;
  what: string;
  subject: RegistrySubject;
}

const MAX_REDIRECTS = 5;
/** tags/list and _catalog page size asked for; registries may answer with smaller pages. */
const PAGE_SIZE = 1000;
const CATALOG_SCOPE = 'registry:catalog:*';

/** `repo:tag` or `repo@digest` (a tag never contains ':'), as a pull spec names it. */
function manifestName(repository: string, reference: string): string {
  return `${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export class RegistryClient {
  readonly baseUrl: string;
  /** `host:port` as it appears in pull specs. */
  readonly host: string;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly auth: RegistryAuthenticator;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly connectOptions: { rejectUnauthorized: false } | undefined;
  private readonly temporaryRetries: number;
  private readonly temporaryRetryDelays: TemporaryRetryDelays;
  /** Certificates are checked as Go's client checks them (order and wording); see goVerifyingConnector. */
  private readonly verifyingConnector = goVerifyingConnector();

  constructor(options: RegistryClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`unsupported registry URL ${options.baseUrl}`);
    this.baseUrl = url.origin;
    this.host = url.host;
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'imagestreamd';
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = options.maxBlobBytes ?? 16 * 1024 * 1024;
    this.connectOptions = options.tlsInsecure ? { rejectUnauthorized: false } : undefined;
    this.temporaryRetries = options.temporaryRetries ?? 0;
    this.temporaryRetryDelays = options.temporaryRetryDelays ?? UPSTREAM_RETRY_DELAYS;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 8,
      connect: this.connectOptions ?? this.verifyingConnector,
    });
    this.auth = new RegistryAuthenticator({
      credentials: options.credentials,
      timeoutMs: this.timeoutMs,
      userAgent: this.userAgent,
      dispatcher: () => this.redirectAgent(),
    });
  }

  /** GET a manifest by tag or digest; the bytes are verified against every digest we were given. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    assertRepository(repository);
    assertReference(reference);
    const res = await this.exchange({
      method: 'GET',
      scope: pullScope(repository),
      path: `/v2/${repository}/manifests/${reference}`,
      accept: MANIFEST_ACCEPT,
      maxBytes: this.maxManifestBytes,
      what: `manifest ${manifestName(repository, reference)}`,
      subject: 'manifest',
    });
    const announced = contentDigest(res.headers);
    if (announced !== undefined) assertDigest(res.body, announced, 'manifest');
    if (isDigest(reference)) assertDigest(res.body, reference, 'manifest');
    return {
      raw: res.body,
      mediaType: normalizeMediaType(firstHeader(res.headers['content-type'])),
      digest: isDigest(reference) ? reference : (announced ?? digestOf(res.body)),
    };
  }

  /** HEAD a manifest: its digest, or null when the registry says it does not exist. */
  async headManifest(repository: string, reference: string): Promise<string | null> {
    assertRepository(repository);
    assertReference(reference);
    try {
      const res = await this.exchange({
        method: 'HEAD',
        scope: pullScope(repository),
        path: `/v2/${repository}/manifests/${reference}`,
        accept: MANIFEST_ACCEPT,
        maxBytes: 0,
        what: `manifest ${manifestName(repository, reference)}`,
        subject: 'manifest',
      });
      const digest = contentDigest(res.headers);
      if (digest !== undefined) return digest;
    } catch (err) {
      if (err instanceof RegistryNotFoundError) return null;
      throw err;
    }
    // Docker-Content-Digest is optional in the spec: fall back to hashing the body.
    return (await this.getManifest(repository, reference)).digest;
  }

  /** GET a blob (following storage redirects) and verify it against its digest. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    assertRepository(repository);
    assertDigestReference(digest);
    const res = await this.exchange({
      method: 'GET',
      scope: pullScope(repository),
      path: `/v2/${repository}/blobs/${digest}`,
      maxBytes: this.maxBlobBytes,
      what: `blob ${repository}@${digest}`,
      subject: 'blob',
    });
    assertDigest(res.body, digest, 'blob');
    return res.body;
  }

  /**
   * Tag names of a repository (GET tags/list, following `Link: <…>; rel="next"` pages), at most
   * `max` of them: a repository with very many tags cannot make one call unbounded.
   */
  async listTags(repository: string, max: number): Promise<string[]> {
    assertRepository(repository);
    return this.listPages({
      scope: pullScope(repository),
      firstPath: `/v2/${repository}/tags/list?n=${PAGE_SIZE}`,
      field: 'tags',
      max,
      what: `tags of ${repository}`,
      subject: 'tags',
    });
  }

  /**
   * Repository names the registry holds (GET /v2/_catalog, paged as tags/list), at most `max`.
   * A token registry grants the catalog only to some users (`registry:catalog:*`).
   */
  async listRepositories(max: number): Promise<string[]> {
    return this.listPages({ scope: CATALOG_SCOPE, firstPath: `/v2/_catalog?n=${PAGE_SIZE}`, field: 'repositories', max, what: 'the catalog', subject: 'catalog' });
  }

  private async listPages(list: { scope: string; firstPath: string; field: string; max: number; what: string; subject: RegistrySubject }): Promise<string[]> {
    const names: string[] = [];
    let path: string | undefined = list.firstPath;
    while (path !== undefined && names.length < list.max) {
      const res = await this.exchange({
        method: 'GET',
        scope: list.scope,
        path,
        accept: 'application/json',
        maxBytes: 4 * 1024 * 1024,
        what: list.what,
        subject: list.subject,
      });
      let doc: unknown;
      try {
        doc = JSON.parse(res.body.toString('utf8'));
      } catch {
        throw new RegistryProtocolError(`${list.what}: the answer is not JSON`);
      }
      const page = isRecord(doc) && Array.isArray(doc[list.field]) ? (doc[list.field] as unknown[]) : [];
      for (const name of page) if (typeof name === 'string') names.push(name);
      const next = nextPagePath(firstHeader(res.headers['link']), this.baseUrl);
      path = next?.startsWith(`${this.pathPrefix}/`) ? next.slice(this.pathPrefix.length) : next;
    }
    return names.slice(0, list.max);
  }

  private pinged: Promise<void> | undefined;

  /**
   * `GET /v2/` once per client, as library-go's registryclient pings a registry before its first
   * request there: an endpoint that answers without Docker-Distribution-API-Version with a status
   * other than 2xx, 401 or 403 is not a v2 registry (NotV2RegistryError). The outcome, a failure
   * too, is kept for the client's lifetime (library-go caches it per context).
   */
  ping(): Promise<void> {
    this.pinged ??= this.pingOnce();
    return this.pinged;
  }

  private async pingOnce(): Promise<void> {
    const req: ExchangeRequest = { method: 'GET', scope: '', path: '/v2/', maxBytes: 0, what: 'ping', subject: 'catalog' };
    let url = new URL(`${this.pathPrefix}/v2/`, this.baseUrl);
    let res = await this.send(req, url, undefined);
    // Go's http.Client follows redirects.
    for (let hops = 0; isRedirect(res.statusCode) && hops < MAX_REDIRECTS; hops++) {
      const location = firstHeader(res.headers['location']);
      if (!location) break;
      await readErrorBody(res.body);
      url = new URL(location, url);
      res = await this.send(req, url, undefined);
    }
    await readErrorBody(res.body);
    if (firstHeader(res.headers['docker-distribution-api-version'])?.trim()) return;
    const status = res.statusCode;
    if ((status >= 200 && status < 300) || status === 401 || status === 403) return;
    throw new NotV2RegistryError(`${this.baseUrl}${this.pathPrefix}`, res.statusText ? `${status} ${res.statusText}` : `${status}`);
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.agent?.close();
  }

  /** Drops in-flight requests too (an import that ran out of time). */
  async destroy(): Promise<void> {
    await this.pool.destroy();
    await this.agent?.destroy();
  }

  /**
   * One logical request: auth challenge answered once, redirects followed, status mapped to
   * errors. An error's message and stack never carry the credentials sent (see redact).
   */
  private async exchange(req: ExchangeRequest): Promise<Exchange> {
    // At most `temporaryRetries` fixed waits, as library-go's retryRepository: a retry library's
    // backoff policies and jitter would be more machinery than this loop, and none are wanted.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.exchangeRedacted(req);
      } catch (err) {
        const delay = attempt < this.temporaryRetries ? temporaryRetryDelay(err, this.temporaryRetryDelays) : undefined;
        if (delay === undefined) throw err;
        await sleep(delay);
      }
    }
  }

  private async exchangeRedacted(req: ExchangeRequest): Promise<Exchange> {
    try {
      return await this.exchangeOnce(req);
    } catch (err) {
      if (err instanceof Error) {
        err.message = this.auth.redact(err.message);
        if (err.stack) err.stack = this.auth.redact(err.stack);
        // The errcode text imports quote (`<ref>: <text>`) may echo them too.
        if (err instanceof RegistryError && err.answer) err.answer.text = this.auth.redact(err.answer.text);
        if (err instanceof RegistryTokenRefusedError) err.distributionText = this.auth.redact(err.distributionText);
      }
      throw err;
    }
  }

  private async exchangeOnce(req: ExchangeRequest): Promise<Exchange> {
    const scope = req.scope;
    let authorization = this.auth.authorizationFor(scope);
    let url = new URL(`${this.pathPrefix}${req.path}`, this.baseUrl);
    let res = await this.send(req, url, authorization);

    if (res.statusCode === 401) {
      await readErrorBody(res.body);
      this.auth.invalidate(scope);
      authorization = await this.auth.answerChallenge(res.headers['www-authenticate'], scope, url);
      res = await this.send(req, url, authorization);
    }

    for (let hops = 0; isRedirect(res.statusCode) && req.method === 'GET'; hops++) {
      const location = firstHeader(res.headers['location']);
      await readErrorBody(res.body);
      if (!location || hops >= MAX_REDIRECTS)
        throw new RegistryProtocolError(`${req.what}: bad redirect`, res.statusCode);
      const next = new URL(location, url);
      // Credentials are for the registry only, never for the storage backend it redirects to.
      if (next.origin !== url.origin) authorization = undefined;
      url = next;
      res = await this.send(req, url, authorization);
    }

    if (res.statusCode >= 200 && res.statusCode < 300) {
      // The timeout signal also covers the body: a stalled or reset transfer is retryable too.
      const body = await readLimitedBody(res.body, req.maxBytes, req.what).catch((err: unknown) =>
        rethrowTransportError(err, req.what),
      );
      return { headers: res.headers, body };
    }
    throw await errorForStatus(req.what, req.subject, res);
  }

  private agent: Agent | undefined;

  /** For requests off the registry origin (redirects, the token service), with the registry's TLS verification. */
  private redirectAgent(): Agent {
    this.agent ??= new Agent({ connect: this.connectOptions ?? this.verifyingConnector });
    return this.agent;
  }

  private async send(req: ExchangeRequest, url: URL, authorization: string | undefined) {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (req.accept) headers['accept'] = req.accept;
    if (authorization) headers['authorization'] = authorization;
    const options = {
      method: req.method,
      headers,
      signal: AbortSignal.timeout(this.timeoutMs),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    };
    try {
      return url.origin === this.baseUrl
        ? await this.pool.request({ ...options, path: `${url.pathname}${url.search}` })
        : await request(url, { ...options, dispatcher: this.redirectAgent() });
    } catch (err) {
      // On the registry itself a connection failure is Go's for the importer's first request, its ping.
      const registryRoot = url.origin === this.baseUrl ? `${this.baseUrl}${this.pathPrefix}` : undefined;
      return rethrowTransportError(err, `${req.what} from ${url.origin}`, registryRoot);
    }
  }
}

interface ErrorResponse {
  statusCode: number;
  statusText?: string;
  headers: IncomingHttpHeaders;
  body: Parameters<typeof readErrorBody>[0];
}

async function errorForStatus(what: string, subject: RegistrySubject, res: ErrorResponse): Promise<Error> {
  const body = await readErrorBody(res.body);
  const err = errorForBody(what, subject, res, body);
  err.answer = { ...registryErrorAnswer(res.statusCode, res.statusText, res.headers['www-authenticate'], body), subject };
  return err;
}

function errorForBody(what: string, subject: RegistrySubject, res: ErrorResponse, body: Buffer): RegistryError {
  const detail = registryErrorDetail(body);
  const status = res.statusCode;
  const suffix =
    detail.code || detail.message ? `: ${[detail.code, detail.message].filter(Boolean).join(' ')}` : '';
  if (status === 404) return new RegistryNotFoundError(`${what} not found${suffix}`, detail.code, subject);
  if (status === 401 || status === 403) {
    const reason = parseWwwAuthenticate(res.headers['www-authenticate'])[0]?.params['error'];
    return new RegistryAuthError(
      `${what}: access denied (${status}${reason ? ` ${reason}` : ''})${suffix}`,
      status,
    );
  }
  if (status === 429 || status >= 500)
    return new RegistryUnavailableError(`${what}: registry answered ${status}${suffix}`, status);
  return new RegistryProtocolError(`${what}: unexpected status ${status}${suffix}`, status);
}

/** The path of a `Link: </v2/…?last=x&n=100>; rel="next"` header on the same origin, if any. */
function nextPagePath(link: string | undefined, origin: string): string | undefined {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link) : null;
  if (!m) return undefined;
  const next = new URL(m[1]!, origin);
  return next.origin === origin ? `${next.pathname}${next.search}` : undefined;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function contentDigest(headers: IncomingHttpHeaders): string | undefined {
  const value = firstHeader(headers['docker-content-digest'])?.trim();
  if (value === undefined || value === '') return undefined;
  if (!isDigest(value))
    throw new RegistryProtocolError(`invalid Docker-Content-Digest header ${JSON.stringify(value)}`);
  return value;
}
