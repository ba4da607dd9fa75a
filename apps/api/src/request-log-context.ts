import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Store, storage } from 'nestjs-pino/storage';

/**
 * Runs each request in the AsyncLocalStorage context nestjs-pino reads, so that a Nest `Logger`
 * call made for a request (a 5xx in StatusExceptionFilter, a failing health check) logs with the
 * request's child logger and its request id. nestjs-pino would bind it as a Nest middleware, which
 * on Fastify costs an @fastify/middie engine run per request; a Fastify hook does the same for less.
 */
export function bindRequestLogContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, _reply, done) => {
    // The Fastify instance logs through pino (createLogger), so its request loggers are pino's.
    storage.run(new Store(req.log as Logger), done);
  });
}
