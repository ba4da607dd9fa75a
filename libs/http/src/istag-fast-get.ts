import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerJson } from '@app/api-machinery';
import type { ResourceHandler, ResourceRegistry } from '@app/persistence';
import { NO_CACHE_HEADERS } from './cache-control';
import { wantsPretty } from './pretty-json';
import { setRequestLabels } from './request-labels';
import { writeJsonResponse } from './response-compression';
import { sendException } from './status-exception.filter';
import { renderingOf } from './table/table-convertor';

const GROUP = 'image.openshift.io';
const VERSION = 'v1';
const RESOURCE = 'imagestreamtags';
const PREFIX = `/apis/${GROUP}/${VERSION}/namespaces/`;

/**
 * The plain ImageStreamTag GET, `GET /apis/image.openshift.io/v1/namespaces/{ns}/imagestreamtags/{stream}:{tag}`,
 * answered from a Fastify `onRequest` hook instead of through Nest.
 *
 * Why: with the read cache (ImageStreamTagReadCache) a cached GET costs less than Nest's own
 * per-request work (router proxy, execution context, parameter factories, the controller's
 * dispatch), and it is the read issue 3's benchmark target is about. Measured
 * with `npm run bench:api` before this existed: cached GET istag at 0.32–0.35 of a bare Node
 * http server, while `GET /livez` through Nest, which does nothing at all, reached only
 * 0.41–0.43; the target was 0.40. With this hook, `npm run bench:istag-cpu` (api CPU per cached
 * GET, base and change alternating, on a busy machine) gave 74–97 µs against 102–130 µs through
 * Nest under ts-node, 86–119 µs against 103–128 µs as transpiled JavaScript; `GET /livez` cost
 * 65–122 µs. docs/benchmark-history.md ("GET istag past Nest") has the runs.
 *
 * It runs after the hooks every request runs (request log context, API authentication, which
 * answers 401/429 before this), and does what ResourceController does for this request, with the
 * same pieces: the same handler (so the same read cache, consistency wait and Postgres read on a
 * miss), the same request labels (metrics), the same JSON text (answerJson) and content type,
 * and failures answered by the same code as StatusExceptionFilter (sendException). Fastify's
 * request log lines and the onResponse metrics hook do not depend on which of the two answered.
 *
 * Anything else goes on to Nest unchanged: other methods, a query string (watch, resourceVersion,
 * pretty, …), escaped characters, a request body, an Accept header that does not ask for plain
 * JSON (Table, YAML, protobuf, PartialObjectMetadata, or nothing servable: 406).
 */
export function serveImageStreamTagGets(fastify: FastifyInstance, registry: ResourceRegistry, bodyLimitBytes?: number): void {
  // Resolved at the first request: handlers register while Nest initialises, after this is installed.
  let get: ResourceHandler['get'] | null | undefined;
  fastify.addHook('onRequest', (req, reply, done) => {
    const target = req.method === 'GET' ? plainTagGet(req) : undefined;
    if (!target) return done();
    if (get === undefined) get = imageStreamTagGetter(registry);
    if (!get) return done();
    setRequestLabels(req, ISTAG_GET_LABELS);
    get(target.namespace, target.name).then(
      (view) => sendJson(req, reply, view),
      (e: unknown) => sendException(e, req, reply, bodyLimitBytes),
    );
  });
}

/** The labels of every request this path answers (shared: nothing changes them). */
export const ISTAG_GET_LABELS = Object.freeze({ verb: 'get', resource: RESOURCE });

/** The ImageStreamTag handler's get, or null when none is registered (then Nest answers). */
export function imageStreamTagGetter(registry: ResourceRegistry): ResourceHandler['get'] | null {
  const h = registry.find(GROUP, VERSION, RESOURCE);
  return h?.get && h.info.namespaced ? h.get.bind(h) : null;
}

/**
 * Answers 200 with the view's JSON. Unindented (the usual case), it writes what Fastify's
 * `reply.send` wrote after the api's onSend hooks (Fastify's `; charset=utf-8` taken off the
 * content type, no indentation, gzip past kube's threshold): the same status line, the same
 * headers in the same order (Node adds Date and the keep-alive ones either way) and the same
 * body, without the send
 * pipeline's per-request work. Indented answers still go through `reply.send` and the
 * pretty-print hook. The onResponse hooks (metrics) and Fastify's completion log run on the
 * response's `finish` as before.
 */
function sendJson(req: FastifyRequest, reply: FastifyReply, body: object): void {
  const text = answerJson(body);
  if (wantsPretty(req)) {
    void reply.status(200).header('content-type', 'application/json').send(text);
    return;
  }
  writeJsonResponse(reply.hijack().raw, text, req.headers['accept-encoding'], NO_CACHE_HEADERS);
}

/** The namespace and name of a GET this path serves; undefined for anything to leave to Nest. */
function plainTagGet(req: FastifyRequest): { namespace: string; name: string } | undefined {
  const target = plainTagGetTarget(req.url, req.headers);
  if (!target) return undefined;
  // The router must have matched the namespaced item route with these very values (it also
  // refuses over-long segments, which then stay Nest's to answer).
  const params = req.params as Record<string, string | undefined>;
  return params['namespace'] === target.namespace && params['name'] === target.name ? target : undefined;
}

/**
 * The namespace and name of a plain ImageStreamTag GET by its URL and headers alone: no query
 * string, no escapes, two non-empty segments after `namespaces/` and `imagestreamtags/`, no body,
 * and an Accept header answered with plain JSON. The caller has checked the method.
 */
export function plainTagGetTarget(url: string, headers: IncomingHttpHeaders): { namespace: string; name: string } | undefined {
  if (!url.startsWith(PREFIX) || url.includes('?') || url.includes('%')) return undefined;
  const parts = url.slice(PREFIX.length).split('/');
  if (parts.length !== 3 || parts[1] !== RESOURCE) return undefined;
  const [namespace, , name] = parts as [string, string, string];
  if (namespace === '' || name === '') return undefined;
  if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  return asksForPlainJson(headers.accept) ? { namespace, name } : undefined;
}

/** Does ResourceController's negotiation (renderingOf) answer this Accept with plain JSON objects? */
function asksForPlainJson(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  try {
    const rendering = renderingOf(accept);
    return rendering.as === 'Object' && rendering.yaml !== true;
  } catch {
    return false;
  }
}
