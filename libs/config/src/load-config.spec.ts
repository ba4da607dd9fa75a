import { loadConfig } from './load-config';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/imagestreamd');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.maxRequestBodyBytes).toBe(4 * 1024 * 1024);
  });
  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer'],
    [{ PORT: '70000' }, 'PORT must be between 0 and 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must use postgres: or postgresql:'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ INTERNAL_REGISTRY_HOSTNAME: 'http://x' }, 'INTERNAL_REGISTRY_HOSTNAME must be host[:port]'],
  ])('%j → names the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
