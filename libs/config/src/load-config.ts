import { isIP } from 'node:net';
import { withoutUserinfo } from '@app/api-machinery';
import { API_AUTHORIZATION_MODES, type ApiAuthorizationMode, type AppConfig } from './app-config';
import { loadAccessPolicy } from './access-policy';
import { loadAllowedRegistries } from './allowed-registries-config';
import { loadRegistryTokenConfig } from './registry-token-config';
import { loadTlsConfig } from './tls-config';
import { ConfigError, type Env, envBool, envInt, envString } from './env-readers';


const str = envString;
const int = envInt;

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const v = str(env, name, fallback);
  if (v === '') return v;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${withoutUserinfo(v)}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return v;
}

function hostname(env: Env, name: string): string {
  const v = str(env, name, '');
  if (v !== '' && !/^[A-Za-z0-9.-]+(:\d+)?$/.test(v)) throw new ConfigError(name, `must be host[:port], got "${v}"`);
  return v;
}

/** A listen address: an IP literal or a DNS name (resolved when the server listens). */
function listenHost(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  const label = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
  if (isIP(v) === 0 && !new RegExp(`^${label}(\\.${label})*$`).test(v)) throw new ConfigError(name, `must be an IP address or a host name, got "${v}"`);
  return v;
}

function token(env: Env, name: string, fallback: string, pattern: RegExp, what: string): string {
  const v = str(env, name, fallback);
  if (!pattern.test(v)) throw new ConfigError(name, `must be ${what}, got "${v}"`);
  return v;
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!(levels as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${levels.join(', ')}, got "${logLevel}"`);
  }
  const dbPoolSize = int(env, 'DB_POOL_SIZE', 20, 1, 500);
  // An ingest job holds one connection for its ordering locks and uses a second for the writes.
  const maxConcurrency = Math.max(1, Math.floor((dbPoolSize - 2) / 2));
  // As many events at once as the pool allows (9 with the default pool): each event is a few short
  // round trips, and at 4 a loaded worker settled fewer than 100 events/s (bench:notify).
  const ingestConcurrency = int(env, 'INGEST_CONCURRENCY', Math.min(16, maxConcurrency), 1, 64);
  if (ingestConcurrency > maxConcurrency) {
    throw new ConfigError(
      'INGEST_CONCURRENCY',
      `must be at most ${maxConcurrency} with DB_POOL_SIZE=${dbPoolSize} (each job may hold two connections), got ${ingestConcurrency}`,
    );
  }
  const accessPolicy = loadAccessPolicy(env);
  const apiAuthentication = envBool(env, 'API_AUTHENTICATION', false);
  if (apiAuthentication && !accessPolicy) throw new ConfigError('ACCESS_POLICY_FILE', 'is required with API_AUTHENTICATION=true (it names the users)');
  const apiAuthorization = str(env, 'API_AUTHORIZATION', 'AlwaysAllow');
  if (!(API_AUTHORIZATION_MODES as readonly string[]).includes(apiAuthorization)) {
    throw new ConfigError('API_AUTHORIZATION', `must be one of ${API_AUTHORIZATION_MODES.join(', ')}, got "${apiAuthorization}"`);
  }
  // Policy decides per user: without authentication there is no user to decide for.
  if (apiAuthorization === 'Policy' && !apiAuthentication) throw new ConfigError('API_AUTHORIZATION', 'Policy requires API_AUTHENTICATION=true (it names the user each request is authorized for)');
  const registryUrl = url(env, 'REGISTRY_URL', '', ['http:', 'https:']);
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: listenHost(env, 'HOST', '0.0.0.0'),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/imagestreamd', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    // The registry pushes are recorded from is the integrated one: without a name of its own, its
    // URL's host names it (status.dockerImageRepository, pull specs, the allowed-registries list).
    internalRegistryHostname: hostname(env, 'INTERNAL_REGISTRY_HOSTNAME') || (registryUrl ? new URL(registryUrl).host : ''),
    publicRegistryHostname: hostname(env, 'PUBLIC_REGISTRY_HOSTNAME'),
    maxRequestBodyBytes: int(env, 'MAX_REQUEST_BODY_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    // distribution refuses manifests over 4 MiB; an event lists at most one manifest's descriptors
    // (`includereferences`), each a little longer in the event than in the manifest: 32 MiB is ample.
    registryNotificationMaxBodyBytes: int(env, 'REGISTRY_NOTIFICATION_MAX_BODY_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    istagCacheEntries: int(env, 'ISTAG_CACHE_ENTRIES', 10000, 0, 10000000),
    logLevel: logLevel as AppConfig['logLevel'],
    watchRetentionSeconds: int(env, 'WATCH_RETENTION_SECONDS', 3600, 1, 30 * 24 * 3600),
    watchBookmarkIntervalSeconds: int(env, 'WATCH_BOOKMARK_INTERVAL_SECONDS', 30, 1, 3600),
    dbPoolSize,
    mappingGroupConcurrency: int(env, 'MAPPING_GROUP_CONCURRENCY', 2, 1, 256),
    mappingGroupMax: int(env, 'MAPPING_GROUP_MAX', 32, 1, 1000),
    registryNotifyHeader: token(env, 'REGISTRY_NOTIFY_HEADER', 'authorization', /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name').toLowerCase(),
    registryNotifySecret: str(env, 'REGISTRY_NOTIFY_SECRET', ''),
    registryUrl,
    registryUsername: str(env, 'REGISTRY_USERNAME', ''),
    registryPassword: str(env, 'REGISTRY_PASSWORD', ''),
    shutdownGraceSeconds: int(env, 'SHUTDOWN_GRACE_SECONDS', 10, 0, 600),
    requestTimeoutSeconds: int(env, 'REQUEST_TIMEOUT_SECONDS', 60, 1, 3600),
    quotaResyncSeconds: int(env, 'QUOTA_RESYNC_SECONDS', 60, 0, 86400),
    shutdownDelaySeconds: int(env, 'SHUTDOWN_DELAY_SECONDS', 0, 0, 600),
    dbIdleInTransactionTimeoutMs: int(env, 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 86_400_000),
    dbLockTimeoutMs: int(env, 'DB_LOCK_TIMEOUT_MS', 30_000, 0, 86_400_000),
    registryTimeoutMs: int(env, 'REGISTRY_TIMEOUT_MS', 10000, 100, 300000),
    queuePrefix: token(env, 'QUEUE_PREFIX', 'isd', /^[A-Za-z0-9_.-]{1,64}$/, '1-64 characters of [A-Za-z0-9_.-]'),
    ingestConcurrency,
    ingestAttempts: int(env, 'INGEST_ATTEMPTS', 8, 1, 100),
    namespaceTerminationDelayMs: int(env, 'NAMESPACE_TERMINATION_DELAY_MS', 1000, 0, 3600000),
    ingestBackoffMs: int(env, 'INGEST_BACKOFF_MS', 1000, 10, 3600000),
    ingestSweepIntervalMs: int(env, 'INGEST_SWEEP_INTERVAL_MS', 5000, 100, 3600000),
    ingestSweepAfterMs: int(env, 'INGEST_SWEEP_AFTER_MS', 5000, 0, 3600000),
    ingestRetentionSeconds: int(env, 'INGEST_RETENTION_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    registryResyncIntervalSeconds: int(env, 'REGISTRY_RESYNC_INTERVAL_SECONDS', 600, 0, 7 * 24 * 3600),
    registryResyncMaxTags: int(env, 'REGISTRY_RESYNC_MAX_TAGS', 100_000, 1, 10_000_000),
    accessPolicy,
    registryToken: loadRegistryTokenConfig(env, accessPolicy),
    apiAuthentication,
    apiAuthorization: apiAuthorization as ApiAuthorizationMode,
    tls: loadTlsConfig(env),
    ...(env['WORKER_METRICS_PORT'] !== undefined && env['WORKER_METRICS_PORT'] !== '' ? { workerMetricsPort: int(env, 'WORKER_METRICS_PORT', 0, 0, 65535) } : {}),
    allowedRegistriesForImport: loadAllowedRegistries(env),
  };
}
