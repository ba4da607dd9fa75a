import { type Dispatcher, request } from 'undici';
import { readErrorBody, readLimitedBody, registryErrorDetail } from './http-body';
import { isRecord } from './json-shape';
import { registryErrorAnswer } from './registry-errcode';
import { RegistryAuthError, RegistryCredentialsRequiredError, RegistryProtocolError, RegistryTokenRefusedError, RegistryUnavailableError } from './registry-errors';
import { rethrowTransportError } from './transport-errors';
import { type AuthChallenge, parseWwwAuthenticate } from './www-authenticate';

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface AuthenticatorOptions {
  credentials?: BasicCredentials;
  timeoutMs: number;
  userAgent: string;
  /** Injectable clock for token expiry. */
  now?: () => number;
  /**
   * The connections for the token service: the registry client's, so its TLS settings apply
   * (library-go fetches tokens over the registry's transport: `importPolicy.insecure` covers a
   * realm with a self-signed certificate too, and certificates are checked as Go checks them).
   */
  dispatcher?: () => Dispatcher;
}

interface CachedToken {
  authorization: string;
  expiresAt: number;
}

/** Distribution's token spec: tokens live at least 60 s; refresh a little early. */
const MIN_TOKEN_LIFETIME_S = 60;
const EXPIRY_SLACK_MS = 10_000;
/** Credentials shorter than this are not masked in messages (see redact). */
const MIN_REDACTED_LENGTH = 4;

/**
 * Docker registry authentication: reacts to 401 challenges. `Basic` → send the configured credentials
 * (from then on preemptively). `Bearer realm,service,scope` → GET a token from the realm (with the
 * credentials as Basic, if any, else anonymously) and cache it per scope until it expires.
 */
export class RegistryAuthenticator {
  private basicPreferred = false;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Authorization header to send up front for `scope` (`repository:<name>:pull`), if one is known. */
  authorizationFor(scope: string): string | undefined {
    if (this.basicPreferred && this.options.credentials) return basicAuthorization(this.options.credentials);
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return cached.authorization;
    this.tokens.delete(scope);
    return undefined;
  }

  /** Answers a 401: returns the Authorization header to retry with, or throws RegistryAuthError. */
  async answerChallenge(wwwAuthenticate: string | string[] | undefined, scope: string, url: URL): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const token = await this.fetchToken(bearer, scope, `${url.origin}${url.pathname}`);
      this.tokens.set(scope, token);
      return token.authorization;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!this.options.credentials) throw new RegistryCredentialsRequiredError(`${url.origin}${url.pathname}`);
      this.basicPreferred = true;
      return basicAuthorization(this.options.credentials);
    }
    throw new RegistryAuthError(
      `unsupported authentication challenge: ${String(wwwAuthenticate ?? 'none')}`,
      401,
    );
  }

  /**
   * `text` with every credential this authenticator sends (the password, its Basic form, the
   * tokens it holds) masked: registry and token-service error bodies are echoed into messages
   * that are stored and served, and a server may quote what it was sent.
   */
  redact(text: string): string {
    const secrets: string[] = [];
    const credentials = this.options.credentials;
    if (credentials) secrets.push(credentials.password, basicAuthorization(credentials).slice('Basic '.length));
    for (const t of this.tokens.values()) secrets.push(t.authorization.slice('Bearer '.length));
    // Shorter values would mask ordinary words of every message without protecting much.
    return secrets.filter((v) => v.length >= MIN_REDACTED_LENGTH).reduce((out, v) => out.split(v).join('<redacted>'), text);
  }

  /** Forgets a token the registry rejected, so the next attempt asks the realm again. */
  invalidate(scope: string): void {
    this.tokens.delete(scope);
  }

  private async fetchToken(challenge: AuthChallenge, scope: string, registryUrl: string): Promise<CachedToken> {
    const realm = challenge.params['realm'];
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryAuthError(`bearer challenge has no usable realm: ${JSON.stringify(realm)}`, 401);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RegistryAuthError(`bearer realm must be http(s): ${realm}`, 401);
    }
    const service = challenge.params['service'];
    if (service) url.searchParams.set('service', service);
    url.searchParams.append('scope', challenge.params['scope'] || scope);
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent,
      accept: 'application/json',
    };
    const credentials = this.options.credentials;
    if (credentials) {
      url.searchParams.set('account', credentials.username);
      headers['authorization'] = basicAuthorization(credentials);
    }

    const requestedAt = this.now();
    const res = await request(url, {
      method: 'GET',
      headers,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher() } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMs),
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    }).catch((err: unknown) => rethrowTransportError(err, `token service ${url.origin}`));

    if (res.statusCode !== 200) {
      const body = await readErrorBody(res.body);
      const detail = registryErrorDetail(body);
      const message = `token service answered ${res.statusCode}${detail.message ? `: ${detail.message}` : ''}`;
      if (res.statusCode >= 500 || res.statusCode === 429)
        throw new RegistryUnavailableError(message, res.statusCode);
      if (res.statusCode >= 400) {
        const text = registryErrorAnswer(res.statusCode, undefined, res.headers['www-authenticate'], body).text;
        throw new RegistryTokenRefusedError(message, res.statusCode, registryUrl, text);
      }
      throw new RegistryAuthError(message, res.statusCode);
    }
    const body = await readLimitedBody(res.body, 1024 * 1024, 'token response').catch((err: unknown) =>
      rethrowTransportError(err, `token service ${url.origin}`),
    );
    return this.tokenFromResponse(body, requestedAt);
  }

  private tokenFromResponse(body: Buffer, requestedAt: number): CachedToken {
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryProtocolError('token response is not JSON');
    }
    if (!isRecord(doc)) throw new RegistryProtocolError('token response is not an object');
    // Both spellings exist in the wild; distribution's spec prefers `token`.
    const token = typeof doc['token'] === 'string' ? doc['token'] : doc['access_token'];
    if (typeof token !== 'string' || token === '')
      throw new RegistryAuthError('token response carries no token');
    const expiresIn =
      typeof doc['expires_in'] === 'number' && doc['expires_in'] > MIN_TOKEN_LIFETIME_S
        ? doc['expires_in']
        : MIN_TOKEN_LIFETIME_S;
    // Local request time, not `issued_at`: a skewed registry clock must not make every token look stale.
    return { authorization: `Bearer ${token}`, expiresAt: requestedAt + expiresIn * 1000 - EXPIRY_SLACK_MS };
  }
}

function basicAuthorization({ username, password }: BasicCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
