import { type DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { type AppConfig, ConfigModule } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { ImageApiModule, ImageImportWorkerModule, QuotaStatusResyncModule } from '@app/image';
import { IngestWorkerModule } from '@app/ingest';
import { LoggerModule } from 'nestjs-pino';
import { redisConnectionOptions } from '@app/queue-contracts';
import { TriggersWorkerModule } from '@app/triggers';

/** The worker process: BullMQ consumers over the same libs the api uses. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, extra: DynamicModule[] = []): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel } }),
        PersistenceModule,
        ImageApiModule,
        // REDIS_URL's user, password, TLS and reconnect pacing, as every other queue client here.
        BullModule.forRoot({ connection: redisConnectionOptions(config.redisUrl, 'worker') }),
        TriggersWorkerModule,
        IngestWorkerModule,
        ImageImportWorkerModule,
        QuotaStatusResyncModule,
        ...extra,
      ],
    };
  }
}
