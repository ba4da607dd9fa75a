import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Go's strconv.ParseBool: these spell true, these false; anything else does not parse (false). */
const goTrue = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** kube-apiserver's isPrettyPrint: `?pretty` decides when given, else browsers and CLI HTTP tools get it. */
export function wantsPretty(req: FastifyRequest): boolean {
  return wantsPrettyAnswer(req.raw.url ?? '', req.headers);
}

/** wantsPretty for a request not (yet) Fastify's: its raw URL and headers. */
export function wantsPrettyAnswer(url: string, headers: IncomingHttpHeaders): boolean {
  const q = url.indexOf('?');
  if (q >= 0 && url.includes('pretty', q)) {
    const value = new URLSearchParams(url.slice(q + 1)).get('pretty');
    if (value) return goTrue.has(value);
  }
  const agent = headers['user-agent'] ?? '';
  if (agent.startsWith('curl') || agent.startsWith('Wget') || agent.startsWith('Mozilla/5.0')) return true;
  // A media type parameter asks for it too (`Accept: application/json;pretty=1`).
  const accept = headers.accept ?? '';
  return accept.includes('pretty=1') && /(?:^|,)\s*application\/json\s*;[^,]*\bpretty=1\b/.test(accept);
}

/**
 * Indents JSON answers (two spaces, as Go's json.MarshalIndent) when kube-apiserver would: a true
 * `pretty` query parameter, or no such parameter and a User-Agent of curl, Wget or a browser.
 * Watch streams stay one event per line, and `/version` is always indented, as upstream writes
 * it raw. The OpenAPI documents are served as kube-openapi serves them, compact.
 */
export function prettyPrintJsonAnswers(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (req, reply, payload, done) => {
    if (
      typeof payload !== 'string' ||
      payload === '' ||
      reply.getHeader('content-type') !== 'application/json'
    )
      return done(null, payload);
    const path = req.raw.url ?? '';
    const always = path === '/version' || path.startsWith('/version?');
    if (path.startsWith('/openapi/') || !(always || wantsPretty(req))) return done(null, payload);
    try {
      done(null, JSON.stringify(JSON.parse(payload), null, 2));
    } catch {
      done(null, payload);
    }
  });
}
