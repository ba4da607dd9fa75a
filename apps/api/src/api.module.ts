import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type AppConfig, ConfigModule } from '@app/config';
import { HttpApiModule } from '@app/http';
import { ImageApiModule } from '@app/image';
import { PersistenceModule } from '@app/persistence';

/**
 * JSON logs through the pino instance Fastify already uses for request logging (request ids
 * from X-Request-Id), so Nest does not add a second per-request pino-http middleware.
 */
export function loggerModule(): DynamicModule {
  return LoggerModule.forRoot({ useExisting: true });
}

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), loggerModule(), PersistenceModule, ImageApiModule, HttpApiModule, ...extra],
    };
  }
}
