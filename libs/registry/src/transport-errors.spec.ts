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

  it("a plain-HTTP answer to TLS is Go's scheme mismatch, on the registry's /v2/ when its root is known", () => {
    const mismatch = systemError('ERR_SSL_WRONG_VERSION_NUMBER', {});
    const at = (root?: string) => {
      try {
        rethrowTransportError(mismatch, 'manifest a/b:c from https://h:5000', root);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('not rethrown');
    };
    expect(at('https://h:5000')).toBe('Get "https://h:5000/v2/": http: server gave HTTP response to HTTPS client');
    expect(at()).toBe('manifest a/b:c from https://h:5000: http: server gave HTTP response to HTTPS client');
  });

  it("a connection failure on the registry itself is Go's url.Error for the importer's /v2/ ping", () => {
    const refused = systemError('ECONNREFUSED', { address: '127.0.0.1', port: 1 });
    const at = (err: unknown, root?: string) => {
      try {
        rethrowTransportError(err, 'manifest a/b:c from http://127.0.0.1:1', root);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('not rethrown');
    };
    expect(at(refused, 'http://127.0.0.1:1')).toBe('Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused');
    // Without a Go equivalent the Node code is all there is to say.
    expect(at(systemError('EPIPE', {}), 'http://127.0.0.1:1')).toBe('manifest a/b:c from http://127.0.0.1:1: EPIPE (EPIPE from node)');
  });

  it('rethrows other errors as they are', () => {
    const other = new TypeError('x');
    expect(() => rethrowTransportError(other, 'w')).toThrow(other);
  });
});
