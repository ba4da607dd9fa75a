import { Controller, Get, Header, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, HealthIndicatorService } from '@nestjs/terminus';
import { metricsRegistry } from '@app/observability';
import { REDIS_HEALTH } from './redis-health';
import type { Redis } from 'ioredis';

/** Liveness, readiness (Postgres and Redis) and Prometheus metrics. */
@Controller()
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(TypeOrmHealthIndicator) private readonly db: TypeOrmHealthIndicator,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_HEALTH) private readonly redis: Redis,
  ) {}

  @Get('livez')
  @Header('content-type', 'text/plain')
  livez() {
    return 'ok';
  }

  @Get('healthz')
  @HealthCheck()
  healthz() {
    return this.check();
  }

  @Get('readyz')
  @HealthCheck()
  readyz() {
    return this.check();
  }

  private check() {
    return this.health.check([
      () => this.db.pingCheck('postgres', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('redis');
        try {
          await Promise.race([
            this.redis.ping(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
          ]);
          return indicator.up();
        } catch (e) {
          return indicator.down({ message: (e as Error).message });
        }
      },
    ]);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics() {
    return metricsRegistry.metrics();
  }
}
