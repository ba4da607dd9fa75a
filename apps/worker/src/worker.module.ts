import { type DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { type AppConfig, ConfigModule } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { ImageApiModule, ImageImportWorkerModule } from '@app/image';
import { IngestWorkerModule } from '@app/ingest';
import { LoggerModule } from 'nestjs-pino';
import { TriggersWorkerModule } from '@app/triggers';

/** The worker process: BullMQ consumers over the same libs the api uses. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, extra: DynamicModule[] = []): DynamicModule {
    const redis = new URL(config.redisUrl);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel } }),
        PersistenceModule,
        ImageApiModule,
        BullModule.forRoot({
          connection: {
            host: redis.hostname,
            port: Number(redis.port || 6379),
            password: redis.password || undefined,
            db: redis.pathname.length > 1 ? Number(redis.pathname.slice(1)) : 0,
            // Workers block on Redis; retry forever instead of failing commands (BullMQ production guidance).
            maxRetriesPerRequest: null,
          },
        }),
        TriggersWorkerModule,
        IngestWorkerModule,
        ImageImportWorkerModule,
        ...extra,
      ],
    };
  }
}
