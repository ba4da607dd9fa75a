import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, loadTriggerConfig } from '@app/config';
import { Database, ResourceRegistry } from '@app/persistence';
import { ImagePolicyAdmission } from './admission/image-policy-admission';
import { ImagePolicyAdmissionController } from './admission/image-policy-admission.controller';
import { DeliveriesHandler } from './deliveries.handler';
import { DeliveryRedriveHandler } from './delivery-redrive.handler';
import { PushPreviewHandler } from './push-preview.handler';
import { TagChangeFeedHandler } from './tag-change-feed.handler';
import { TriggerEvaluator } from './evaluator';
import { LocalImageNames } from './image-lookup';
import { scalableWorkloads, workloadKinds, workloadScaleInfo } from './resource-infos';
import { WorkloadScaleHandler } from './workload-scale';
import { AddressPolicy } from './ssrf';
import { serveTriggerBacklogMetrics } from './backlog-metrics';
import { createTriggerStores, createWorkloadStore, requestEvaluationOfFollowedTags } from './stores';
import { ImageApiModule, NamespaceQuota, StreamSpecListeners } from '@app/image';
import { registerOlderWorkloadKinds } from './older-workload-kinds';

export const TRIGGER_CONFIG = Symbol('TRIGGER_CONFIG');

/** Serves triggers.imagestreamd.io/v1 (and the annotated workload kinds) through the generic machinery. */
@Module({
  imports: [ImageApiModule],
  controllers: [ImagePolicyAdmissionController],
  providers: [
    {
      provide: ImagePolicyAdmission,
      inject: [Database, APP_CONFIG],
      useFactory: (db: Database, app: AppConfig) => {
        const hostname = app.internalRegistryHostname ?? '';
        return new ImagePolicyAdmission(db, new LocalImageNames(hostname), hostname);
      },
    },
    { provide: TRIGGER_CONFIG, useFactory: () => loadTriggerConfig() },
    {
      provide: TriggerEvaluator,
      inject: [Database, APP_CONFIG, TRIGGER_CONFIG, ResourceRegistry, StreamSpecListeners, NamespaceQuota],
      useFactory: (
        db: Database,
        app: AppConfig,
        config: ReturnType<typeof loadTriggerConfig>,
        registry: ResourceRegistry,
        streamSpecs: StreamSpecListeners,
        quota: NamespaceQuota,
      ) => {
        const evaluator = new TriggerEvaluator(db, {
          eventSource: config.eventSource,
          internalRegistryHostname: app.internalRegistryHostname,
          // Registry ingestion records pushes under this host (see RegistrySource.pullSpec).
          registryPullHost:
            app.internalRegistryHostname || (app.registryUrl ? new URL(app.registryUrl).host : ''),
          chainDepthBudget: config.chainDepthBudget,
          deliveryLeaseMs: config.jobLockMs,
        });
        serveTriggerBacklogMetrics(db);
        const stores = createTriggerStores(db, new AddressPolicy(config.allowedCidrs, config.allowedHosts), quota);
        registry.register(stores.store);
        registry.register(stores.status);
        registry.register(stores.secrets);
        registry.register(new DeliveriesHandler(db));
        registry.register(new DeliveryRedriveHandler(db));
        registry.register(new PushPreviewHandler(evaluator));
        registry.register(new TagChangeFeedHandler(db));
        // Image names resolve through image streams as OpenShift's image policy admission resolves them.
        const localNames = new LocalImageNames(app.internalRegistryHostname ?? '');
        const workloads = new Map(
          workloadKinds.map((w) => [w.kind as string, createWorkloadStore(db, w, localNames)]),
        );
        for (const store of workloads.values()) registry.register(store);
        registerOlderWorkloadKinds();
        // kubectl scale: deployments/scale and statefulsets/scale (autoscaling/v1 Scale), as kube-apiserver serves them.
        for (const w of workloadKinds.filter((k) => scalableWorkloads.includes(k.resource))) {
          registry.register(
            new WorkloadScaleHandler(
              workloadScaleInfo(w),
              workloads.get(w.kind)!,
              createWorkloadStore(db, w, localNames, 'scale'),
            ),
          );
        }
        evaluator.useWorkloadStores(workloads);
        // A spec change (referencePolicy, dockerImageRepository) can change the pull spec of every
        // followed tag of the stream without moving it: those tags are evaluated again.
        streamSpecs.add(requestEvaluationOfFollowedTags);
        return evaluator;
      },
    },
  ],
  exports: [TriggerEvaluator, TRIGGER_CONFIG],
})
export class TriggersApiModule {}
