import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, IMPORT_CONFIG, type ImportConfig } from '@app/config';
import { Database } from '@app/persistence';
import { ImageApiModule } from '../image-api.module';
import { imageStreamTable } from '../imagestream/imagestream.store';
import { ImageImportWorker } from './image-import-worker';
import { ImportRequestsRepository } from './import-requests.repository';
import { ImageStreamImportHandler } from './imagestreamimport.handler';
import { StreamImporter } from './stream-importer';

/** The worker side of background imports: the outbox relay and the image-imports consumer. */
@Module({
  imports: [ImageApiModule],
  providers: [
    {
      provide: ImageImportWorker,
      inject: [APP_CONFIG, IMPORT_CONFIG, Database, ImageStreamImportHandler],
      useFactory: (app: AppConfig, config: ImportConfig, db: Database, imports: ImageStreamImportHandler) => {
        const requests = new ImportRequestsRepository();
        const importer = new StreamImporter(db, imageStreamTable(), requests, imports, config.maxImages);
        return new ImageImportWorker(config, app.redisUrl, db, requests, importer);
      },
    },
  ],
})
export class ImageImportWorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(ImageImportWorker) private readonly worker: ImageImportWorker) {}

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }
}
