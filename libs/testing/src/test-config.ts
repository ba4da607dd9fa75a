import { type AppConfig, loadConfig } from '@app/config';

/** Configuration for a server under test: loopback, random port, quiet logs. */
export function testConfig(databaseUrl: string, overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    logLevel: 'silent',
    dbPoolSize: 10,
    ...overrides,
  };
}
