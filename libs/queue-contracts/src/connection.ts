import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from REDIS_URL for one role. Workers block on Redis and must wait out outages
 * (`maxRetriesPerRequest: null`, BullMQ's production guidance); producers in request paths must
 * fail fast instead of queueing commands while Redis is away (`enableOfflineQueue: false`).
 */
export function redisConnectionOptions(redisUrl: string, role: 'worker' | 'producer'): RedisOptions {
  const url = new URL(redisUrl);
  const base: RedisOptions = {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Reconnect forever, at most 2 s apart.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  };
  return role === 'worker'
    ? { ...base, maxRetriesPerRequest: null }
    : { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
}
