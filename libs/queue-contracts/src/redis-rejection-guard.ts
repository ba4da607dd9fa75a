/** Socket failures of a Redis connection that ioredis reconnects from by itself. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Is `reason` a socket error of a connection to `redisUrl`'s host and port? */
export function isRedisConnectionRejection(reason: unknown, redisUrl: string): boolean {
  if (!(reason instanceof Error)) return false;
  const { code, port, hostname, address } = reason as Error & { code?: unknown; port?: unknown; hostname?: unknown; address?: unknown };
  if (typeof code !== 'string' || !CONNECTION_CODES.has(code)) return false;
  const url = new URL(redisUrl);
  const redisPort = Number(url.port || 6379);
  // connect errors name the peer; a reset or timeout on an open socket may not.
  if (port !== undefined && Number(port) !== redisPort) return false;
  if (typeof hostname === 'string' && hostname !== url.hostname) return false;
  return port !== undefined || address === undefined;
}

let installed = false;

/**
 * BullMQ 5.81 can leave a promise rejected with the raw socket error of its Redis connection
 * unhandled while Redis is unreachable (seen when Redis comes up after the worker: a cold start
 * of the whole stack, about one boot in twenty on a loaded machine). Node's default would end the
 * process for it, though the connection reconnects by itself and nothing is lost (the inbox and
 * outbox rows are in Postgres). Such a rejection is logged as a warning; any other unhandled
 * rejection still ends the process, as Node's default `throw` mode does.
 */
export function installRedisRejectionGuard(redisUrl: string, warn: (message: string) => void): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isRedisConnectionRejection(reason, redisUrl)) {
      warn(`redis connection: ${(reason as Error).message} (an unhandled rejection inside the queue client; it reconnects)`);
      return;
    }
    throw reason;
  });
}
