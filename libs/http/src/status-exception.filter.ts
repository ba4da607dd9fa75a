import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApiError } from '@app/api-machinery';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asksForYaml, toYaml } from './yaml-answer';

interface FastifyError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Terminus puts the failed indicators under `error`: name them (never their connection details). */
function unavailableMessage(exception: HttpException): string {
  const body = exception.getResponse() as { error?: Record<string, unknown> } | string;
  const down = typeof body === 'object' && body.error ? Object.keys(body.error) : [];
  return down.length ? `not ready: ${down.join(', ')} unavailable` : exception.message;
}

/**
 * Maps any thrown error to a Kubernetes Status body; the one place HTTP error shapes live.
 * `bodyLimitBytes` (MAX_REQUEST_BODY_BYTES) words a 413 as kube-apiserver does (`limit is N`).
 */
export function toApiError(exception: unknown, bodyLimitBytes?: number): ApiError {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof HttpException) {
    const code = exception.getStatus();
    if (code === 404) return ApiError.routeNotFound();
    if (code === 405) return ApiError.methodNotAllowed();
    if (code === 413) return ApiError.tooLarge(bodyLimitBytes);
    // Health checks answer 503 through terminus: a Status with the matching reason.
    const reason = code === 503 ? 'ServiceUnavailable' : code >= 500 ? 'InternalError' : 'BadRequest';
    return new ApiError(code, reason, code === 503 ? unavailableMessage(exception) : exception.message);
  }
  const fe = exception as FastifyError;
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe?.statusCode === 413) return ApiError.tooLarge(bodyLimitBytes);
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe?.statusCode === 415) return ApiError.unsupportedMediaType();
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return ApiError.badRequest(fe.message ?? 'bad request');
  return ApiError.internal(fe?.message ?? 'unexpected error');
}

const logger = new Logger('StatusExceptionFilter');

/**
 * Answers a failed request with its Status (YAML when the client asked for YAML first); a 5xx
 * other than 503 is logged. The filter's whole work, also called by the ImageStreamTag GET fast
 * path (istag-fast-get.ts) so that its failures answer exactly as the filter's do.
 */
export function sendException(exception: unknown, req: FastifyRequest | undefined, reply: FastifyReply, bodyLimitBytes?: number): void {
  const error = toApiError(exception, bodyLimitBytes);
  // A 503 is the storage's outage, logged where it is found; a 504 is a deadline met (a lock
  // wait, a Postgres gone silent): worth a line, not a stack trace.
  if (error.code === 504) logger.warn(`${req?.method ?? ''} ${req?.url ?? ''}: ${error.message}`);
  else if (error.code >= 500 && error.code !== 503) logger.error(exception instanceof Error ? exception.stack : String(exception));
  if (reply.sent || reply.raw.headersSent) {
    if (!reply.raw.writableEnded) reply.raw.end();
    return;
  }
  // RFC 7235: a 401 names a scheme that would be accepted. API authentication sets its own; the
  // others here are the registry endpoints' shared secret, taken as `Bearer <secret>`.
  if (error.code === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', 'Bearer realm="imagestreamd"');
  // kube-apiserver's ErrorNegotiated: the wait a Status names is also the Retry-After header,
  // which is what client-go reads to retry a 429, 503 or 500 ServerTimeout instead of failing.
  const retryAfter = error.details?.retryAfterSeconds;
  if (retryAfter !== undefined && retryAfter > 0 && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(retryAfter));
  const { contentType, payload } = statusPayload(error, req?.headers?.accept);
  void reply.status(error.code).header('content-type', contentType).send(payload);
}

/**
 * An error's Status in the media type negotiated from Accept, as kube-apiserver's ErrorNegotiated:
 * YAML when the client asked for YAML first, else JSON (also when nothing offered can be served).
 * For answers written before any route runs too, so they match the filter's.
 */
export function statusPayload(error: ApiError, accept: string | undefined): { contentType: string; payload: string } {
  if (asksForYaml(accept)) return { contentType: 'application/yaml', payload: toYaml(error.toStatus()) };
  return { contentType: 'application/json', payload: JSON.stringify(error.toStatus()) };
}

@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  constructor(private readonly bodyLimitBytes?: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendException(exception, http.getRequest<FastifyRequest | undefined>(), http.getResponse<FastifyReply>(), this.bodyLimitBytes);
  }
}
