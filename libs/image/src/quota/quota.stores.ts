import { jsonEqual } from '@app/api-machinery';
import { type Database, GenericStore, type ResourceHandler, TableStorage } from '@app/persistence';
import { QuotaNamespaces } from './quota-namespaces';
import { LimitRangeStrategy, ResourceQuotaStatusStrategy, ResourceQuotaStrategy } from './quota.strategy';
import {
  type LimitRange,
  limitRangesInfo,
  type ResourceQuota,
  resourceQuotasInfo,
  resourceQuotaStatusInfo,
} from './quota.types';
import { NamespaceQuota } from './namespace-quota';

/**
 * core/v1 LimitRange and ResourceQuota, stored like every other kind, plus what enforces them on
 * the image kinds: the in-memory index of namespaces that hold any, and the image stream quota.
 * A new policy is noted in this process's index at once (a removal waits for the change feed:
 * a rolled-back delete must not switch enforcement off).
 */
export function createQuotaStores(db: Database) {
  const namespaces = new QuotaNamespaces(db);
  const quotaTable = new TableStorage<ResourceQuota>('resource_quotas', true);
  const quotaStatus = new GenericStore<ResourceQuota>(
    resourceQuotaStatusInfo,
    db,
    quotaTable,
    new ResourceQuotaStatusStrategy(),
  );
  const namespaceQuota = new NamespaceQuota(namespaces, quotaStatus);
  const limitRanges = new GenericStore<LimitRange>(
    limitRangesInfo,
    db,
    new TableStorage<LimitRange>('limit_ranges', true),
    new LimitRangeStrategy(),
    {
      afterWrite: async (_tx, obj) => {
        namespaces.note('limitranges', obj.metadata.namespace!, obj.metadata.name!, true);
        await Promise.resolve();
      },
    },
  );
  const quotas = new GenericStore<ResourceQuota>(
    resourceQuotasInfo,
    db,
    quotaTable,
    new ResourceQuotaStrategy(),
    {
      afterWrite: async (tx, obj, old) => {
        namespaces.note('resourcequotas', obj.metadata.namespace!, obj.metadata.name!, true);
        // As kube's quota controller does on a new or changed spec: status.hard and status.used follow.
        if (!old || !jsonEqual(old.spec?.hard ?? {}, obj.spec?.hard ?? {}))
          await namespaceQuota.writeStatus(tx, obj);
      },
    },
  );
  return { namespaces, limitRanges, quotas, quotaStatus: statusOnly(quotaStatus), namespaceQuota };
}

/** `resourcequotas/{name}/status` serves get, update and patch only (no create, list or delete there). */
function statusOnly(store: GenericStore<ResourceQuota>): ResourceHandler {
  return {
    info: store.info,
    get: (ns, name) => store.get(ns, name),
    update: (ns, name, body, options) => store.update(ns, name, body, options),
    patch: (ns, name, type, patch, options) => store.patch(ns, name, type, patch, options),
  };
}
