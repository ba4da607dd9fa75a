import type { ResourceInfo } from '@app/api-machinery';
import { TRIGGER_GROUP, TRIGGER_VERSION } from './trigger.types';

const storedVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const base = { group: TRIGGER_GROUP, version: TRIGGER_VERSION, fieldSelectors: [] as string[], mergeKeys: {}, namespaced: true };

export const triggersInfo: ResourceInfo = {
  ...base,
  resource: 'triggers',
  singularName: 'trigger',
  kind: 'Trigger',
  listKind: 'TriggerList',
  verbs: storedVerbs,
  shortNames: ['trg'],
  categories: ['all'],
  mergeKeys: { 'status.conditions': 'type' },
  granularMaps: ['spec.delivery.headers'],
};

export const triggerStatusInfo: ResourceInfo = {
  ...triggersInfo,
  resource: 'triggers/status',
  singularName: '',
  verbs: ['get', 'patch', 'update'],
  shortNames: undefined,
  categories: undefined,
};

export const triggerSecretsInfo: ResourceInfo = {
  ...base,
  resource: 'triggersecrets',
  singularName: 'triggersecret',
  kind: 'TriggerSecret',
  listKind: 'TriggerSecretList',
  verbs: storedVerbs,
  shortNames: ['trgsecret'],
  secretBodies: true,
  granularMaps: ['data'],
};

export const deliveriesInfo: ResourceInfo = {
  ...base,
  resource: 'deliveries',
  singularName: 'delivery',
  kind: 'Delivery',
  listKind: 'DeliveryList',
  verbs: ['get', 'list', 'watch'],
  shortNames: ['dlv'],
  // As a Pod's status.phase: `kubectl get dlv --field-selector status.state=dead` (the state label selects the same).
  fieldSelectors: ['status.state'],
  // A kind with a field of its own to select registers its own conversion (as Pod): an unknown field is `field label not supported: <field>`.
  ownFieldLabelConversion: true,
};

export const deliveryRedrivesInfo: ResourceInfo = {
  ...base,
  resource: 'deliveryredrives',
  singularName: 'deliveryredrive',
  kind: 'DeliveryRedrive',
  listKind: 'DeliveryRedriveList',
  verbs: ['create'],
};

export const pushPreviewsInfo: ResourceInfo = {
  ...base,
  resource: 'pushpreviews',
  singularName: 'pushpreview',
  kind: 'PushPreview',
  listKind: 'PushPreviewList',
  verbs: ['create'],
};

export const tagChangeEventsInfo: ResourceInfo = {
  ...base,
  resource: 'tagchangeevents',
  singularName: 'tagchangeevent',
  kind: 'TagChangeEvent',
  listKind: 'TagChangeEventList',
  verbs: ['list', 'watch'],
};

/** Annotated workloads, registered as JSON under their usual group/version. */
export const workloadKinds = [
  { group: 'apps', resource: 'deployments', kind: 'Deployment', table: 'workload_deployments', podSpecPath: 'spec.template.spec', short: ['deploy'] },
  { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', table: 'workload_statefulsets', podSpecPath: 'spec.template.spec', short: ['sts'] },
  { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet', table: 'workload_daemonsets', podSpecPath: 'spec.template.spec', short: ['ds'] },
  { group: 'batch', resource: 'cronjobs', kind: 'CronJob', table: 'workload_cronjobs', podSpecPath: 'spec.jobTemplate.spec.template.spec', short: ['cj'] },
] as const;
export type WorkloadKind = (typeof workloadKinds)[number];

/**
 * k8s.io/api core/v1 PodSpec and Container list keys (`patchMergeKey`, as strategic merge patch
 * and server-side apply use them); other lists (tolerations, envFrom, args, …) are atomic.
 */
function podSpecMergeKeys(podSpec: string): Record<string, string> {
  const keys: Record<string, string> = {
    [`${podSpec}.volumes`]: 'name',
    [`${podSpec}.imagePullSecrets`]: 'name',
    [`${podSpec}.hostAliases`]: 'ip',
  };
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const c = `${podSpec}.${list}`;
    Object.assign(keys, {
      [c]: 'name',
      [`${c}[].env`]: 'name',
      [`${c}[].ports`]: 'containerPort',
      [`${c}[].volumeMounts`]: 'mountPath',
      [`${c}[].volumeDevices`]: 'devicePath',
    });
  }
  return keys;
}

export function workloadInfo(w: WorkloadKind): ResourceInfo {
  return {
    group: w.group,
    version: 'v1',
    resource: w.resource,
    singularName: w.kind.toLowerCase(),
    kind: w.kind,
    listKind: `${w.kind}List`,
    namespaced: true,
    verbs: storedVerbs,
    shortNames: [...w.short],
    categories: ['all'], // as kube-apiserver lists them: `kubectl get all` shows them
    fieldSelectors: [],
    mergeKeys: podSpecMergeKeys(w.podSpecPath),
    // LabelSelector is `+structType=atomic`: one value, owned and replaced whole.
    atomicFields: [w.podSpecPath === 'spec.template.spec' ? 'spec.selector' : 'spec.jobTemplate.spec.selector'],
    allowUnconditionalUpdate: true,
  };
}

/** The workload kinds kube-apiserver serves a `scale` subresource for (ScaleREST). */
export const scalableWorkloads: readonly string[] = ['deployments', 'statefulsets'];

/** `<workload>/scale`: bodies are autoscaling/v1 Scale (get, patch, update), as kube-apiserver lists it. */
export function workloadScaleInfo(w: WorkloadKind): ResourceInfo {
  return {
    ...workloadInfo(w),
    resource: `${w.resource}/scale`,
    singularName: '',
    verbs: ['get', 'patch', 'update'],
    shortNames: undefined,
    categories: undefined,
    mergeKeys: {},
    atomicFields: undefined,
    responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  };
}
