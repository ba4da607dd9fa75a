import { createHash } from 'node:crypto';
import { type BasicCredentials, RegistryClient, RegistryUnavailableError } from '@app/registry';
import type { ImportConfig } from '@app/config';
import type { ServiceCredentialRule } from './service-credentials';
import { noPullCredentials, type PullCredentials } from '../secrets/namespace-pull-secrets';

function loginDigest(credentials: BasicCredentials): string {
  return createHash('sha256').update(credentials.username).update('\0').update(credentials.password).digest('base64');
}

/** Which login a client holds: clients (and the tokens they cache) are never shared between logins. */
type Login = { kind: 'anonymous' } | { kind: 'service' | 'secret'; credentials: BasicCredentials };

/**
 * The registry clients of one import request. A host is contacted over HTTPS; with
 * importPolicy.insecure, certificate checks are off and a host that does not speak TLS is retried
 * over plain HTTP. The configured registry (REGISTRY_URL, or INTERNAL_REGISTRY_HOSTNAME naming it)
 * is reached through REGISTRY_URL, with its credentials for the repositories `mayUseCredentials`
 * allows and anonymously for the others. A namespace pull secret matching the name's registry
 * and repository comes first, for any registry (upstream imports with the namespace's pull secrets; the
 * configured login is this server's own addition). Every client is closed at the end.
 */
export class RegistryConnections {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(
    private readonly config: ImportConfig,
    private readonly mayUseCredentials: ServiceCredentialRule,
    private readonly pullCredentials: PullCredentials = noPullCredentials,
  ) {}

  private configured(host: string, repository: string, secret: Login): { url: string; login: Login } | null {
    const { registryUrl, internalRegistryHostname, registryUsername, registryPassword } = this.config;
    if (!registryUrl) return null;
    if (host !== new URL(registryUrl).host && host !== internalRegistryHostname) return null;
    if (secret.kind !== 'anonymous') return { url: registryUrl, login: secret };
    const login = registryUsername && this.mayUseCredentials(repository);
    return { url: registryUrl, login: login ? { kind: 'service', credentials: { username: registryUsername, password: registryPassword } } : { kind: 'anonymous' } };
  }

  private secretLogin(host: string, repository: string): Login {
    const credentials = this.pullCredentials(host, repository);
    return credentials ? { kind: 'secret', credentials } : { kind: 'anonymous' };
  }

  private client(baseUrl: string, tlsInsecure: boolean, login: Login): RegistryClient {
    // One client per login: an anonymous client must never reuse tokens a login obtained, nor one
    // pull secret's client another's (secrets for different repositories of one registry may hold
    // the same user name with different passwords; a digest keeps the password out of the key).
    const key = JSON.stringify([baseUrl, tlsInsecure, login.kind, login.kind === 'anonymous' ? '' : loginDigest(login.credentials)]);
    let client = this.clients.get(key);
    if (!client) {
      client = new RegistryClient({
        baseUrl,
        credentials: login.kind === 'anonymous' ? undefined : login.credentials,
        tlsInsecure,
        timeoutMs: this.config.requestTimeoutMs,
        userAgent: 'imagestreamd-import',
        connections: 4,
        // OpenShift's importer asks again after a 429 or a timeout, twice (library-go's registryclient).
        temporaryRetries: 2,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Runs `fn` against `repository` of `host` once the registry answered its ping (upstream's
   * registryclient pings before the first request), falling back from HTTPS to HTTP for insecure
   * imports that cannot connect.
   */
  async with<T>(host: string, repository: string, insecure: boolean, fn: (client: RegistryClient) => Promise<T>): Promise<T> {
    const pinged = async (client: RegistryClient) => {
      await client.ping();
      return fn(client);
    };
    const secret = this.secretLogin(host, repository);
    const configured = this.configured(host, repository, secret);
    if (configured) return pinged(this.client(configured.url, insecure, configured.login));
    try {
      return await pinged(this.client(`https://${host}`, insecure, secret));
    } catch (err) {
      // Only a transport failure (no HTTP status) says "this host does not speak TLS here".
      if (!insecure || !(err instanceof RegistryUnavailableError) || err.status !== undefined) throw err;
      // Still insecure: the registry's token service (its realm) may be HTTPS with a certificate nobody checks.
      return pinged(this.client(`http://${host}`, true, secret));
    }
  }

  /** `destroy` drops requests still running (the import ran out of time). */
  async close(destroy = false): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => (destroy ? c.destroy() : c.close()).catch(() => undefined)));
    this.clients.clear();
  }
}
