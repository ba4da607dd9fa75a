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
