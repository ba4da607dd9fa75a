import { isRedisConnectionRejection, isShutdownRejection } from './redis-rejection-guard';

const socketError = (code: string, extra: Record<string, unknown>) => Object.assign(new Error(`${code} failure`), { code, ...extra });

describe('isRedisConnectionRejection', () => {
  const redisUrl = 'redis://127.0.0.1:6390';

  it('takes socket errors of the Redis host and port', () => {
    expect(isRedisConnectionRejection(socketError('ECONNREFUSED', { address: '127.0.0.1', port: 6390, syscall: 'connect' }), redisUrl)).toBe(true);
    expect(isRedisConnectionRejection(socketError('ECONNRESET', { syscall: 'read' }), redisUrl)).toBe(true);
    expect(isRedisConnectionRejection(socketError('ENOTFOUND', { hostname: 'redis', syscall: 'getaddrinfo' }), 'redis://redis:6379')).toBe(true);
    expect(isRedisConnectionRejection(socketError('ENOTFOUND', { hostname: 'postgres', syscall: 'getaddrinfo' }), 'redis://redis:6379')).toBe(false);
    expect(isRedisConnectionRejection(socketError('ENOTFOUND', { hostname: 'redis', port: 6379, syscall: 'getaddrinfo' }), 'redis://redis')).toBe(true);
  });

  it('leaves everything else to Node (the process ends)', () => {
    expect(isRedisConnectionRejection(socketError('ECONNREFUSED', { address: '127.0.0.1', port: 5432, syscall: 'connect' }), redisUrl)).toBe(false);
    expect(isRedisConnectionRejection(socketError('ECONNRESET', { address: '10.0.0.1', syscall: 'read' }), redisUrl)).toBe(false);
    expect(isRedisConnectionRejection(new Error('connect ECONNREFUSED 127.0.0.1:6390'), redisUrl)).toBe(false);
    expect(isRedisConnectionRejection(socketError('EACCES', { port: 6390 }), redisUrl)).toBe(false);
    expect(isRedisConnectionRejection('ECONNREFUSED', redisUrl)).toBe(false);
  });
});

describe('isShutdownRejection', () => {
  it('takes "Connection is closed." only once the process is shutting down', () => {
    expect(isShutdownRejection(new Error('Connection is closed.'), true)).toBe(true);
    expect(isShutdownRejection(new Error('Connection is closed.'), false)).toBe(false);
    expect(isShutdownRejection(new Error('boom'), true)).toBe(false);
    expect(isShutdownRejection('Connection is closed.', true)).toBe(false);
  });
});
