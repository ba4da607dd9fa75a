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

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** kube-apiserver's --request-timeout default: a request's deadline, and the longest one a request may ask for. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * kube-apiserver's write handlers' own deadline when the request names none (34 s, "close to 30
 * but unique enough to jump out"): a create, update, patch or delete that runs longer is 504.
 */
export const WRITE_REQUEST_TIMEOUT_MS = 34_000;

/**
 * The deadline in milliseconds of a request that is not long-running, as kube-apiserver's request
 * deadline filter and write handlers set it: a positive `?timeout=` (nanoseconds), capped at the
 * server's request timeout; without one (or 0, or a negative one: "no timeout of the client's
 * own") the server's: `requestTimeoutMs`, for a write at most WRITE_REQUEST_TIMEOUT_MS.
 */
export function requestDeadlineMs(nanoseconds: number | null, method: string, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): number {
  if (nanoseconds !== null && nanoseconds > 0) return Math.min(nanoseconds / 1e6, requestTimeoutMs);
  return WRITE_METHODS.has(method) ? Math.min(WRITE_REQUEST_TIMEOUT_MS, requestTimeoutMs) : requestTimeoutMs;
}

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
 * kube-apiserver's request deadline and timeout filters, for every request to the Kubernetes API
 * (isKubeApiPath) that is not long-running (watches are; their bound is timeoutSeconds). Before anything else (authentication
 * included), `?timeout=` is read as a Go duration: one that does not parse is 400
 * `invalid timeout specified in the request URL - <Go's error>`. Every other request gets a
 * deadline from its arrival (requestDeadlineMs): a request not answered by then is answered 504
 * Timeout (deadlineExceeded) in the negotiated format, and its handler is left running, as upstream
 * leaves it: a write may still commit after the 504 (clients treat a 504 as "may still be
 * processing"); what it answers then is dropped. Most waits are bounded sooner (DB_LOCK_TIMEOUT_MS,
 * the pool's connection wait, REGISTRY_TIMEOUT_MS); the deadline is what answers a request whose
 * Postgres connection went silent (a partition, a stopped server), which only TCP would end,
 * after many minutes.
 */
export function enforceRequestDeadlines(fastify: FastifyInstance, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): void {
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!isKubeApiPath(req.url) || isWatch(req.query as Query) || req.url.includes('/watch/')) return done();
    const timeout = firstValue((req.query as Query)['timeout']);
    let nanoseconds: number | null = null;
    if (timeout !== undefined && timeout !== '') {
      const parsed = parseGoDuration(timeout);
      if ('error' in parsed) {
        sendException(ApiError.badRequest(`invalid timeout specified in the request URL - ${parsed.error}`), req, reply);
        return;
      }
      nanoseconds = parsed.nanoseconds;
    }
    answerByDeadline(req, reply, requestDeadlineMs(nanoseconds, req.method, requestTimeoutMs));
    done();
  });
}

/**
 * The Kubernetes API's paths (`/api…`, `/apis…`), which the deadline covers. The registry's own
 * endpoints (`/registry/*`: a resync pass may run for minutes) and the operational ones are not
 * the Kubernetes API, and each bounds its own waits.
 */
function isKubeApiPath(url: string): boolean {
  return /^\/apis?(?:[/?]|$)/.test(url);
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
    // An Error is not the answer yet: Fastify hands it to the error handler, which sends again.
    if (!(payload instanceof Error)) answered = true;
    return send(payload);
  };
  const timer = setTimeout(() => {
    if (!answered && !reply.sent && !reply.raw.headersSent) sendException(deadlineExceeded(req.method), req, reply);
  }, ms);
  // Answered, or the client went away: nothing left to time out.
  reply.raw.once('close', () => clearTimeout(timer));
}
