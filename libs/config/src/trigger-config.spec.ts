import { loadTriggerConfig } from './trigger-config';

describe('loadTriggerConfig: delivery retention', () => {
  it('keeps finished deliveries as long as the tag-change feed by default (7 days)', () => {
    expect(loadTriggerConfig({}).deliveryRetentionSeconds).toBe(604800);
    expect(loadTriggerConfig({ TRIGGER_FEED_RETENTION_SECONDS: '86400' }).deliveryRetentionSeconds).toBe(86400);
  });

  it('TRIGGER_DELIVERY_RETENTION_SECONDS sets it on its own; below a minute is refused', () => {
    expect(loadTriggerConfig({ TRIGGER_DELIVERY_RETENTION_SECONDS: '3600' })).toMatchObject({ deliveryRetentionSeconds: 3600, feedRetentionSeconds: 604800 });
    expect(() => loadTriggerConfig({ TRIGGER_DELIVERY_RETENTION_SECONDS: '59' })).toThrow(/TRIGGER_DELIVERY_RETENTION_SECONDS must be between 60/);
  });
});

describe('loadTriggerConfig: job lock against delivery timeout', () => {
  it('keeps the defaults valid and refuses a lock shorter than twice the delivery timeout', () => {
    expect(loadTriggerConfig({})).toMatchObject({ deliveryTimeoutMs: 5000, jobLockMs: 30000 });
    expect(() => loadTriggerConfig({ TRIGGER_DELIVERY_TIMEOUT_MS: '30000', TRIGGER_JOB_LOCK_MS: '8000' })).toThrow(/TRIGGER_JOB_LOCK_MS.*TRIGGER_DELIVERY_TIMEOUT_MS/);
  });
});

describe('loadTriggerConfig: queue prefix', () => {
  it('takes the characters QUEUE_PREFIX takes, dots included; refuses others', () => {
    expect(loadTriggerConfig({ TRIGGER_QUEUE_PREFIX: 'isd.a-t_1' }).queuePrefix).toBe('isd.a-t_1');
    expect(() => loadTriggerConfig({ TRIGGER_QUEUE_PREFIX: 'a:b' })).toThrow('must be 1-64 letters, digits, ., - or _, got "a:b"');
  });
});
