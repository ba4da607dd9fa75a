import type { FastifyInstance } from 'fastify';
import { ApiError } from '@app/api-machinery';
import type { ServerDraining } from './server-draining';
import { sendException } from './status-exception.filter';

/** Probes and metrics scraping: kube-apiserver keeps serving these while it drains. */
const SERVED_WHILE_DRAINING = ['/readyz', '/livez', '/healthz', '/metrics'];

/** The wait kube-apiserver's WithRetryAfter filter asks for (a new replica is likely up by then). */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/**
 * kube-apiserver's WithRetryAfter filter (--shutdown-send-retry-after): a request that arrives
 * while the server drains (on a kept-alive connection: the listener is closed) is not run but
 * answered 429 TooManyRequests with `Retry-After` and `Connection: close`, so client-go and kubectl
 * wait, reconnect, most likely to another replica, and retry instead of failing. Upstream's body is
 * plain text; here it is the Status client-go makes of that answer (reason, code, retryAfterSeconds),
 * as every other error of the api is one. Health endpoints and /metrics are served as usual.
 * Registered before authentication, as upstream runs it first.
 */
export function answerRetryAfterWhileDraining(fastify: FastifyInstance, draining: ServerDraining): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!draining.active || SERVED_WHILE_DRAINING.some((prefix) => req.url.startsWith(prefix))) return done();
    void reply.header('connection', 'close');
    sendException(ApiError.tooManyRequests('The apiserver is shutting down, please try again later.', SHUTDOWN_RETRY_AFTER_SECONDS), req, reply);
  });
}
