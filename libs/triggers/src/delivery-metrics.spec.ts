import { deliveryAttempts, recordDeliveryAttempt } from './delivery-metrics';

/** The counter's value for one label pair. */
async function count(result: string, reason: string): Promise<number> {
  const { values } = await deliveryAttempts.get();
  return values.find((v) => v.labels.result === result && v.labels.reason === reason)?.value ?? 0;
}

describe('recordDeliveryAttempt (attempts by result and failure class)', () => {
  beforeEach(() => deliveryAttempts.reset());

  it('classes a failed answer by its status, a delivered one as none', async () => {
    recordDeliveryAttempt('delivered', 204, false, 3);
    recordDeliveryAttempt('pending', 302, true, 3);
    recordDeliveryAttempt('dead', 404, true, 3);
    recordDeliveryAttempt('pending', 503, true, 3);
    expect(await count('delivered', 'none')).toBe(1);
    expect(await count('retrying', 'status-3xx')).toBe(1);
    expect(await count('dead-lettered', 'status-4xx')).toBe(1);
    expect(await count('retrying', 'status-5xx')).toBe(1);
  });

  it('counts a 2xx whose body failed (timed out, cut short) as an error, as when no answer came', async () => {
    recordDeliveryAttempt('pending', null, true, 3);
    recordDeliveryAttempt('pending', 200, true, 3);
    expect(await count('retrying', 'error')).toBe(2);
    expect(await count('retrying', 'status-2xx')).toBe(0);
  });
});
