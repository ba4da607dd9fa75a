import { Controller, Get, Header, Inject, Logger, Param, Query, Res } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { ApiError } from '@app/api-machinery';
import { metricsRegistry } from '@app/observability';
import { REDIS_HEALTH } from './redis-health';
import { type CheckName, type Endpoint, ENDPOINT_CHECKS } from './health-checks';
import { ServerDraining } from './server-draining';
import type { Redis } from 'ioredis';

const CHECK_TIMEOUT_MS = 2000;

/**
 * Health endpoints as kube-apiserver serves them (kubelet probes, load balancers and
 * `kubectl get --raw /readyz?verbose` read them): plain text `ok` with 200; a failing check makes
 * it 500 with one `[+]name ok` / `[-]name failed: reason withheld` line per check; `?verbose`
 * lists the checks on success too; `?exclude=name` skips one; `/readyz/<name>` runs one check.
 * The failure reason is logged, not shown (as upstream, probes are unauthenticated).
 * Prometheus metrics live here too.
 */
@Controller()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_HEALTH) private readonly redis: Redis,
    @Inject(ServerDraining) private readonly draining: ServerDraining,
  ) {}

  @Get(['livez', 'healthz', 'readyz'])
  async all(@Res() reply: FastifyReply, @Query() query: Record<string, unknown>) {
    const endpoint = reply.request.url.slice(1).split('?')[0] as Endpoint;
    const excluded = new Set([query['exclude']].flat().filter((v): v is string => typeof v === 'string'));
    const checks: readonly CheckName[] = ENDPOINT_CHECKS[endpoint];
    const results = await Promise.all(
      checks.map(async (name) => ({ name, excluded: excluded.has(name), failure: excluded.has(name) ? null : await this.run(name) })),
    );
    const passed = results.every((r) => r.failure === null);
    const verbose = query['verbose'] !== undefined;
    let body = 'ok';
    if (!passed || verbose) {
      // Each check in its place, an excluded one as excluded; names no check has are warned of
      // after them (healthz.handleRootHealth's output).
      const lines = results.map((r) =>
        r.excluded ? `[+]${r.name} excluded: ok` : r.failure === null ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`,
      );
      const unmatched = [...excluded].filter((name) => !(checks as readonly string[]).includes(name)).sort();
      if (unmatched.length) lines.push(`warn: some health checks cannot be excluded: no matches for ${unmatched.map((n) => JSON.stringify(n)).join(', ')}`);
      body = `${lines.join('\n')}\n${endpoint} check ${passed ? 'passed' : 'failed'}\n`;
    }
    await reply
      .code(passed ? 200 : 500)
      .header('content-type', 'text/plain; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  }

  @Get(['livez/:check', 'healthz/:check', 'readyz/:check'])
  async one(@Res() reply: FastifyReply, @Param('check') check: string) {
    const endpoint = reply.request.url.slice(1).split('/')[0] as Endpoint;
    if (!(ENDPOINT_CHECKS[endpoint] as readonly string[]).includes(check)) throw ApiError.routeNotFound();
    const failure = await this.run(check as CheckName);
    await reply
      .code(failure === null ? 200 : 500)
      .header('content-type', 'text/plain; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .send(failure === null ? 'ok' : `internal server error: ${failure}\n`);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics() {
    return metricsRegistry.metrics();
  }

  /** null when the check passed, else why it failed. */
  private async run(name: CheckName): Promise<string | null> {
    if (name === 'ping') return null;
    // Expected while draining: not logged as a failure.
    if (name === 'shutdown') return this.draining.signalled ? 'process is shutting down' : null;
    // Both checks are terminus indicators fed by our own probe: its TypeOrmHealthIndicator kept
    // no reason but a timeout's, so a refused, reset or rejected Postgres connection read only
    // "unavailable".
    const result = await this.check(
      name,
      name === 'postgres' ? () => this.db.query('SELECT 1') : () => this.redis.ping(),
    );
    const entry = result[name];
    if (entry?.status === 'up') return null;
    const failure = `${name} unavailable: ${String(entry?.['message'] ?? 'failed')}`;
    this.logger.warn(`health check failed: ${failure}`);
    return failure;
  }

  /** Runs `probe` within CHECK_TIMEOUT_MS as the indicator `name`; a failure keeps its error's message (never empty). */
  private async check(name: string, probe: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timeout of ${CHECK_TIMEOUT_MS}ms exceeded`)),
            CHECK_TIMEOUT_MS,
          );
        }),
      ]);
      return indicator.up();
    } catch (e) {
      const message = e instanceof Error ? e.message || e.name : String(e);
      return indicator.down({ message: message || 'failed' });
    } finally {
      clearTimeout(timer);
    }
  }
}
