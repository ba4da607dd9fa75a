import { parseAccessPolicy } from '@app/config';
import { FailedLoginThrottle, failedLoginThrottleOf } from './failed-login-throttle';

describe('FailedLoginThrottle', () => {
  it('allows `burst` failures per address and user, then one per interval', () => {
    let now = 0;
    const throttle = new FailedLoginThrottle({ burst: 3, intervalSeconds: 10 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(0);
      throttle.recordFailure('10.0.0.1', 'alice');
    }
    expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(10);
    // Another user from the same address, and the same user from another address, are not held back.
    expect(throttle.retryAfterSeconds('10.0.0.1', 'bob')).toBe(0);
    expect(throttle.retryAfterSeconds('10.0.0.2', 'alice')).toBe(0);
    now = 4000;
    expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(6);
    now = 10000;
    expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(0);
    throttle.recordFailure('10.0.0.1', 'alice');
    expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(10);
    now = 40000;
    // Refilled to the burst again.
    for (let i = 0; i < 3; i++) throttle.recordFailure('10.0.0.1', 'alice');
    expect(throttle.retryAfterSeconds('10.0.0.1', 'alice')).toBe(10);
  });

  it('burst 0 never throttles', () => {
    const throttle = new FailedLoginThrottle({ burst: 0, intervalSeconds: 10 });
    for (let i = 0; i < 100; i++) throttle.recordFailure('a', 'b');
    expect(throttle.retryAfterSeconds('a', 'b')).toBe(0);
  });
});

describe('failedLoginThrottleOf', () => {
  it('gives every caller of one policy the same throttle (API and token endpoint count together), another policy its own', () => {
    const policy = parseAccessPolicy('failedLogins: {burst: 1}');
    const api = failedLoginThrottleOf(policy);
    expect(failedLoginThrottleOf(policy)).toBe(api);
    api.recordFailure('10.0.0.1', 'alice');
    expect(failedLoginThrottleOf(policy).retryAfterSeconds('10.0.0.1', 'alice')).toBe(10);
    expect(failedLoginThrottleOf(parseAccessPolicy('failedLogins: {burst: 1}')).retryAfterSeconds('10.0.0.1', 'alice')).toBe(0);
  });
});
