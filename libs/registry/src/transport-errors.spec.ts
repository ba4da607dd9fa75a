import { RegistryUnavailableError } from './registry-errors';
import { rethrowTransportError } from './transport-errors';

const systemError = (code: string, fields: Record<string, unknown>) => Object.assign(new Error(`${code} from node`), { code, ...fields });
const wrapped = (err: unknown): RegistryUnavailableError => {
  try {
    rethrowTransportError(err, 'manifest a/b:c from http://h');
  } catch (e) {
    return e as RegistryUnavailableError;
  }
  throw new Error('not rethrown');
};

describe('rethrowTransportError', () => {
  it.each([
    [systemError('ECONNREFUSED', { address: '127.0.0.1', port: 1 }), 'dial tcp 127.0.0.1:1: connect: connection refused (ECONNREFUSED)'],
    [systemError('ECONNREFUSED', { address: '::1', port: 5000 }), 'dial tcp [::1]:5000: connect: connection refused (ECONNREFUSED)'],
    [systemError('ENOTFOUND', { hostname: 'nosuch.invalid' }), 'dial tcp: lookup nosuch.invalid: no such host (ENOTFOUND)'],
    [systemError('EHOSTUNREACH', { address: '10.0.0.1', port: 443 }), 'dial tcp 10.0.0.1:443: connect: no route to host (EHOSTUNREACH)'],
    [systemError('ECONNRESET', {}), 'read: connection reset by peer (ECONNRESET)'],
    [systemError('EPIPE', {}), 'EPIPE (EPIPE from node)'],
  ])('says what Go says where it has an equivalent, then the Node code: %s', (err, text) => {
    const e = wrapped(err);
    expect(e).toBeInstanceOf(RegistryUnavailableError);
    expect(e.message).toBe(`manifest a/b:c from http://h: ${text}`);
  });

  it('rethrows other errors as they are', () => {
    const other = new TypeError('x');
    expect(() => rethrowTransportError(other, 'w')).toThrow(other);
  });
});
