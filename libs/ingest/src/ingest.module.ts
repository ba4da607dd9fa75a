import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { AuthenticationModule } from '@app/http';
import { ImageApiModule, ImageStreamMappingHandler, NamespaceQuota } from '@app/image';
import { Database, ResourceRegistry } from '@app/persistence';
import type { FastifyInstance } from 'fastify';
import { RegistryEventProcessor } from './event-processor';
import { RegistryEventQueue } from './event-queue';
import { ImageRecorder } from './image-recorder';
import { InboxRepository } from './inbox.repository';
import { InboxWriter } from './inbox-writer';
import { RegistryEventSweeper } from './ingest-sweeper';
import { RegistryEventsWorker } from './ingest-worker';
import { RegistryEventsController } from './registry-events.controller';
import { RegistryNotificationsController, registerNotificationsRoute } from './registry-notifications.controller';
import { RegistryNotificationReceiver } from './receiver.service';
import { RegistryResync } from './registry-resync';
import { RegistryResyncController } from './registry-resync.controller';
import { RegistryResyncLoop } from './registry-resync-loop';
import { RegistrySource } from './registry-source';
import { SharedSecret } from './shared-secret';
import { TagPositionsRepository } from './tag-positions.repository';
import { RegistryTokenController } from './token/registry-token.controller';
import { RegistryTokenIssuer } from './token/registry-token-issuer';
import { streamCreationCheck } from './token/stream-creation-check';

const common = [
  { provide: InboxRepository, inject: [Database], useFactory: (db: Database) => new InboxRepository(db) },
  { provide: RegistryEventQueue, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new RegistryEventQueue(c) },
  { provide: RegistrySource, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new RegistrySource(c) },
  {
    provide: RegistryResync,
    inject: [APP_CONFIG, Database, InboxRepository, RegistrySource, RegistryEventQueue],
    useFactory: (c: AppConfig, db: Database, inbox: InboxRepository, s: RegistrySource, q: RegistryEventQueue) => new RegistryResync(c, db, inbox, s, q),
  },
];

/** The api side of registry ingestion: the notification receiver and the inbox API. */
@Module({
  imports: [ImageApiModule, AuthenticationModule],
  controllers: [RegistryNotificationsController, RegistryEventsController, RegistryResyncController, RegistryTokenController],
  providers: [
    ...common,
    {
      provide: RegistryTokenIssuer,
      inject: [APP_CONFIG, Database, NamespaceQuota],
      useFactory: (c: AppConfig, db: Database, quota: NamespaceQuota) => {
        if (!c.registryToken || !c.accessPolicy) return null;
        // Only under Policy may a pusher lack `create imagestreams` (AlwaysAllow lets everyone create).
        const streamCreation = streamCreationCheck(db, quota, c.apiAuthorization === 'Policy' ? c.accessPolicy : null);
        return new RegistryTokenIssuer(c.registryToken, c.accessPolicy, Date.now, streamCreation);
      },
    },
    {
      provide: SharedSecret,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new SharedSecret(c.registryNotifyHeader, c.registryNotifySecret),
    },
    {
      provide: RegistryNotificationReceiver,
      inject: [InboxRepository, RegistryEventQueue],
      useFactory: (inbox: InboxRepository, queue: RegistryEventQueue) => new RegistryNotificationReceiver(new InboxWriter(inbox), queue),
    },
  ],
})
export class IngestApiModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(RegistryEventQueue) private readonly queue: RegistryEventQueue,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
    @Inject(SharedSecret) private readonly secret: SharedSecret,
    @Inject(RegistryNotificationReceiver) private readonly receiver: RegistryNotificationReceiver,
    @Inject(RegistrySource) private readonly source: RegistrySource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Before the server listens. Fastify gives the route the error handler in force when it boots:
   * the one Nest installs after this hook, so errors render as on Nest routes.
   */
  onModuleInit(): void {
    registerNotificationsRoute(this.http.httpAdapter.getInstance<FastifyInstance>(), this.secret, this.receiver, this.config.registryNotificationMaxBodyBytes);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.source.close();
  }
}

/** The worker side: the registry-events consumer and the sweeper that keeps the inbox and the queue in step. */
@Module({
  imports: [ImageApiModule],
  providers: [
    ...common,
    { provide: TagPositionsRepository, useValue: new TagPositionsRepository() },
    {
      provide: ImageRecorder,
      inject: [Database, ResourceRegistry, ImageStreamMappingHandler, RegistrySource],
      useFactory: (db: Database, r: ResourceRegistry, m: ImageStreamMappingHandler, s: RegistrySource) => new ImageRecorder(db, r, m, s),
    },
    {
      provide: RegistryEventProcessor,
      inject: [Database, InboxRepository, TagPositionsRepository, ImageRecorder, RegistrySource],
      useFactory: (db: Database, inbox: InboxRepository, p: TagPositionsRepository, i: ImageRecorder, s: RegistrySource) =>
        new RegistryEventProcessor(db, inbox, p, i, s),
    },
    {
      provide: RegistryEventsWorker,
      inject: [APP_CONFIG, RegistryEventProcessor],
      useFactory: (c: AppConfig, p: RegistryEventProcessor) => new RegistryEventsWorker(c, p),
    },
    {
      provide: RegistryEventSweeper,
      inject: [APP_CONFIG, InboxRepository, RegistryEventQueue],
      useFactory: (c: AppConfig, inbox: InboxRepository, q: RegistryEventQueue) => new RegistryEventSweeper(c, inbox, q),
    },
    { provide: RegistryResyncLoop, inject: [APP_CONFIG, RegistryResync], useFactory: (c: AppConfig, r: RegistryResync) => new RegistryResyncLoop(c, r) },
  ],
  exports: [RegistryEventSweeper],
})
export class IngestWorkerModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RegistryEventsWorker) private readonly worker: RegistryEventsWorker,
    @Inject(RegistryEventSweeper) private readonly sweeper: RegistryEventSweeper,
    @Inject(RegistryResyncLoop) private readonly resync: RegistryResyncLoop,
    @Inject(RegistryEventQueue) private readonly queue: RegistryEventQueue,
    @Inject(RegistrySource) private readonly source: RegistrySource,
  ) {}

  onApplicationBootstrap(): void {
    this.worker.start();
    this.sweeper.start();
    this.resync.start();
  }

  /** Consumers stop first (active jobs finish), then the producer and the registry client. */
  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.resync.stop();
    await this.worker.close();
    await this.queue.close();
    await this.source.close();
  }
}
