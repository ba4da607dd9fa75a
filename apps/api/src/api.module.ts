import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type AppConfig, ConfigModule } from '@app/config';
import { HttpApiModule } from '@app/http';
import { ImageApiModule } from '@app/image';
import { IngestApiModule } from '@app/ingest';
import { PersistenceModule } from '@app/persistence';
import { TriggersApiModule } from '@app/triggers';

/**
 * JSON logs through the pino instance Fastify already uses for request logging (request ids
 * from X-Request-Id), so Nest does not add a second per-request pino-http middleware.
 */
export function loggerModule(config: AppConfig): DynamicModule {
  // pinoHttp here only configures the logger used outside requests (Nest's own messages). No
  // routes: the request's logger is bound by a Fastify hook instead (bindRequestLogContext).
  return LoggerModule.forRoot({ useExisting: true, pinoHttp: { level: config.logLevel }, forRoutes: [] });
}

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), loggerModule(config), PersistenceModule, ImageApiModule, TriggersApiModule, HttpApiModule, IngestApiModule, ...extra],
    };
  }
}
