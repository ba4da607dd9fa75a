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

/** ioredis' rejection of a command whose connection was closed under it (its CONNECTION_CLOSED_ERROR_MSG). */
const CONNECTION_CLOSED = 'Connection is closed.';

let installed = false;
let shuttingDown = false;

/**
 * Whether an unhandled rejection is one the shutdown makes: once the process is shutting down, a
 * queue command still in flight when its connection is closed (BullMQ starts some without a
 * handler, e.g. right after a worker that finished starting during the shutdown is closed) is
 * rejected with "Connection is closed.". Nobody is left to tell, and nothing is lost: the work it
 * was for waits in Postgres (inbox, outbox) or comes back as a stalled job.
 */
export function isShutdownRejection(reason: unknown, closing: boolean): boolean {
  return closing && reason instanceof Error && reason.message === CONNECTION_CLOSED;
}

/** From now on the process is shutting down (see isShutdownRejection). */
export function noteRedisShutdown(): void {
  shuttingDown = true;
}

/**
 * BullMQ 5.81 can leave a promise rejected with the raw socket error of its Redis connection
 * unhandled while Redis is unreachable (seen when Redis comes up after the worker: a cold start
 * of the whole stack, about one boot in twenty on a loaded machine). Node's default would end the
 * process for it, though the connection reconnects by itself and nothing is lost (the inbox and
 * outbox rows are in Postgres). Such a rejection is logged as a warning; one the shutdown makes
 * (isShutdownRejection) is dropped; any other unhandled rejection still ends the process, as
 * Node's default `throw` mode does.
 */
export function installRedisRejectionGuard(redisUrl: string, warn: (message: string) => void): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isShutdownRejection(reason, shuttingDown)) return;
    if (isRedisConnectionRejection(reason, redisUrl)) {
      warn(`redis connection: ${(reason as Error).message} (an unhandled rejection inside the queue client; it reconnects)`);
      return;
    }
    throw reason;
  });
}
