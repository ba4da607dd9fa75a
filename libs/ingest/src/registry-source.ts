import type { AppConfig } from '@app/config';
import { RegistryClient } from '@app/registry';

/** The worker needs REGISTRY_URL to read manifests; without it events fail (and can be redriven later). */
export class RegistryNotConfiguredError extends Error {
  constructor() {
    super('REGISTRY_URL is not configured: the worker cannot read manifests from the registry');
    this.name = 'RegistryNotConfiguredError';
  }
}

/** The registry the events come from: its v2 client and the host used in pull specs. */
export class RegistrySource {
  private readonly registry: RegistryClient | null;

  constructor(private readonly config: AppConfig) {
    this.registry = config.registryUrl
      ? new RegistryClient({
          baseUrl: config.registryUrl,
          credentials: config.registryUsername
            ? { username: config.registryUsername, password: config.registryPassword }
            : undefined,
          timeoutMs: config.registryTimeoutMs,
          userAgent: 'imagestreamd-ingest',
        })
      : null;
  }

  /** Is there a registry to ask (REGISTRY_URL)? */
  get configured(): boolean {
    return this.registry !== null;
  }

  client(): RegistryClient {
    if (!this.registry) throw new RegistryNotConfiguredError();
    return this.registry;
  }

  /** `<host>/<repository>`: INTERNAL_REGISTRY_HOSTNAME when set (the name clients pull by), else the host of REGISTRY_URL. */
  pullSpec(repository: string): string {
    const host = this.config.internalRegistryHostname || this.registry?.host;
    if (!host) throw new RegistryNotConfiguredError();
    return `${host}/${repository}`;
  }

  /**
   * Every `<host>/<repository>` an image of the repository may have been recorded under: the
   * internal registry's name and the host of REGISTRY_URL, when they differ.
   */
  pullSpecs(repository: string): string[] {
    const hosts = new Set([this.config.internalRegistryHostname, this.registry?.host].filter((h): h is string => !!h));
    return [...hosts].map((host) => `${host}/${repository}`);
  }

  async close(): Promise<void> {
    await this.registry?.close();
  }
}
