import { Global, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';
import { Database } from './database';
import { pgPoolOptions } from './pool-options';
import { ResourceRegistry } from './resource-registry';

/** Postgres through @nestjs/typeorm (schema only via migrations), plus the shared Database facade. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        type: 'postgres' as const,
        url: config.databaseUrl,
        synchronize: false,
        migrationsRun: false,
        migrationsTableName: 'typeorm_migrations',
        migrations,
        entities: [],
        poolSize: config.dbPoolSize,
        extra: pgPoolOptions({ size: config.dbPoolSize, idleInTransactionTimeoutMs: config.dbIdleInTransactionTimeoutMs, lockTimeoutMs: config.dbLockTimeoutMs }),
        retryAttempts: 3,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [
    { provide: Database, inject: [DataSource], useFactory: (ds: DataSource) => new Database(ds) },
    ResourceRegistry,
  ],
  exports: [Database, ResourceRegistry],
})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy().catch(() => undefined);
  }
}
