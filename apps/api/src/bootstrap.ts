import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@app/api-machinery';
import type { AppConfig } from '@app/config';
import { answerRetryAfterWhileDraining, applyImpersonation, bindRequestAccess, compressLargeAnswers, enforceRequestDeadlines, ImageStreamTagServerFront, prettyPrintJsonAnswers, requestLabelsOf, requireApiAuthentication, requireApiAuthorization, serveImageStreamTagGets, ServerDraining, setDefaultCacheControl, StatusExceptionFilter, statusPayload, WatchService, withoutTrailingSlash } from '@app/http';
import { httpRequestDuration, httpRequests } from '@app/observability';
import { prepareDatabase, ResourceRegistry } from '@app/persistence';
import { installBullmqShutdownGuards } from '@app/queue-contracts';
import { ApiModule } from './api.module';
import { installLeanAsyncResourceBind } from './lean-async-resource-bind';
import { createLogger } from './logger';
import { bindRequestLogContext } from './request-log-context';
import { OneLineRequestLog } from './one-line-request-log';

/**
 * The longest path segment the router matches (longer ones Fastify refuses with 414): past Node's
 * 16 KiB header limit, so a long name is looked up and not found, as kube-apiserver answers it.
 */
const ROUTE_PARAM_MAX_LENGTH = 16 * 1024;

export interface ApiServer {
  app: NestFastifyApplication;
  url: string;
  /** A shutdown signal came: /readyz fails from now on; the rest is served until close(). */
  signalShutdown(): void;
  close(): Promise<void>;
}

/**
 * Builds and starts the HTTP server: migrations first, raw-body parsing (so malformed JSON and
 * wrong content types become Status errors), metrics hooks, graceful shutdown.
 */
export async function bootstrapApi(config: AppConfig, extraModules: DynamicModule[] = []): Promise<ApiServer> {
  installBullmqShutdownGuards();
  // Every request body is bound to its async context by Fastify: without Node's deprecated extra.
  installLeanAsyncResourceBind();
  const migrated = await prepareDatabase(config.databaseUrl, 1);
  await migrated.destroy();
  const logger = createLogger(config);
  // Plain GET imagestreamtag answered before Fastify, where Fastify would add nothing visible: no
  // authentication to run, no request lines to log (see ImageStreamTagServerFront).
  const front = new ImageStreamTagServerFront(!config.apiAuthentication && !logger.isLevelEnabled('info'), ROUTE_PARAM_MAX_LENGTH, config.requestTimeoutSeconds * 1000);
  const adapter = new FastifyAdapter({
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key } } : {}),
    serverFactory: front.serverFactory,
    bodyLimit: config.maxRequestBodyBytes,
    routerOptions: { maxParamLength: ROUTE_PARAM_MAX_LENGTH },
    // `/version/` is `/version`, as kube-apiserver's router has it (see withoutTrailingSlash).
    rewriteUrl: (req: IncomingMessage) => withoutTrailingSlash(req.url ?? '/'),
    // Requests arriving while the server drains get kube-apiserver's 429 Status with Retry-After
    // (answerRetryAfterWhileDraining), not Fastify's own 503 body no Kubernetes client retries.
    return503OnClosing: false,
    // No Nest middleware is used: request log context is a Fastify hook (bindRequestLogContext).
    skipMiddie: true,
    forceCloseConnections: 'idle',
    loggerInstance: logger,
    logController: new OneLineRequestLog(),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Errors Fastify finds before any route runs (an undecodable URL): still a Status body.
    frameworkErrors: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const code = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      const { contentType, payload } = statusPayload(new ApiError(code, code === 414 ? 'RequestURITooLong' : 'BadRequest', error.message), req.headers.accept);
      // A Buffer, so Fastify adds no `; charset=utf-8` (the onSend hook that drops it does not run here).
      void reply.code(code).header('content-type', contentType).send(Buffer.from(payload));
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, extraModules), adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new StatusExceptionFilter(config.maxRequestBodyBytes));
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's own JSON parser would answer parse errors itself; every body is parsed by us instead.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxRequestBodyBytes }, (_req, body, done) =>
    done(null, body),
  );
  bindRequestLogContext(fastify);
  // First of the filters, as kube-apiserver's WithRetryAfter runs before all the others.
  const draining = app.get(ServerDraining);
  answerRetryAfterWhileDraining(fastify, draining);
  // Before authentication, as kube-apiserver's request deadline filter runs first.
  enforceRequestDeadlines(fastify, config.requestTimeoutSeconds * 1000);
  if (config.apiAuthentication && config.accessPolicy) requireApiAuthentication(fastify, config.accessPolicy);
  // `kubectl --as`: after authentication and before authorization, as kube-apiserver's filter.
  if (config.apiAuthentication && config.accessPolicy) applyImpersonation(fastify, config.accessPolicy, config.apiAuthorization === 'Policy');
  else applyImpersonation(fastify, undefined, false);
  // After authentication, as kube-apiserver's authorization filter, and before any route.
  if (config.apiAuthorization === 'Policy' && config.accessPolicy) requireApiAuthorization(fastify, config.accessPolicy, app.get(ResourceRegistry));
  // The caller's access, for checks writes make on its behalf (tagging from another namespace).
  if (config.apiAuthentication && config.accessPolicy) bindRequestAccess(fastify, config.accessPolicy, config.apiAuthorization === 'Policy');
  // After the hooks above (log context, authentication, authorization): plain GET imagestreamtag skips Nest.
  serveImageStreamTagGets(fastify, app.get(ResourceRegistry), config.maxRequestBodyBytes);
  front.attach(app.get(ResourceRegistry));
  // Fastify appends `; charset=utf-8` to every JSON answer; kube-apiserver sends plain
  // `application/json` (clients comparing the media type exactly see what they would upstream).
  // The same hook gives every answer kube-apiserver's default Cache-Control.
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') void reply.header('content-type', 'application/json');
    setDefaultCacheControl(reply);
    done(null, payload);
  });
  prettyPrintJsonAnswers(fastify);
  // Last of the onSend hooks: it compresses the bytes the others leave.
  compressLargeAnswers(fastify);
  fastify.addHook('onResponse', (req, reply, done) => {
    const labels = requestLabelsOf(req);
    const verb = labels?.verb ?? req.method.toLowerCase();
    const resource = labels?.resource ?? '';
    httpRequests.inc({ verb, resource, code: String(reply.statusCode) });
    if (verb !== 'watch') httpRequestDuration.observe({ verb, resource }, reply.elapsedTime / 1000);
    done();
  });
  // Watches are long-lived: end them first so the server can drain in-flight requests.
  const watches = app.get(WatchService);
  // Node counts a connection that has not sent a byte yet as busy, so server.close() would wait for
  // a client's spare keep-alive socket until the client drops it: at shutdown those are closed.
  const connections = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  // Answers still being written when the shutdown begins end their connection, as Go's
  // http.Server.Shutdown turns keep-alives off: a keep-alive socket left idle after its answer
  // would hold server.close() until the grace period cut the process off (exit 1).
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (draining.active) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('preClose', (done) => {
    draining.begin();
    front.stopServing();
    watches.closeAll();
    for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
    done();
  });
  await app.listen(config.port, config.host);
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    url: `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    signalShutdown: () => draining.signal(),
    close: () => app.close(),
  };
}
