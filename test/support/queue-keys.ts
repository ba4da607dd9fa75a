import Redis from 'ioredis';

/**
 * Deletes every Redis key under the BullMQ prefixes a bench or test run used (`<prefix>:…`), so
 * runs do not leave their queues, finished jobs and schedulers behind. The prefixes are the run's
 * own random ones; keys are found with SCAN (never KEYS, which blocks Redis) and UNLINKed in pages.
 */
export async function deleteQueueKeys(prefixes: string[], redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
