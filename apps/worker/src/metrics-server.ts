import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError } from '@app/api-machinery';
import type { AppConfig } from '@app/config';
import { requireApiAuthentication, requireApiAuthorization } from '@app/http';
import { metricsRegistry } from '@app/observability';

export interface WorkerMetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP side of a worker started alone: `GET /metrics` (its own figures: registry event
 * processing, trigger deliveries, process metrics, which no api process holds) and `GET /livez`.
 * Fastify, as the api uses, without Nest: two fixed routes need no modules. The api's rules
 * apply: HTTPS with its certificate when TLS is configured, and with API_AUTHENTICATION
 * /metrics needs a policy user's credentials (the same 401 Status and failed-login throttle)
 * while /livez stays public; with API_AUTHORIZATION=Policy it also needs a role on every
 * namespace, as the api's /metrics does.
 */
export async function startWorkerMetricsServer(config: AppConfig, port: number): Promise<WorkerMetricsServer> {
  const fastify: FastifyInstance = Fastify({
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key } } : {}),
    return503OnClosing: true,
  });
  if (config.apiAuthentication && config.accessPolicy) requireApiAuthentication(fastify, config.accessPolicy);
  if (config.apiAuthorization === 'Policy' && config.accessPolicy) requireApiAuthorization(fastify, config.accessPolicy);
  fastify.get('/livez', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  fastify.get('/metrics', async (_req, reply) => reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()));
  fastify.setNotFoundHandler(async (_req, reply) => reply.code(404).type('application/json').send(JSON.stringify(ApiError.routeNotFound().toStatus())));
  await fastify.listen({ port, host: config.host });
  const address = fastify.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { url: `${config.tls ? 'https' : 'http'}://127.0.0.1:${bound}`, close: () => fastify.close() };
}
