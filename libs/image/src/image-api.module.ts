import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, IMPORT_CONFIG, type ImportConfig, loadImportConfig } from '@app/config';
import { Database, ResourceRegistry } from '@app/persistence';
import { createImageStore } from './image/image.store';
import { IMAGE_API_CONFIG, type ImageApiConfig } from './image-config';
import { RegistryAllowList } from './allowed-registries/registry-allow-list';
import { ImageStreamImportHandler } from './import/imagestreamimport.handler';
import { RemoteImporter } from './import/remote-importer';
import { StreamImportWriter } from './import/stream-import-writer';
import { createImageStreamStore } from './imagestream/imagestream.store';
import { StreamSpecListeners } from './imagestream/stream-spec-listeners';
import { ImageStreamStatusHandler } from './imagestream/imagestream-status.handler';
import { ImageSignatureHandler } from './imagesignature/imagesignature.handler';
import { ImageStreamImageHandler } from './isimage/imagestreamimage.handler';
import { ImageStreamTagHandler } from './istag/imagestreamtag.handler';
import { ImageTagHandler } from './imagetag/imagetag.handler';
import { ImageStreamLayersHandler } from './layers/imagestream-layers.handler';
import { ImageStreamSecretsHandler } from './layers/imagestream-secrets.handler';
import { ImageStreamMappingHandler } from './mapping/imagestreammapping.handler';
import { StreamTagStore } from './tag-views/stream-tag-store';
import { ImageStreamTagReadCache } from './istag/imagestreamtag-read-cache';
import { TagViewQueries } from './tag-views/tag-view.queries';
import { createQuotaStores } from './quota/quota.stores';
import { ImageLimits } from './quota/image-limits';
import { QuotaNamespaces } from './quota/quota-namespaces';
import { NamespaceQuota } from './quota/namespace-quota';
import { SecretHandler } from './secrets/secret.store';
import { registerLegacyImageKinds } from './resources/legacy-kinds';

/** The handlers other modules use directly (registry ingestion, the import worker). */
interface ImageApiParts {
  mappings: ImageStreamMappingHandler;
  imports: ImageStreamImportHandler;
  quotaNamespaces: QuotaNamespaces;
  namespaceQuota: NamespaceQuota;
}

const IMAGE_API_PARTS = Symbol('IMAGE_API_PARTS');

/** Wires the image.openshift.io/v1 kinds into the resource registry. */
@Module({
  providers: [
    {
      provide: IMAGE_API_CONFIG,
      inject: [APP_CONFIG, IMPORT_CONFIG],
      useFactory: (c: AppConfig, importConfig: ImportConfig): ImageApiConfig => ({
        internalRegistryHostname: c.internalRegistryHostname,
        publicRegistryHostname: c.publicRegistryHostname,
        istagCacheEntries: c.istagCacheEntries,
        mappingGroups: { concurrency: c.mappingGroupConcurrency, maxGroup: c.mappingGroupMax },
        defaultImportMode: importConfig.defaultImportMode,
        // The internal registry is always allowed: INTERNAL_REGISTRY_HOSTNAME, else the host of
        // REGISTRY_URL, which registry ingestion then writes its references with.
        allowedRegistries: RegistryAllowList.fromConfig(c.allowedRegistriesForImport ?? [], c.internalRegistryHostname || (c.registryUrl ? new URL(c.registryUrl).host : '')),
      }),
    },
    { provide: IMPORT_CONFIG, inject: [APP_CONFIG], useFactory: (c: AppConfig): ImportConfig => loadImportConfig(c) },
    { provide: StreamSpecListeners, useFactory: () => new StreamSpecListeners() },
    {
      provide: IMAGE_API_PARTS,
      inject: [Database, IMAGE_API_CONFIG, IMPORT_CONFIG, ResourceRegistry, StreamSpecListeners],
      useFactory: (db: Database, config: ImageApiConfig, importConfig: ImportConfig, registry: ResourceRegistry, listeners: StreamSpecListeners): ImageApiParts => {
        const images = createImageStore(db);
        // core/v1 LimitRange and ResourceQuota: stored here, enforced on the image kinds.
        const quota = createQuotaStores(db);
        registry.register(quota.limitRanges);
        registry.register(quota.quotas);
        registry.register(quota.quotaStatus);
        // core/v1 Secrets: the namespace pull secrets imports and imagestreams/secrets read.
        const secrets = new SecretHandler(db);
        registry.register(secrets);
        const limits = new ImageLimits(quota.namespaces);
        const streams = createImageStreamStore(db, config, undefined, listeners, quota.namespaceQuota, limits.streams);
        const mappings = new ImageStreamMappingHandler(db, streams.table, images.table, streams.history, config, limits);
        const writer = new StreamImportWriter(db, streams.store, streams.history, limits.streams, config.allowedRegistries ?? null);
        const imports = new ImageStreamImportHandler(db, streams.store, images.store, new RemoteImporter(importConfig), writer, importConfig, config.allowedRegistries ?? null);
        registry.register(images.store);
        registry.register(new ImageSignatureHandler(images.store));
        registry.register(streams.store);
        registry.register(new ImageStreamStatusHandler(db, streams.store, streams.table, streams.history, listeners, config.allowedRegistries ?? null, limits.streams));
        registry.register(mappings);
        registry.register(imports);
        // Virtual kinds: views over the stream and image stores; their writes go through the stream store.
        const tags = new StreamTagStore(db, streams.store, streams.history, new TagViewQueries(streams.history), config);
        registry.register(new ImageStreamTagHandler(db, tags, streams.history, new ImageStreamTagReadCache(db, config.istagCacheEntries)));
        registry.register(new ImageTagHandler(db, tags, streams.history));
        registry.register(new ImageStreamImageHandler(db, tags, streams.history));
        registry.register(new ImageStreamLayersHandler(db, tags));
        registry.register(new ImageStreamSecretsHandler(secrets));
        registerLegacyImageKinds();
        return { mappings, imports, quotaNamespaces: quota.namespaces, namespaceQuota: quota.namespaceQuota };
      },
    },
    { provide: ImageStreamMappingHandler, inject: [IMAGE_API_PARTS], useFactory: (p: ImageApiParts) => p.mappings },
    { provide: ImageStreamImportHandler, inject: [IMAGE_API_PARTS], useFactory: (p: ImageApiParts) => p.imports },
    { provide: QuotaNamespaces, inject: [IMAGE_API_PARTS], useFactory: (p: ImageApiParts) => p.quotaNamespaces },
    { provide: NamespaceQuota, inject: [IMAGE_API_PARTS], useFactory: (p: ImageApiParts) => p.namespaceQuota },
  ],
  exports: [ImageStreamMappingHandler, ImageStreamImportHandler, NamespaceQuota, IMAGE_API_CONFIG, IMPORT_CONFIG, StreamSpecListeners],
})
export class ImageApiModule implements OnModuleInit {
  constructor(@Inject(ImageStreamMappingHandler) readonly mappings: ImageStreamMappingHandler) {}
  onModuleInit(): void {
    // Handlers register themselves in the factory above; nothing else to do at boot.
  }
}
