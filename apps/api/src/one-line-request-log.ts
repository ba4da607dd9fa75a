import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One log line per request, when it is answered: method, URL, client address, status, latency and
 * user agent together, as kube-apiserver's httplog writes them. Fastify's default is two lines
 * (`incoming request` with the request, `request completed` with only the status), which an
 * operator had to join by reqId, and which cost a cached GET about a third more CPU.
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {
    // Logged once, with the answer (requestCompleted).
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime, userAgent: request.headers['user-agent'] };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
