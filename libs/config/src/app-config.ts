/** Every setting the service reads, validated once at boot (see loadConfig). */
export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  /** e.g. image-registry.openshift-image-registry.svc:5000; empty = none. */
  internalRegistryHostname: string;
  /** First external hostname; empty = none. */
  publicRegistryHostname: string;
  maxRequestBodyBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long the change log behind watch is kept. */
  watchRetentionSeconds: number;
  watchBookmarkIntervalSeconds: number;
  dbPoolSize: number;
  /** Registry notification receiver: header name and shared secret (empty secret = receiver disabled). */
  registryNotifyHeader: string;
  registryNotifySecret: string;
  /** Registry v2 API base URL the worker reads manifests from. */
  registryUrl: string;
  registryUsername: string;
  registryPassword: string;
  shutdownGraceSeconds: number;
}
