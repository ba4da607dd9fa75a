import { loadConfig } from './load-config';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/imagestreamd');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.maxRequestBodyBytes).toBe(4 * 1024 * 1024);
  });
  it('serves worker metrics only when WORKER_METRICS_PORT is set', () => {
    expect(loadConfig({}).workerMetricsPort).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '' }).workerMetricsPort).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '9091' }).workerMetricsPort).toBe(9091);
  });
  it("names the internal registry by REGISTRY_URL's host unless INTERNAL_REGISTRY_HOSTNAME does", () => {
    expect(loadConfig({}).internalRegistryHostname).toBe('');
    expect(loadConfig({ REGISTRY_URL: 'http://127.0.0.1:5000' }).internalRegistryHostname).toBe('127.0.0.1:5000');
    expect(loadConfig({ REGISTRY_URL: 'https://registry.local/' }).internalRegistryHostname).toBe('registry.local');
    expect(loadConfig({ REGISTRY_URL: 'http://registry:5000', INTERNAL_REGISTRY_HOSTNAME: 'registry.example.com' }).internalRegistryHostname).toBe('registry.example.com');
  });
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use postgres: or postgresql:'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ INTERNAL_REGISTRY_HOSTNAME: 'http://x' }, 'INTERNAL_REGISTRY_HOSTNAME must be host[:port]'],
    [{ WORKER_METRICS_PORT: '9o91' }, 'WORKER_METRICS_PORT must be an integer'],
    [{ HOST: 'not_a_host' }, 'HOST must be an IP address or a host name, got "not_a_host"'],
    [{ HOST: 'http://0.0.0.0' }, 'HOST must be an IP address or a host name'],
  ])('%j → names the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
  it('HOST takes IPv4 and IPv6 literals and host names', () => {
    for (const host of ['0.0.0.0', '::', '127.0.0.1', 'localhost', 'api.example.com']) expect(loadConfig({ HOST: host }).host).toBe(host);
  });
  it.each([
    ['DATABASE_URL', 'postgres://app:pa#ss/w0rd@db:5432/imagestreamd'],
    ['REDIS_URL', 'redis://:s3cr/et@redis:6379'],
    ['REGISTRY_URL', 'http://robot:to#ken@registry:5000'],
  ])('a %s that does not parse is named without its password', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`${name} must be a URL, got "`);
    expect(() => loadConfig({ [name]: value })).toThrow('<redacted>@');
    let message = '';
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toMatch(/pa#ss|s3cr|to#ken/);
  });
});
