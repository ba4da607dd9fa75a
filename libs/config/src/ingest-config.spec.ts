import { loadConfig } from './load-config';

describe('loadConfig: registry ingestion settings', () => {
  it('has defaults that fit the default pool', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      queuePrefix: 'isd',
      ingestConcurrency: 9,
      ingestAttempts: 8,
      ingestBackoffMs: 1000,
      ingestSweepIntervalMs: 5000,
      ingestSweepAfterMs: 5000,
      ingestRetentionSeconds: 604800,
      registryResyncIntervalSeconds: 600,
      registryResyncMaxTags: 100000,
      registryTimeoutMs: 10000,
      registryNotifyHeader: 'authorization',
    });
  });

  it('a small pool lowers the default concurrency instead of failing', () => {
    expect(loadConfig({ DB_POOL_SIZE: '6' }).ingestConcurrency).toBe(2);
    expect(loadConfig({ DB_POOL_SIZE: '1' }).ingestConcurrency).toBe(1);
  });

  it.each([
    [{ QUEUE_PREFIX: 'a:b' }, 'QUEUE_PREFIX must be 1-64 characters of [A-Za-z0-9_.-]'],
    [{ INGEST_CONCURRENCY: '0' }, 'INGEST_CONCURRENCY must be between 1 and 64'],
    [{ INGEST_CONCURRENCY: '10' }, 'INGEST_CONCURRENCY must be at most 9 with DB_POOL_SIZE=20'],
    [{ INGEST_ATTEMPTS: 'many' }, 'INGEST_ATTEMPTS must be an integer'],
    [{ INGEST_BACKOFF_MS: '1' }, 'INGEST_BACKOFF_MS must be between 10 and'],
    [{ INGEST_SWEEP_INTERVAL_MS: '50' }, 'INGEST_SWEEP_INTERVAL_MS must be between 100 and'],
    [{ INGEST_RETENTION_SECONDS: '1' }, 'INGEST_RETENTION_SECONDS must be between 60 and'],
    [{ REGISTRY_TIMEOUT_MS: '5' }, 'REGISTRY_TIMEOUT_MS must be between 100 and'],
    [{ REGISTRY_RESYNC_INTERVAL_SECONDS: '999999999' }, 'REGISTRY_RESYNC_INTERVAL_SECONDS must be between 0 and'],
    [{ REGISTRY_RESYNC_MAX_TAGS: '0' }, 'REGISTRY_RESYNC_MAX_TAGS must be between 1 and'],
    [{ REGISTRY_NOTIFY_HEADER: 'bad header' }, 'REGISTRY_NOTIFY_HEADER must be an HTTP header name'],
  ])('%j → names the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
