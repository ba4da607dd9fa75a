import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@app/api-machinery';
import { isWatch, type Query } from './query-options';
import { firstValue } from './query-value';
import { sendException } from './status-exception.filter';

const NANOSECONDS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const MAX_NANOSECONDS = 2 ** 63;

/** Go's strconv-style quoting, as time.ParseDuration quotes the text in its errors. */
const quote = (text: string) => JSON.stringify(text);

/**
 * What Go's time.ParseDuration makes of `value`: its length in nanoseconds, or why it refuses it
 * (its own error text): `[-+]` then one or more `<number><unit>` (`1.5h`, `300ms`, `1h30m`), or
 * `0`. Hand-written: the npm duration parsers accept other grammars (`1 hour`, `1d`) and give none
 * of Go's error texts, which kube-apiserver returns verbatim.
 */
export function parseGoDuration(value: string): { nanoseconds: number } | { error: string } {
  const invalid = { error: `time: invalid duration ${quote(value)}` };
  const negative = value.startsWith('-');
  let rest = /^[-+]/.test(value) ? value.slice(1) : value;
  if (rest === '0') return { nanoseconds: 0 };
  if (rest === '') return invalid;
  let total = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(\.[0-9]*)?/.exec(rest)!;
    const [whole, integer = '', fraction] = number;
    if (integer === '' && (fraction === undefined || fraction.length < 2)) return invalid;
    rest = rest.slice(whole.length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') return { error: `time: missing unit in duration ${quote(value)}` };
    const scale = NANOSECONDS[unit];
    if (scale === undefined) return { error: `time: unknown unit ${quote(unit)} in duration ${quote(value)}` };
    rest = rest.slice(unit.length);
    total += Number(`0${integer}${fraction ?? ''}`) * scale;
    if (total > MAX_NANOSECONDS) return invalid;
  }
  return { nanoseconds: negative ? -total : total };
}

/** kube-apiserver's --request-timeout default: the longest deadline a request may ask for. */
export const MAX_REQUEST_TIMEOUT_MS = 60_000;

/**
 * The deadline in milliseconds a valid `?timeout=` gives a request, as kube-apiserver's request
 * deadline filter reads it: the value, capped at the server's request timeout; null for 0 or a
 * negative value, which upstream reads as "no timeout of the client's own" (the server default).
 */
export function requestDeadlineMs(nanoseconds: number): number | null {
  if (nanoseconds <= 0) return null;
  return Math.min(nanoseconds / 1e6, MAX_REQUEST_TIMEOUT_MS);
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The 504 a request past its deadline gets: apimachinery's NewTimeoutError with no retry hint
 * (details `{}`, no Retry-After), in the words of the part of kube-apiserver that answers it
 * first: for a write, the handlers' finisher, which runs the write against the request's context;
 * for anything else, the timeout filter.
 */
export function deadlineExceeded(method: string): ApiError {
  const message = WRITE_METHODS.has(method)
    ? 'Timeout: request did not complete within requested timeout - context deadline exceeded'
    : 'Timeout: request did not complete within the allotted timeout';
  return new ApiError(504, 'Timeout', message, {});
}

/**
 * kube-apiserver's request deadline and timeout filters, for every request that is not
 * long-running (watches are; their bound is timeoutSeconds). Before anything else (authentication
 * included), `?timeout=` is read as a Go duration: one that does not parse is 400
 * `invalid timeout specified in the request URL - <Go's error>`. A positive one, capped at
 * MAX_REQUEST_TIMEOUT_MS, is the request's deadline from its arrival: a request not answered by
 * then is answered 504 Timeout (deadlineExceeded) in the negotiated format, and its handler is left
 * running, as upstream leaves it: a write may still commit after the 504 (clients treat a 504 as
 * "may still be processing"); what it answers then is dropped.
 *
 * Only a request that asks for a timeout gets a timer. Upstream also gives every other request
 * the 60 s default (34 s for writes); here the waits such a request can make are bounded already,
 * and mostly sooner (DB_LOCK_TIMEOUT_MS 30 s and the pool's connection wait for Postgres,
 * REGISTRY_TIMEOUT_MS and IMPORT_TIMEOUT_MS for registries), so a timer per request would buy
 * nothing on the paths that must stay cheap. The ImageStreamTag GET fast paths take no query
 * string, so they never carry a timeout either.
 */
export function enforceRequestDeadlines(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const timeout = firstValue((req.query as Query)['timeout']);
    if (timeout === undefined || timeout === '' || isWatch(req.query as Query) || req.url.includes('/watch/')) return done();
    const parsed = parseGoDuration(timeout);
    if ('error' in parsed) {
      sendException(ApiError.badRequest(`invalid timeout specified in the request URL - ${parsed.error}`), req, reply);
      return;
    }
    const deadlineMs = requestDeadlineMs(parsed.nanoseconds);
    if (deadlineMs !== null) answerByDeadline(req, reply, deadlineMs);
    done();
  });
}

/**
 * Answers 504 if nothing has started answering `reply` within `ms`, and makes sure exactly one
 * answer goes out: whichever send comes first wins, a later one (the handler finishing after the
 * 504, or the 504 after an answer whose onSend hooks are still running) is dropped without the
 * "Reply was already sent" warning Fastify would log.
 */
function answerByDeadline(req: FastifyRequest, reply: FastifyReply, ms: number): void {
  const send = reply.send.bind(reply);
  let answered = false;
  reply.send = (payload?: unknown) => {
    if (answered) return reply;
    answered = true;
    return send(payload);
  };
  const timer = setTimeout(() => {
    if (!answered && !reply.sent && !reply.raw.headersSent) sendException(deadlineExceeded(req.method), req, reply);
  }, ms);
  // Answered, or the client went away: nothing left to time out.
  reply.raw.once('close', () => clearTimeout(timer));
}
