import type { AccessPolicy } from './access-policy';
import type { AllowedRegistryLocation } from './allowed-registries-config';
import type { RegistryTokenConfig } from './registry-token-config';
import type { TlsConfig } from './tls-config';

/**
 * API_AUTHORIZATION: `AlwaysAllow` lets every authenticated request through (kube-apiserver's
 * mode of that name); `Policy` allows a request only when a grant of ACCESS_POLICY_FILE gives
 * the caller a role that covers it (see the api-authorizer of @app/http).
 */
export const API_AUTHORIZATION_MODES = ['AlwaysAllow', 'Policy'] as const;
export type ApiAuthorizationMode = (typeof API_AUTHORIZATION_MODES)[number];

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
  /**
   * Body limit of the registry notification receiver alone: a registry retries a refused envelope
   * forever and holds every later event behind it, so this limit must exceed any envelope it sends.
   */
  registryNotificationMaxBodyBytes: number;
  /** ImageStreamTag GET answers kept in memory per api process (0 turns the cache off). */
  istagCacheEntries: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long the change log behind watch is kept. */
  watchRetentionSeconds: number;
  watchBookmarkIntervalSeconds: number;
  dbPoolSize: number;
  /** Postgres ends a session idle inside a transaction this long (0: never). */
  dbIdleInTransactionTimeoutMs: number;
  /** A statement waits this long for a lock another session holds, then fails with 504 (0: forever). */
  dbLockTimeoutMs: number;
  /** Transactions of grouped ImageStreamMappings in flight at once (MAPPING_GROUP_CONCURRENCY; see OneTripGroupCommit). */
  mappingGroupConcurrency: number;
  /** ImageStreamMappings in one grouped transaction at most (MAPPING_GROUP_MAX; 1 turns grouping off). */
  mappingGroupMax: number;
  /** Registry notification receiver: header name and shared secret (empty secret = receiver disabled). */
  registryNotifyHeader: string;
  registryNotifySecret: string;
  /** Registry v2 API base URL the worker reads manifests from. */
  registryUrl: string;
  registryUsername: string;
  registryPassword: string;
  shutdownGraceSeconds: number;
  /**
   * REQUEST_TIMEOUT_SECONDS (kube-apiserver's --request-timeout): the deadline of a Kubernetes API
   * request that is not a watch (writes: at most 34 s), and the longest `?timeout=` honoured.
   */
  requestTimeoutSeconds: number;
  /** QUOTA_RESYNC_SECONDS: the worker recomputes every ResourceQuota's status this often (0: never). */
  quotaResyncSeconds: number;
  /**
   * SIGTERM: how long the api keeps serving as usual, `/readyz` failing, before it drains
   * (kube-apiserver's --shutdown-delay-duration): load balancers probing readiness stop sending first.
   */
  shutdownDelaySeconds: number;
  /** Per-request timeout for registry v2 calls made by the worker. */
  registryTimeoutMs: number;
  /** BullMQ key prefix; tests give each file its own so queues never mix. */
  queuePrefix: string;
  /** Registry events processed in parallel per worker process (each may hold two DB connections). */
  ingestConcurrency: number;
  /** Attempts per stored registry event before it is marked failed. */
  ingestAttempts: number;
  /** How long a deleted namespace stays Terminating before its contents are deleted (clients deleting them too finish first). */
  namespaceTerminationDelayMs: number;
  /** First retry delay; doubles on each later attempt. */
  ingestBackoffMs: number;
  /** How often the worker's sweeper re-enqueues stored-but-unprocessed events. */
  ingestSweepIntervalMs: number;
  /** A pending event is swept only once it is older than this (the receiver enqueues it itself first). */
  ingestSweepAfterMs: number;
  /** Processed and ignored events are kept this long (dedupe window for registry retries), then deleted. */
  ingestRetentionSeconds: number;
  /**
   * How often the worker compares the registry's tags with what ingestion applied and stores the
   * pushes and tag deletes whose notifications never came (0: never; see RegistryResync).
   */
  registryResyncIntervalSeconds: number;
  /** Tags one resync pass reads at most (one HEAD each), so a huge registry cannot make a pass unbounded. */
  registryResyncMaxTags: number;
  /** Users and their registry grants (ACCESS_POLICY_FILE); absent = none. */
  accessPolicy?: AccessPolicy;
  /** The registry token endpoint; absent = off. */
  registryToken?: RegistryTokenConfig;
  /** Every request but the public paths must carry a policy user's credentials (API_AUTHENTICATION). */
  apiAuthentication?: boolean;
  /** Who may do what once authenticated (API_AUTHORIZATION); absent = AlwaysAllow. */
  apiAuthorization?: ApiAuthorizationMode;
  /**
   * A worker started alone (`start:worker`) serves /metrics and /livez on this port
   * (WORKER_METRICS_PORT); absent = no HTTP. The api process serves them on its own port.
   */
  workerMetricsPort?: number;
  /** Serve HTTPS with this certificate and key; absent = plain HTTP. */
  tls?: TlsConfig;
  /** Registries image references may name (IMPORT_ALLOWED_REGISTRIES); empty = all. Absent in hand-built configs = all. */
  allowedRegistriesForImport?: AllowedRegistryLocation[];
}
