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
 * Why Go's time.ParseDuration refuses `value` (its own error text), or null when it parses:
 * `[-+]` then one or more `<number><unit>` (`1.5h`, `300ms`, `1h30m`), or `0`. Hand-written: the
 * npm duration parsers accept other grammars (`1 hour`, `1d`) and give none of Go's error texts,
 * which kube-apiserver returns verbatim.
 */
export function goDurationError(value: string): string | null {
  const invalid = `time: invalid duration ${quote(value)}`;
  let rest = /^[-+]/.test(value) ? value.slice(1) : value;
  if (rest === '0') return null;
  if (rest === '') return invalid;
  let total = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(\.[0-9]*)?/.exec(rest)!;
    const [whole, integer = '', fraction] = number;
    if (integer === '' && (fraction === undefined || fraction.length < 2)) return invalid;
    rest = rest.slice(whole.length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') return `time: missing unit in duration ${quote(value)}`;
    const scale = NANOSECONDS[unit];
    if (scale === undefined) return `time: unknown unit ${quote(unit)} in duration ${quote(value)}`;
    rest = rest.slice(unit.length);
    total += Number(`0${integer}${fraction ?? ''}`) * scale;
    if (total > MAX_NANOSECONDS) return invalid;
  }
  return null;
}

/**
 * kube-apiserver's request deadline filter reads `?timeout=` of every request that is not
 * long-running (watches are) as a Go duration before anything else (authentication included):
 * one that does not parse is 400 `invalid timeout specified in the request URL - <Go's error>`.
 * A valid one needs nothing here: no request runs anywhere near the 60 s it may at most ask for.
 */
export function refuseInvalidRequestTimeouts(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const timeout = firstValue((req.query as Query)['timeout']);
    if (timeout === undefined || timeout === '' || isWatch(req.query as Query) || req.url.includes('/watch/')) return done();
    const error = goDurationError(timeout);
    if (error === null) return done();
    sendException(ApiError.badRequest(`invalid timeout specified in the request URL - ${error}`), req, reply);
  });
}
