import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { Redis } from 'ioredis';
import { DiscoveryController } from './discovery.controller';
import { HealthController } from './health.controller';
import { createHealthRedis, REDIS_HEALTH } from './redis-health';
import { ResourceController } from './resource.controller';
import { WatchService } from './watch.service';

/** The HTTP surface: discovery, generic resource routes, watch, health and metrics. */
@Module({
  imports: [TerminusModule],
  controllers: [DiscoveryController, HealthController, ResourceController],
  providers: [
    WatchService,
    { provide: REDIS_HEALTH, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createHealthRedis(c) },
  ],
  exports: [WatchService],
})
export class HttpApiModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_HEALTH) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
