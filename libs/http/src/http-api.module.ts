import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Database, GenericStore, ResourceRegistry, TableStorage } from '@app/persistence';
import type { Redis } from 'ioredis';
import { DiscoveryController } from './discovery.controller';
import { HealthController } from './health.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiDocuments } from './openapi/openapi-document';
import { FieldValidator } from './openapi/field-validator';
import { TableConvertor } from './table/table-convertor';
import { createHealthRedis, REDIS_HEALTH } from './redis-health';
import { ResourceController } from './resource.controller';
import { ServerDraining } from './server-draining';
import { WatchService } from './watch.service';
import { SelfSubjectAccessReviewHandler } from './authorization/self-subject-access-review';
import { SelfSubjectRulesReviewHandler } from './authorization/self-subject-rules-review';
import { SelfSubjectReviewHandler } from './authentication/self-subject-review';
import { localSubjectAccessReviewsInfo, SubjectAccessReviewHandler, subjectAccessReviewsInfo } from './authorization/subject-access-review';
import { eventsInfo, podsInfo, pruneListInfos, servicesInfo } from './core-empty/always-empty-infos';
import { AlwaysEmptyHandler } from './core-empty/always-empty.handler';
import { NamespaceHandler } from './namespaces/namespace.handler';
import { NamespaceLifecycle } from './namespaces/namespace-lifecycle';
import { NamespaceTerminator } from './namespaces/namespace-terminator';
import { NamespaceFinalizeStrategy, NamespaceStatusStrategy, NamespaceStrategy } from './namespaces/namespace.strategy';
import { type Namespace, namespaceFinalizeInfo, namespacesInfo, namespaceStatusInfo } from './namespaces/namespace.types';
import { registerOlderReviewKinds } from './authorization/older-review-kinds';
import type { ClusterScoped } from './authorization/request-attributes';

/** The HTTP surface: discovery, generic resource routes, watch, health and metrics. */
@Module({
  imports: [TerminusModule],
  controllers: [DiscoveryController, HealthController, OpenApiController, ResourceController],
  providers: [
    WatchService,
    ServerDraining,
    { provide: OpenApiDocuments, inject: [ResourceRegistry], useFactory: (registry: ResourceRegistry) => new OpenApiDocuments(registry) },
    { provide: FieldValidator, inject: [OpenApiDocuments], useFactory: (docs: OpenApiDocuments) => new FieldValidator(docs) },
    { provide: TableConvertor, useFactory: () => new TableConvertor() },
    { provide: NamespaceLifecycle, useFactory: () => new NamespaceLifecycle() },
    {
      provide: SelfSubjectAccessReviewHandler,
      inject: [ResourceRegistry, Database, APP_CONFIG],
      useFactory: (registry: ResourceRegistry, db: Database, config: AppConfig) => {
        const byPolicy = config.apiAuthorization === 'Policy';
        // Asked when a review is answered, so every kind registered by then (all of them) counts.
        const clusterScoped: ClusterScoped = (group, resource) => registry.all().some((h) => h.info.group === group && h.info.resource === resource && !h.info.namespaced);
        const reviews = new SelfSubjectAccessReviewHandler(config.accessPolicy, byPolicy, clusterScoped);
        registry.register(reviews);
        registry.register(new SubjectAccessReviewHandler(subjectAccessReviewsInfo, config.accessPolicy, config.apiAuthentication, byPolicy, clusterScoped));
        registry.register(new SubjectAccessReviewHandler(localSubjectAccessReviewsInfo, config.accessPolicy, config.apiAuthentication, byPolicy, clusterScoped));
        registry.register(byPolicy ? new SelfSubjectRulesReviewHandler(config.accessPolicy, registry) : new SelfSubjectRulesReviewHandler());
        registry.register(new SelfSubjectReviewHandler());
        registerOlderReviewKinds();
        for (const info of [eventsInfo, podsInfo, servicesInfo, ...pruneListInfos]) registry.register(new AlwaysEmptyHandler(info, db));
        return reviews;
      },
    },
    {
      provide: NamespaceTerminator,
      inject: [Database, ResourceRegistry, APP_CONFIG, NamespaceLifecycle],
      useFactory: (db: Database, registry: ResourceRegistry, config: AppConfig, lifecycle: NamespaceLifecycle) => {
        const table = new TableStorage<Namespace>('namespaces', false);
        const store = new GenericStore<Namespace>(namespacesInfo, db, table, new NamespaceStrategy());
        const status = new GenericStore<Namespace>(namespaceStatusInfo, db, table, new NamespaceStatusStrategy());
        const finalize = new GenericStore<Namespace>(namespaceFinalizeInfo, db, table, new NamespaceFinalizeStrategy());
        const terminator = new NamespaceTerminator(store, finalize, status, registry, config.namespaceTerminationDelayMs);
        registry.register(new NamespaceHandler(store, terminator, lifecycle));
        registry.register({
          info: namespaceStatusInfo,
          get: (_ns, name) => status.get('', name),
          update: (_ns, name, body, options) => status.update('', name, body, options),
          patch: (_ns, name, type, patch, options) => status.patch('', name, type, patch, options),
        });
        registry.register({ info: namespaceFinalizeInfo, update: (_ns, name, body, options) => finalize.update('', name, body, options) });
        return terminator;
      },
    },
    { provide: REDIS_HEALTH, inject: [APP_CONFIG], useFactory: (c: AppConfig) => createHealthRedis(c) },
  ],
  exports: [WatchService, ServerDraining],
})
export class HttpApiModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_HEALTH) private readonly redis: Redis,
    @Inject(NamespaceTerminator) private readonly namespaces: NamespaceTerminator,
    @Inject(NamespaceLifecycle) private readonly lifecycle: NamespaceLifecycle,
    @Inject(WatchService) private readonly watches: WatchService,
    @Inject(ResourceRegistry) private readonly registry: ResourceRegistry,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    const namespaces = this.registry.require(namespacesInfo.group, namespacesInfo.version, namespacesInfo.resource);
    if (namespaces instanceof NamespaceHandler) await namespaces.ensureSystemNamespaces();
    // Subscribe before loading: a change arriving in between is applied after the load, never lost.
    this.watches.feed.onChange((change) => {
      if (change.resource !== 'namespaces') return;
      const wasTerminating = this.lifecycle.isTerminating(change.name);
      this.lifecycle.onChange(change);
      // Every replica finishes a namespace another one marked for deletion (that one may stop
      // first), as any running namespace controller would; passes are idempotent. Only on the
      // mark: a pass's own status writes must not start more passes.
      if (!wasTerminating && this.lifecycle.isTerminating(change.name)) this.namespaces.schedule(change.name);
    });
    this.lifecycle.load(await this.namespaces.resume());
  }
  onApplicationShutdown(): void {
    this.namespaces.stop();
    this.redis.disconnect();
  }
}
