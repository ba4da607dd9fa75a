import { type BasicCredentials, RegistryClient, RegistryUnavailableError } from '@app/registry';
import type { ImportConfig } from './import-config';
import type { ServiceCredentialRule } from './service-credentials';

/**
 * The registry clients of one import request. A host is contacted over HTTPS; with
 * importPolicy.insecure, certificate checks are off and a host that does not speak TLS is retried
 * over plain HTTP. The configured registry (REGISTRY_URL, or INTERNAL_REGISTRY_HOSTNAME naming it)
 * is reached through REGISTRY_URL, with its credentials for the repositories `mayUseCredentials`
 * allows and anonymously for the others. Every client is closed at the end.
 */
export class RegistryConnections {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(
    private readonly config: ImportConfig,
    private readonly mayUseCredentials: ServiceCredentialRule,
  ) {}

  private configured(host: string, repository: string): { url: string; credentials?: BasicCredentials } | null {
    const { registryUrl, internalRegistryHostname, registryUsername, registryPassword } = this.config;
    if (!registryUrl) return null;
    if (host !== new URL(registryUrl).host && host !== internalRegistryHostname) return null;
    const login = registryUsername && this.mayUseCredentials(repository);
    return { url: registryUrl, credentials: login ? { username: registryUsername, password: registryPassword } : undefined };
  }

  private client(baseUrl: string, tlsInsecure: boolean, credentials?: BasicCredentials): RegistryClient {
    // One client per login: an anonymous client must never reuse tokens the login obtained.
    const key = `${baseUrl} ${tlsInsecure} ${credentials ? 'login' : 'anonymous'}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new RegistryClient({
        baseUrl,
        credentials,
        tlsInsecure,
        timeoutMs: this.config.requestTimeoutMs,
        userAgent: 'imagestreamd-import',
        connections: 4,
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
    const configured = this.configured(host, repository);
    if (configured) return pinged(this.client(configured.url, insecure, configured.credentials));
    try {
      return await pinged(this.client(`https://${host}`, insecure));
    } catch (err) {
      // Only a transport failure (no HTTP status) says "this host does not speak TLS here".
      if (!insecure || !(err instanceof RegistryUnavailableError) || err.status !== undefined) throw err;
      return pinged(this.client(`http://${host}`, false));
    }
  }

  /** `destroy` drops requests still running (the import ran out of time). */
  async close(destroy = false): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => (destroy ? c.destroy() : c.close()).catch(() => undefined)));
    this.clients.clear();
  }
}
