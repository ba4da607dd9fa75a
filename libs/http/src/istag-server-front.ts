import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import { performance } from 'node:perf_hooks';
import { answerJson } from '@app/api-machinery';
import { httpRequestDuration, httpRequests } from '@app/observability';
import type { ResourceHandler, ResourceRegistry } from '@app/persistence';
import { imageStreamTagGetter, ISTAG_GET_LABELS, plainTagGetTarget } from './istag-fast-get';
import { NO_CACHE_HEADERS } from './cache-control';
import { deadlineExceeded, requestDeadlineMs } from './request-timeout';
import { statusPayload } from './status-exception.filter';
import { wantsPrettyAnswer } from './pretty-json';
import { writeJsonResponse } from './response-compression';

/** The server settings Fastify applies to a server it makes itself (its defaults filled in). */
export interface FrontServerOptions {
  https?: HttpsOptions | boolean | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number | null;
}

/**
 * Plain ImageStreamTag GETs answered by the HTTP server itself, before Fastify sees the request,
 * when that changes nothing a client or operator can see: API authentication is off (no identity
 * to establish or authorize), and the log level writes no per-request lines.
 *
 * Why: the GET the admission controllers and issue 3's benchmark lean on is, with the read cache,
 * a Map lookup after a shared consistency wait, and Fastify's own per-request work (request and
 * reply objects, request id and child logger, routing, the onRequest and onResponse hook chains)
 * cost more than the read. The onRequest path (istag-fast-get.ts) already skips Nest; this also
 * skips Fastify. `npm run bench:istag-cpu` on a Xeon VM: 30 → 23 µs of api CPU per cached GET
 * (docs/benchmark-history.md, "GET istag past Fastify").
 *
 * It answers only a 200 with the view (or, a read still unanswered at the request deadline, the
 * 504 Fastify's path would give), with the same status line, headers and JSON text as the
 * Fastify path, and records the same metrics (imagestreamd_http_requests_total and the latency
 * histogram, labelled get/imagestreamtags). Everything else goes to Fastify unchanged: other
 * requests, an indented answer (curl's User-Agent), a server that is closing (answered 429 while it drains),
 * and any read that fails. A failed read is handed to Fastify as if it had just arrived, so its
 * error answer, log lines and metrics are Fastify's own; a GET has no body to have consumed.
 */
export class ImageStreamTagServerFront {
  private registry: ResourceRegistry | undefined;
  /** Resolved at the first GET: handlers register while Nest initialises, after the server exists. */
  private get: ResourceHandler['get'] | null | undefined;
  private closing = false;
  private readonly served = httpRequests.labels({ ...ISTAG_GET_LABELS, code: '200' });
  private readonly latency = httpRequestDuration.labels({ ...ISTAG_GET_LABELS });
  private readonly timedOut = httpRequests.labels({ ...ISTAG_GET_LABELS, code: '504' });
  /** A GET's deadline, as enforceRequestDeadlines gives it on Fastify's path (these GETs carry no `?timeout`). */
  private readonly deadlineMs: number;

  /**
   * @param enabled false when API authentication is on or requests are logged: then every request
   *   goes to Fastify (whose onRequest path still skips Nest for these GETs).
   * @param maxSegmentLength the router's maxParamLength: a longer name is Fastify's to refuse.
   * @param requestTimeoutMs the request deadline Fastify's path would give the GET (REQUEST_TIMEOUT_SECONDS).
   */
  constructor(
    private readonly enabled: boolean,
    private readonly maxSegmentLength: number,
    requestTimeoutMs: number,
  ) {
    this.deadlineMs = requestDeadlineMs(null, 'GET', requestTimeoutMs);
  }

  /** Fastify's `serverFactory`: the server Fastify would make, with this in front of its handler. */
  readonly serverFactory = (fastifyHandler: RequestListener, options: FrontServerOptions): Server => {
    const listener: RequestListener = (req, res) => {
      if (!this.serve(req, res, fastifyHandler)) fastifyHandler(req, res);
    };
    const tls = options.https === true ? {} : options.https;
    const server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
    // As Fastify sets them on a server of its own (fastify/lib/server.js getServerInstance).
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };

  /** The resources to read from, once Nest has built them. */
  attach(registry: ResourceRegistry): void {
    this.registry = registry;
  }

  /** From now on every request goes to Fastify, which answers 429 with Retry-After while it drains. */
  stopServing(): void {
    this.closing = true;
  }

  /** true when this answers the request (or will hand it to `fallback` itself). */
  private serve(req: IncomingMessage, res: ServerResponse, fallback: RequestListener): boolean {
    if (!this.enabled || this.closing || req.method !== 'GET' || !this.registry) return false;
    const url = req.url ?? '';
    const target = plainTagGetTarget(url, req.headers);
    if (!target || target.namespace.length > this.maxSegmentLength || target.name.length > this.maxSegmentLength) return false;
    if (wantsPrettyAnswer(url, req.headers)) return false;
    if (this.get === undefined) this.get = imageStreamTagGetter(this.registry);
    if (!this.get) return false;
    const started = performance.now();
    let read: Promise<object>;
    try {
      read = this.get(target.namespace, target.name);
    } catch {
      return false;
    }
    // The deadline enforceRequestDeadlines gives the same GET on Fastify's path: a read stuck on
    // a Postgres connection gone silent is answered 504 there too.
    const deadline = setTimeout(() => {
      if (res.headersSent || res.destroyed) return;
      const { contentType, payload } = statusPayload(deadlineExceeded('GET'), req.headers.accept);
      res.writeHead(504, { 'content-type': contentType }).end(payload);
      this.timedOut.inc();
    }, this.deadlineMs);
    read.then(
      (view) => {
        clearTimeout(deadline);
        if (res.headersSent) return;
        writeJsonResponse(res, answerJson(view), req.headers['accept-encoding'], NO_CACHE_HEADERS);
        this.served.inc();
        this.latency.observe((performance.now() - started) / 1000);
      },
      () => {
        clearTimeout(deadline);
        if (!res.headersSent) fallback(req, res);
      },
    );
    return true;
  }
}
