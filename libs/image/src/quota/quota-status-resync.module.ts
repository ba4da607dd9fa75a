import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Database } from '@app/persistence';
import { ImageApiModule } from '../image-api.module';
import { NamespaceQuota } from './namespace-quota';
import { QuotaStatusResync } from './quota-status-resync';

/** The worker's quota controller: ResourceQuota statuses put right every QUOTA_RESYNC_SECONDS. */
@Module({
  imports: [ImageApiModule],
  providers: [
    {
      provide: QuotaStatusResync,
      inject: [APP_CONFIG, Database, NamespaceQuota],
      useFactory: (config: AppConfig, db: Database, quota: NamespaceQuota) => new QuotaStatusResync(db, quota, config.quotaResyncSeconds * 1000),
    },
  ],
})
export class QuotaStatusResyncModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(QuotaStatusResync) private readonly resync: QuotaStatusResync) {}

  onApplicationBootstrap(): void {
    this.resync.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.resync.stop();
  }
}
