import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

/**
 * kube-apiserver's defaultGzipThresholdBytes (k8s.io/apiserver responsewriters): a body of up to
 * this many bytes goes out as it is, a larger one gzip-compressed when the client accepts gzip.
 */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;

/** kube-apiserver's gzipContentEncodingLevel: the fastest level, for a ratio close to the best. */
const GZIP_LEVEL = 1;

const gzipAsync = promisify(gzip);

/**
 * Whether `Accept-Encoding` names gzip as kube-apiserver's ContentEncodingSupported reads it: one
 * comma-separated token that is exactly `gzip` once trimmed. A token with parameters
 * (`gzip;q=1`), another case or `*` does not count, as upstream.
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding?.includes('gzip')) return false;
  return acceptEncoding.split(',').some((token) => token.trim() === 'gzip');
}

/** Whether kube-apiserver would gzip an answer of `size` bytes to a request with this header. */
export function shouldGzip(size: number, acceptEncoding: string | undefined): boolean {
  return size > GZIP_THRESHOLD_BYTES && acceptsGzip(acceptEncoding);
}

/** The `Vary` value with `Accept-Encoding` added, as upstream adds it beside what is there. */
function varyWithAcceptEncoding(vary: unknown): string {
  const existing = Array.isArray(vary) ? vary.join(', ') : typeof vary === 'string' ? vary : '';
  return existing ? `${existing}, Accept-Encoding` : 'Accept-Encoding';
}

/**
 * APIResponseCompression (on by default in kube-apiserver): an answer larger than 128 KiB is sent
 * `Content-Encoding: gzip` (with `Vary: Accept-Encoding`) when the request's `Accept-Encoding`
 * names gzip, as client-go and kubectl send it; a smaller one, or one to a client that does not
 * ask, is sent as it is. Lists of thousands of images shrink several times over the wire.
 *
 * Register it after every other onSend hook (it compresses the final bytes). Watches are
 * hijacked streams that never reach onSend, so they stay uncompressed, as kube's watch encoder
 * writes them. Compression runs on libuv's thread pool, not the event loop.
 */
export function compressLargeAnswers(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader('content-encoding')) return payload;
    // A string's UTF-8 size is at most three bytes per UTF-16 unit: most answers are not measured.
    if (typeof payload === 'string' && payload.length * 3 <= GZIP_THRESHOLD_BYTES) return payload;
    if (!shouldGzip(Buffer.byteLength(payload), req.headers['accept-encoding'])) return payload;
    const compressed = await gzipAsync(payload, { level: GZIP_LEVEL });
    void reply.removeHeader('content-length');
    void reply.header('content-encoding', 'gzip').header('vary', varyWithAcceptEncoding(reply.getHeader('vary')));
    return compressed;
  });
}

/**
 * A 200 JSON answer written to the raw response (paths that skip Fastify's send), compressed when
 * kube-apiserver would compress it: the same bytes and headers compressLargeAnswers gives.
 * `extra`: headers the api's onSend hooks add (Cache-Control), where Fastify's send puts them.
 */
export function writeJsonResponse(res: ServerResponse, text: string, acceptEncoding: string | undefined, extra: OutgoingHttpHeaders = {}): void {
  // Measured once: the plain answer needs its length anyway.
  const size = Buffer.byteLength(text);
  if (!shouldGzip(size, acceptEncoding)) {
    res.writeHead(200, { 'content-type': 'application/json', ...extra, 'content-length': String(size) });
    res.end(text);
    return;
  }
  gzip(text, { level: GZIP_LEVEL }, (error, compressed) => {
    if (error) {
      res.destroy(error);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...extra, 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'content-length': String(compressed.length) });
    res.end(compressed);
  });
}
