import { loadTlsConfig } from './tls-config';

describe('TLS configuration', () => {
  it('is plain HTTP without files and needs both files with either', () => {
    expect(loadTlsConfig({})).toBeUndefined();
    expect(() => loadTlsConfig({ TLS_CERT_FILE: '/x.crt' })).toThrow('invalid configuration: TLS_KEY_FILE is required with TLS_CERT_FILE');
    expect(() => loadTlsConfig({ TLS_KEY_FILE: '/x.key' })).toThrow('invalid configuration: TLS_CERT_FILE is required with TLS_KEY_FILE');
    expect(() => loadTlsConfig({ TLS_CERT_FILE: '/nonexistent.crt', TLS_KEY_FILE: '/nonexistent.key' })).toThrow(/TLS_CERT_FILE cannot be read/);
  });
});
