import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Database, ResourceRegistry } from '@app/persistence';
import { createImageStore } from './image/image.store';
import { IMAGE_API_CONFIG, type ImageApiConfig } from './image-config';
import { createImageStreamStore } from './imagestream/imagestream.store';
import { ImageStreamStatusHandler } from './imagestream/imagestream-status.handler';
import { ImageStreamMappingHandler } from './mapping/imagestreammapping.handler';

/** Wires the image.openshift.io/v1 kinds into the resource registry. */
@Module({
  providers: [
    {
      provide: IMAGE_API_CONFIG,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig): ImageApiConfig => ({
        internalRegistryHostname: c.internalRegistryHostname,
        publicRegistryHostname: c.publicRegistryHostname,
      }),
    },
    {
      provide: ImageStreamMappingHandler,
      inject: [Database, IMAGE_API_CONFIG, ResourceRegistry],
      useFactory: (db: Database, config: ImageApiConfig, registry: ResourceRegistry) => {
        const images = createImageStore(db);
        const streams = createImageStreamStore(db, config);
        const mappings = new ImageStreamMappingHandler(db, streams.table, images.table, streams.history, config);
        registry.register(images.store);
        registry.register(streams.store);
        registry.register(new ImageStreamStatusHandler(db, streams.store, streams.table, streams.history));
        registry.register(mappings);
        return mappings;
      },
    },
  ],
  exports: [ImageStreamMappingHandler, IMAGE_API_CONFIG],
})
export class ImageApiModule implements OnModuleInit {
  constructor(@Inject(ImageStreamMappingHandler) readonly mappings: ImageStreamMappingHandler) {}
  onModuleInit(): void {
    // Handlers register themselves in the factory above; nothing else to do at boot.
  }
}
