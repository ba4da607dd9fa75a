/** How the service's pg pools are sized and bounded. */
export interface PoolSettings {
  size: number;
  /**
   * Postgres ends a session left idle inside a transaction this long (0: never). A transaction
   * open that long is stuck (its holder waits on something that does not answer); it holds row
   * locks, and a change row it wrote holds every change feed back (they wait for it to commit).
   */
  idleInTransactionTimeoutMs: number;
  /**
   * A statement waits this long for a lock another session holds, then fails (0: forever). Only
   * the service's own pool sets it: one session stuck holding a lock would otherwise keep every
   * request that needs it waiting, each holding a pool connection, until none is left for
   * anything else. Migrations wait as long as they must.
   */
  lockTimeoutMs?: number;
}

export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** Idle time before a connection's first TCP keepalive probe (the kernel's interval and count follow). */
export const KEEPALIVE_IDLE_MS = 10_000;

/**
 * node-postgres pool options for every pool the service opens (the app's, the migrations' and
 * the tests'), so they behave alike. Keepalive: an idle connection that died silently (a
 * failover without a reset, a partition) is found instead of being handed out.
 */
export function pgPoolOptions(settings: PoolSettings): Record<string, unknown> {
  return {
    max: settings.size,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ...(settings.idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs } : {}),
    ...(settings.lockTimeoutMs ? { lock_timeout: settings.lockTimeoutMs } : {}),
  };
}
