import { Redis } from 'ioredis';
import type { AppConfig } from '@app/config';

export const REDIS_HEALTH = Symbol('REDIS_HEALTH');

/** A small non-blocking client for readiness pings (fails fast instead of queueing commands). */
export function createHealthRedis(config: AppConfig): Redis {
  const client = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  client.on('error', () => undefined);
  return client;
}
