import { ApiError } from '@app/api-machinery';
import { SharedSecret } from './shared-secret';

describe('SharedSecret', () => {
  const s = new SharedSecret('authorization', 's3cret');

  it.each<[string | string[] | undefined, boolean]>([
    ['s3cret', true],
    ['Bearer s3cret', true],
    ['bearer s3cret', true],
    ['BEARER s3cret', true],
    ['Bearer  s3cret', true],
    ['Bearers3cret', false],
    ['Basic s3cret', false],
    ['Bearer Bearer s3cret', false],
    ['Bearer s3cret ', false],
    ['s3cre', false],
    ['', false],
    [undefined, false],
    [['Bearer s3cret', 'x'], false],
  ])('%j → %s', (value, ok) => {
    expect(s.matches(value)).toBe(ok);
  });

  it('401 Status on a wrong secret, naming the header', () => {
    expect(() => s.check({ authorization: 'nope' })).toThrow(ApiError);
    try {
      s.check({});
    } catch (e) {
      expect((e as ApiError).toStatus()).toMatchObject({ code: 401, reason: 'Unauthorized', message: expect.stringContaining('authorization header') });
    }
  });

  it('reads the configured header', () => {
    const custom = new SharedSecret('x-registry-secret', 'k');
    expect(() => custom.check({ 'x-registry-secret': 'k' })).not.toThrow();
    expect(() => custom.check({ authorization: 'Bearer k' })).toThrow('x-registry-secret');
  });

  it('no secret configured: the receiver is disabled (404 with a message saying how to enable it)', () => {
    const off = new SharedSecret('authorization', '');
    expect(off.enabled).toBe(false);
    expect(off.matches('')).toBe(false);
    try {
      off.check({ authorization: '' });
      throw new Error('accepted');
    } catch (e) {
      expect((e as ApiError).toStatus()).toMatchObject({ code: 404, message: expect.stringContaining('REGISTRY_NOTIFY_SECRET') });
    }
  });
});
